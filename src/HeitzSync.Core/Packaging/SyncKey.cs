using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// The group key every node holds (New-HzSyncKey): 32 random bytes. The package encryption, MAC and header keys are
/// derived from it (HKDF-Expand with HMAC-SHA256, one label each), so no key is used for two purposes. Only its
/// <see cref="KeyId"/> is ever shown: never the key, in no message, log or ToString.
/// </summary>
public sealed class SyncKey : IDisposable
{
    internal const int KeyLength = 32;
    internal const int KeyIdLength = 8;

    private readonly byte[] _key;
    private readonly byte[] _encryptionKey;
    private readonly byte[] _macKey;
    private readonly byte[] _headerKey;
    private readonly byte[] _documentKey;
    private readonly byte[] _keyId;
    private bool _disposed;

    private SyncKey(byte[] key)
    {
        _key = key;
        _keyId = Truncate(Expand(key, "HeitzSync key id"), KeyIdLength);
        _encryptionKey = Expand(key, "HeitzSync package encryption v1");
        _macKey = Expand(key, "HeitzSync package mac v1");
        _headerKey = Expand(key, "HeitzSync package header v1");
        _documentKey = Expand(key, "HeitzSync drop documents v1");
        KeyId = ToHex(_keyId);
    }

    /// <summary>A short public identifier (16 hex digits) that lets nodes compare keys without revealing them; safe to log.</summary>
    public string KeyId { get; }

    /// <summary>A new random group key.</summary>
    public static SyncKey Generate()
    {
        var key = new byte[KeyLength];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(key);
        }
        return new SyncKey(key);
    }

    /// <summary>Reads the key from its base64 text (the content of the key file). The text is never repeated in an error.</summary>
    public static SyncKey FromBase64(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException($"The group key is empty: use the key file {FrontCommands.NewKey} wrote, unchanged.");
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            // The exception of Convert would not show the text either, but say what to do instead.
            throw new FormatException($"The group key is not valid base64 text: use the key file {FrontCommands.NewKey} wrote, unchanged.");
        }
        if (key.Length != KeyLength)
        {
            Array.Clear(key, 0, key.Length);
            throw new FormatException($"The group key holds {key.Length} bytes instead of {KeyLength}: use the key file {FrontCommands.NewKey} wrote, unchanged.");
        }
        return new SyncKey(key);
    }

    /// <summary>The key as base64 text: what the key file holds. Only for writing the key file or copying it to another node.</summary>
    public string ToBase64()
    {
        ThrowIfDisposed();
        return Convert.ToBase64String(_key);
    }

    /// <summary>Reads a key file written by <see cref="Save"/>.</summary>
    public static SyncKey Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The group key file {path} does not exist: create one with {FrontCommands.NewKey} on the Siège and copy it to every site.", path);
        }
        try
        {
            return FromBase64(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes the key file, readable and writable by its owner only (mode 0600 on Unix; on Windows the folder's ACL
    /// applies). Refuses to replace an existing file unless <paramref name="overwrite"/>: a new key locks out every node
    /// that still holds the old one.
    /// </summary>
    public void Save(string path, bool overwrite = false)
    {
        ThrowIfDisposed();
        if (File.Exists(path) && !overwrite)
        {
            throw new IOException($"The key file {path} already exists: replacing it would lock out every node that holds the old key. Ask explicitly to overwrite it ({FrontCommands.NewKeyForce}).");
        }
        if (Directory.Exists(path))
        {
            throw new IOException($"{path} is a folder: give the key file's own path (e.g. {Path.Combine(path, "group.key")}).");
        }
        var full = Path.GetFullPath(path);
        var temporary = full + ".part";
        try
        {
            var folder = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            if (File.Exists(temporary)) File.Delete(temporary);
            WriteKeyFile(full, temporary);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"The group key cannot be written to {full} ({ex.Message.TrimEnd('.')}): give a path in a folder this account can write.", ex);
        }
    }

    private void WriteKeyFile(string full, string temporary)
    {
        try
        {
            // CreateNew: never write through a file (or link) that someone placed there. The mode is narrowed while the
            // file is still empty, so the key is never readable by others, not even for a moment.
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                OwnerOnlyFile.Restrict(temporary);
                var bytes = Encoding.ASCII.GetBytes(ToBase64() + "\n");
                file.Write(bytes, 0, bytes.Length);
                file.Flush(flushToDisk: true);
                Array.Clear(bytes, 0, bytes.Length);
            }
            if (File.Exists(full))
            {
                File.Replace(temporary, full, destinationBackupFileName: null);
            }
            else
            {
                File.Move(temporary, full);
            }
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public override string ToString() => "SyncKey " + KeyId;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Array.Clear(_key, 0, _key.Length);
        Array.Clear(_encryptionKey, 0, _encryptionKey.Length);
        Array.Clear(_macKey, 0, _macKey.Length);
        Array.Clear(_headerKey, 0, _headerKey.Length);
        Array.Clear(_documentKey, 0, _documentKey.Length);
    }

    /// <summary>AES-256 key for the payload and the manifest.</summary>
    internal byte[] EncryptionKey { get { ThrowIfDisposed(); return _encryptionKey; } }

    /// <summary>HMAC-SHA256 key for the whole-file MAC.</summary>
    internal byte[] MacKey { get { ThrowIfDisposed(); return _macKey; } }

    /// <summary>HMAC-SHA256 key for the header tag (which makes the declared file length trustworthy before the long MAC pass).</summary>
    internal byte[] HeaderKey { get { ThrowIfDisposed(); return _headerKey; } }

    /// <summary>HMAC-SHA256 key for the drop's documents (siege.json, ack.json): a node that verifies one holds the group key.</summary>
    internal byte[] DocumentKey { get { ThrowIfDisposed(); return _documentKey; } }

    /// <summary>The 8 bytes that <see cref="KeyId"/> spells in hex, as stored in a package header.</summary>
    internal byte[] KeyIdBytes => (byte[])_keyId.Clone();

    /// <summary>
    /// HKDF-Expand (RFC 5869) of one 32-byte block: HMAC(key, info || 0x01). The group key is already uniformly random,
    /// so it serves as the pseudo-random key without an extract step.
    /// </summary>
    private static byte[] Expand(byte[] key, string label)
    {
        var info = Encoding.ASCII.GetBytes(label);
        var input = new byte[info.Length + 1];
        Buffer.BlockCopy(info, 0, input, 0, info.Length);
        input[info.Length] = 1;
        using var hmac = new HMACSHA256(key);
        return hmac.ComputeHash(input);
    }

    private static byte[] Truncate(byte[] bytes, int length)
    {
        var result = new byte[length];
        Buffer.BlockCopy(bytes, 0, result, 0, length);
        return result;
    }

    internal static string ToHex(byte[] bytes) => ToHex(bytes, 0, bytes.Length);

    internal static string ToHex(byte[] bytes, int offset, int count)
    {
        const string digits = "0123456789abcdef";
        var builder = new StringBuilder(count * 2);
        for (var i = offset; i < offset + count; i++)
        {
            builder.Append(digits[bytes[i] >> 4]).Append(digits[bytes[i] & 0xF]);
        }
        return builder.ToString();
    }

    private void ThrowIfDisposed()
    {
        // A disposed key has been zeroed: using it would silently make packages with an all-zero key.
        if (_disposed) throw new ObjectDisposedException(nameof(SyncKey), "This group key was disposed.");
    }
}

/// <summary>chmod for secrets on Unix (netstandard2.0 has no File.SetUnixFileMode).</summary>
internal static class OwnerOnlyFile
{
    private const uint OwnerReadWrite = 0x180; // 0600

    public static void Restrict(string path)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
        if (chmod(path, OwnerReadWrite) != 0)
        {
            throw new IOException($"Could not restrict {path} to its owner (chmod 600 failed, errno {Marshal.GetLastWin32Error()}).");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int chmod(string path, uint mode);
}
