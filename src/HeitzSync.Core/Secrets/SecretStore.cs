using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Secrets;

/// <summary>
/// Named secrets (database, FTP, SMTP passwords) for unattended runs, in <c>secrets/&lt;name&gt;.secret</c> beside
/// the configuration: protected with DPAPI (machine scope) on Windows, a file readable by its owner only (0600)
/// elsewhere. Values never appear in logs, errors or reports.
/// </summary>
public sealed class SecretStore
{
    private static readonly Regex NamePattern = new("^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant);
    private readonly string _folder;

    public SecretStore(string folder) => _folder = folder;

    public void Set(string name, string secret)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(_folder);
        var part = path + ".part";
        using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            OwnerOnly(part);
            var bytes = Protect(Encoding.UTF8.GetBytes(secret));
            file.Write(bytes, 0, bytes.Length);
        }
        if (File.Exists(path)) File.Delete(path);
        File.Move(part, path);
    }

    public string? Get(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? Encoding.UTF8.GetString(Unprotect(File.ReadAllBytes(path))) : null;
    }

    /// <summary>The secret, or an error that says how to store it.</summary>
    public string Require(string name, string what) => Get(name)
        ?? throw new InvalidOperationException($"No stored secret '{name}' for {what}: store it with Set-HzSyncCredential -Name {name} (or 'hzsync secret set {name}').");

    public void Remove(string name)
    {
        var path = PathOf(name);
        if (File.Exists(path)) File.Delete(path);
    }

    private string PathOf(string name)
    {
        if (!NamePattern.IsMatch(name ?? "")) throw new ArgumentException($"'{name}' is not a valid secret name: use letters, digits, '.', '_' or '-'.", nameof(name));
        return Path.Combine(_folder, name + ".secret");
    }

    /// <summary>chmod 600 (netstandard2.0 has no File.SetUnixFileMode); Windows relies on DPAPI and the folder's ACL.</summary>
    private static void OwnerOnly(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
        if (chmod(path, 0x180) != 0) throw new IOException($"Could not restrict {path} to its owner (chmod 600 failed, errno {Marshal.GetLastWin32Error()}).");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod(string path, uint mode);

    private static byte[] Protect(byte[] data) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Dpapi.Run(data, protect: true) : data;

    private static byte[] Unprotect(byte[] data) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Dpapi.Run(data, protect: false) : data;

    /// <summary>CryptProtectData/CryptUnprotectData (machine scope, so the scheduled task's account can read it).</summary>
    private static class Dpapi
    {
        private const int LocalMachine = 0x4, UiForbidden = 0x1;

        [StructLayout(LayoutKind.Sequential)]
        private struct Blob
        {
            public int Size;
            public IntPtr Data;
        }

        public static byte[] Run(byte[] data, bool protect)
        {
            var input = new Blob { Size = data.Length, Data = Marshal.AllocHGlobal(data.Length) };
            var output = default(Blob);
            try
            {
                Marshal.Copy(data, 0, input.Data, data.Length);
                var ok = protect
                    ? CryptProtectData(ref input, null, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, LocalMachine | UiForbidden, ref output)
                    : CryptUnprotectData(ref input, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, UiForbidden, ref output);
                if (!ok) throw new InvalidOperationException($"Windows DPAPI could not {(protect ? "protect" : "read")} the secret (error {Marshal.GetLastWin32Error()}).");
                var result = new byte[output.Size];
                Marshal.Copy(output.Data, result, 0, output.Size);
                return result;
            }
            finally
            {
                Marshal.FreeHGlobal(input.Data);
                if (output.Data != IntPtr.Zero) LocalFree(output.Data);
            }
        }

        [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        private static extern bool CryptProtectData(ref Blob data, string? description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, ref Blob output);

        [DllImport("crypt32.dll", SetLastError = true)]
        private static extern bool CryptUnprotectData(ref Blob data, IntPtr description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, ref Blob output);

        [DllImport("kernel32.dll")]
        private static extern IntPtr LocalFree(IntPtr memory);
    }
}
