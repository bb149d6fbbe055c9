using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// The group key every node holds (New-HzSyncKey): 32 random bytes from which the package encryption and MAC keys
/// are derived. Only its <see cref="KeyId"/> is ever shown.
/// </summary>
public sealed class SyncKey : IDisposable
{
    private const int KeyLength = 32;
    private readonly byte[] _key;

    private SyncKey(byte[] key)
    {
        _key = key;
        KeyId = ToHex(Derive("HeitzSync key id"), 8);
    }

    /// <summary>A short public identifier (16 hex digits) that lets nodes compare keys without revealing them.</summary>
    public string KeyId { get; }

    public static SyncKey Generate()
    {
        var key = new byte[KeyLength];
        using var random = RandomNumberGenerator.Create();
        random.GetBytes(key);
        return new SyncKey(key);
    }

    public static SyncKey FromBase64(string text)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String((text ?? "").Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("The group key is not valid base64: use the file New-HzSyncKey wrote, unchanged.");
        }
        if (key.Length != KeyLength)
        {
            throw new FormatException($"The group key has {key.Length} bytes instead of {KeyLength}: use the file New-HzSyncKey wrote, unchanged.");
        }
        return new SyncKey(key);
    }

    public string ToBase64() => Convert.ToBase64String(_key);

    public static SyncKey Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The group key file {path} does not exist: create one with New-HzSyncKey on the Siège and copy it to every site.", path);
        }
        return FromBase64(File.ReadAllText(path));
    }

    /// <summary>Writes the key file, readable by its owner only (0600 on Unix); refuses to replace one unless <paramref name="overwrite"/>.</summary>
    public void Save(string path, bool overwrite = false)
    {
        if (File.Exists(path) && !overwrite)
        {
            throw new IOException($"{path} already exists: a new key would lock out every node that holds the old one. Use -Force to replace it.");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var temporary = path + ".part";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            UnixFileMode.OwnerOnly(temporary);
            var bytes = Encoding.ASCII.GetBytes(ToBase64() + "\n");
            file.Write(bytes, 0, bytes.Length);
        }
        if (File.Exists(path)) File.Delete(path);
        File.Move(temporary, path);
    }

    internal byte[] EncryptionKey => Derive("HeitzSync package encryption v1");
    internal byte[] MacKey => Derive("HeitzSync package mac v1");

    private byte[] Derive(string label)
    {
        using var hmac = new HMACSHA256(_key);
        return hmac.ComputeHash(Encoding.ASCII.GetBytes(label));
    }

    internal static string ToHex(byte[] bytes, int count)
    {
        var builder = new StringBuilder(count * 2);
        for (var i = 0; i < count; i++) builder.Append(bytes[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    public override string ToString() => "SyncKey " + KeyId;

    public void Dispose() => Array.Clear(_key, 0, _key.Length);
}

/// <summary>chmod for secrets on Unix (netstandard2.0 has no File.SetUnixFileMode).</summary>
internal static class UnixFileMode
{
    public static void OwnerOnly(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
        if (chmod(path, 0x180 /* 0600 */) != 0)
        {
            throw new IOException($"Could not restrict {path} to its owner (chmod 600 failed, errno {Marshal.GetLastWin32Error()}).");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod(string path, uint mode);
}
