using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Secrets;

/// <summary>Who can read a secret stored on Windows (DPAPI); elsewhere the file's owner only, whatever the scope.</summary>
public enum SecretScope
{
    /// <summary>Any account of this machine that can read the file (the scheduled task's account included): the default for unattended runs.</summary>
    LocalMachine,

    /// <summary>Only the Windows account that stored it.</summary>
    CurrentUser,
}

/// <summary>
/// Named secrets (database, FTP, SMTP passwords) for unattended runs, one file per secret,
/// <c>secrets/&lt;name&gt;.secret</c> beside the configuration: protected with DPAPI on Windows (machine or user
/// scope), a file readable by its owner only (mode 0600, in a 0700 folder) elsewhere. Values never appear in logs,
/// errors, reports or <see cref="ToString"/>.
/// </summary>
public sealed class SecretStore
{
    /// <summary>The folder beside the configuration file that holds the secrets.</summary>
    public const string FolderName = "secrets";

    private const string Extension = ".secret";
    private static readonly Regex NamePattern = new("^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant);
    private readonly SecretScope _scope;

    public SecretStore(string folder, SecretScope scope = SecretScope.LocalMachine)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("The secrets folder is required.", nameof(folder));
        Folder = Path.GetFullPath(folder);
        _scope = scope;
    }

    /// <summary>The store of a node: the <c>secrets</c> folder beside its configuration file.</summary>
    public static SecretStore ForConfig(HzSyncConfig config, SecretScope scope = SecretScope.LocalMachine) =>
        new((config ?? throw new ArgumentNullException(nameof(config))).Resolve(FolderName), scope);

    public string Folder { get; }

    /// <summary>1 to 64 letters, digits, '.', '_' or '-' (a name becomes a file name, so nothing else).</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern.IsMatch(name) && name.Trim('.').Length > 0;

    /// <summary>Stores (or replaces) a secret. The file is restricted to its owner before anything is written to it.</summary>
    public void Set(string name, string secret)
    {
        if (secret is null) throw new ArgumentNullException(nameof(secret));
        var path = PathOf(name);
        CreateFolder();
        var part = path + ".part";
        if (File.Exists(part)) File.Delete(part);
        var plain = Encoding.UTF8.GetBytes(secret);
        try
        {
            // CreateNew: never write through a file or link someone placed there.
            using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                UnixPermissions.Restrict(part, UnixPermissions.OwnerReadWrite);
                var stored = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Dpapi.Protect(plain, Entropy(name), _scope) : plain;
                file.Write(stored, 0, stored.Length);
                file.Flush(flushToDisk: true);
            }
            if (File.Exists(path)) File.Replace(part, path, destinationBackupFileName: null);
            else File.Move(part, path);
        }
        finally
        {
            Array.Clear(plain, 0, plain.Length);
            if (File.Exists(part)) File.Delete(part);
        }
    }

    /// <summary>The secret, or null when none is stored under this name.</summary>
    public string? Get(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        var stored = File.ReadAllBytes(path);
        var plain = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Dpapi.Unprotect(stored, Entropy(name), name) : stored;
        try
        {
            return Encoding.UTF8.GetString(plain);
        }
        finally
        {
            Array.Clear(plain, 0, plain.Length);
        }
    }

    /// <summary>The secret, or an error that says how to store it.</summary>
    public string Require(string name, string what) => Get(name)
        ?? throw new InvalidOperationException($"No stored secret '{name}' for {what}: store it with {FrontCommands.StoreSecret(name)}.");

    public bool Contains(string name) => File.Exists(PathOf(name));

    /// <summary>Removes a secret; true when there was one.</summary>
    public bool Remove(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>The names of the stored secrets (never their values).</summary>
    public IReadOnlyList<string> Names() =>
        Directory.Exists(Folder)
            ? Directory.GetFiles(Folder, "*" + Extension)
                .Select(f => Path.GetFileName(f))
                .Select(f => f.Substring(0, f.Length - Extension.Length))
                .Where(IsValidName)
                .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
                .ToList()
            : Array.Empty<string>();

    /// <summary>When a secret was last stored (UTC), or null when none is stored under this name.</summary>
    public DateTime? StoredUtc(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? File.GetLastWriteTimeUtc(path) : null;
    }

    public override string ToString() => "SecretStore " + Folder;

    private string PathOf(string name)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a valid secret name: use 1 to 64 letters, digits, '.', '_' or '-'.", nameof(name));
        return Path.Combine(Folder, name + Extension);
    }

    private void CreateFolder() => UnixPermissions.CreatePrivateFolder(Folder);

    /// <summary>Binds a protected value to its name, so a secret file copied under another name does not open.</summary>
    private static byte[] Entropy(string name) => Encoding.UTF8.GetBytes("HeitzSync secret:" + name);

    /// <summary>CryptProtectData/CryptUnprotectData from crypt32.dll (the ProtectedData package would add an assembly that PowerShell 7 already loads in its own version).</summary>
    private static class Dpapi
    {
        private const int UiForbidden = 0x1, LocalMachine = 0x4;

        [StructLayout(LayoutKind.Sequential)]
        private struct Blob
        {
            public int Size;
            public IntPtr Data;
        }

        public static byte[] Protect(byte[] data, byte[] entropy, SecretScope scope) =>
            Run(data, entropy, protect: true, UiForbidden | (scope == SecretScope.LocalMachine ? LocalMachine : 0), "protect the secret");

        public static byte[] Unprotect(byte[] data, byte[] entropy, string name) =>
            Run(data, entropy, protect: false, UiForbidden, $"read the secret '{name}' (it may have been stored by another Windows account with -Scope CurrentUser, or on another machine: store it again with {FrontCommands.StoreSecret(name)})");

        private static byte[] Run(byte[] data, byte[] entropy, bool protect, int flags, string what)
        {
            var input = ToBlob(data);
            var extra = ToBlob(entropy);
            var output = default(Blob);
            try
            {
                var ok = protect
                    ? CryptProtectData(ref input, null, ref extra, IntPtr.Zero, IntPtr.Zero, flags, ref output)
                    : CryptUnprotectData(ref input, IntPtr.Zero, ref extra, IntPtr.Zero, IntPtr.Zero, flags, ref output);
                if (!ok) throw new InvalidOperationException($"Windows DPAPI could not {what} (error {Marshal.GetLastWin32Error()}).");
                var result = new byte[output.Size];
                Marshal.Copy(output.Data, result, 0, output.Size);
                return result;
            }
            finally
            {
                Free(ref input);
                Free(ref extra);
                if (output.Data != IntPtr.Zero)
                {
                    // The output of an unprotect is the plain secret: wipe it before giving the memory back.
                    Marshal.Copy(new byte[output.Size], 0, output.Data, output.Size);
                    LocalFree(output.Data);
                }
            }
        }

        private static Blob ToBlob(byte[] bytes)
        {
            var blob = new Blob { Size = bytes.Length, Data = Marshal.AllocHGlobal(Math.Max(1, bytes.Length)) };
            Marshal.Copy(bytes, 0, blob.Data, bytes.Length);
            return blob;
        }

        private static void Free(ref Blob blob)
        {
            if (blob.Data == IntPtr.Zero) return;
            Marshal.Copy(new byte[blob.Size], 0, blob.Data, blob.Size);
            Marshal.FreeHGlobal(blob.Data);
            blob.Data = IntPtr.Zero;
        }

        [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        private static extern bool CryptProtectData(ref Blob data, string? description, ref Blob entropy, IntPtr reserved, IntPtr prompt, int flags, ref Blob output);

        [DllImport("crypt32.dll", SetLastError = true)]
        private static extern bool CryptUnprotectData(ref Blob data, IntPtr description, ref Blob entropy, IntPtr reserved, IntPtr prompt, int flags, ref Blob output);

        [DllImport("kernel32.dll")]
        private static extern IntPtr LocalFree(IntPtr memory);
    }
}

/// <summary>
/// Owner-only files and folders on Unix through libc (netstandard2.0 has no File.SetUnixFileMode nor a mode for new
/// folders); nothing on Windows, where DPAPI and the ACL a folder inherits from its parent apply.
/// </summary>
internal static class UnixPermissions
{
    public const uint OwnerReadWrite = 0x180; // 0600
    public const uint OwnerOnlyFolder = 0x1C0; // 0700
    private const int AlreadyExists = 17;     // EEXIST, Linux and macOS

    /// <summary>
    /// Creates <paramref name="path"/> readable by its owner only (0700) from the start (mkdir with that mode, never
    /// chmod'ed after a window); missing parents are made as usual. An existing folder is left as it is (Test-HzSiege
    /// reports a loose one).
    /// </summary>
    public static void CreatePrivateFolder(string path)
    {
        if (Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            Directory.CreateDirectory(path);
            return;
        }
        if (mkdir(path, OwnerOnlyFolder) == 0) return;
        if (Marshal.GetLastWin32Error() == AlreadyExists && Directory.Exists(path)) return;
        // Let .NET raise the failure in its own words (no space, no right, a file in the way), then narrow what it made.
        Directory.CreateDirectory(path);
        Restrict(path, OwnerOnlyFolder);
    }

    public static void Restrict(string path, uint mode)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
        if (chmod(path, mode) != 0)
        {
            throw new IOException($"Could not restrict {path} to its owner (chmod {Convert.ToString(mode, 8)} failed, errno {Marshal.GetLastWin32Error()}).");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int chmod(string path, uint mode);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int mkdir(string path, uint mode);
}
