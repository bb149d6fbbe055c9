using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// Opens a package: checks its structure, key and MAC over the whole file first (a streaming pass, constant memory),
/// then decrypts the manifest. The payload is decrypted only when asked, and checked against the manifest at its end.
/// The file stays open (no writer can change it) until the reader is disposed.
/// </summary>
public sealed class PackageReader : IDisposable
{
    private readonly string _path;
    private readonly SyncKey _key;
    private readonly FileStream _file;
    private readonly byte[] _payloadIv;
    private readonly long _bodyLength;

    private PackageReader(string path, SyncKey key, FileStream file, byte[] payloadIv, long bodyLength, PackageManifest manifest)
    {
        _path = path;
        _key = key;
        _file = file;
        _payloadIv = payloadIv;
        _bodyLength = bodyLength;
        Manifest = manifest;
    }

    public PackageManifest Manifest { get; }

    public static PackageReader Open(string path, SyncKey key)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920);
        try
        {
            var name = Path.GetFileName(path);
            PackageRejectedException Reject(PackageRejectionReason reason, string message) => new(path, reason, message);
            var length = file.Length;
            var header = ReadAt(file, 0, (int)Math.Min(PackageFormat.HeaderLength, length));
            if (header.Length < PackageFormat.Magic.Length || !header.Take(PackageFormat.Magic.Length).SequenceEqual(PackageFormat.Magic))
            {
                throw Reject(PackageRejectionReason.NotAPackage, $"{name} is not a HeitzSync package. It was not applied.");
            }
            if (header.Length < PackageFormat.HeaderLength || length < PackageFormat.MinimumLength)
            {
                throw Reject(PackageRejectionReason.Truncated, $"Package {name} is incomplete ({length} bytes): it will be sent again. It was not applied.");
            }
            var version = BitConverter.ToUInt16(header, 8);
            if (version != PackageFormat.Version)
            {
                throw Reject(PackageRejectionReason.UnsupportedFormat, $"Package {name} has format {version}; this HeitzSync reads format {PackageFormat.Version}. Run the same module version on every node.");
            }
            var keyId = header.Skip(10).Take(PackageFormat.KeyIdLength).ToArray();
            if (!keyId.SequenceEqual(PackageFormat.KeyIdBytes(key)))
            {
                throw Reject(PackageRejectionReason.WrongKey,
                    $"Package {name} was made with group key {SyncKey.ToHex(keyId, keyId.Length)}, but this node holds key {key.KeyId}: install the same group key on every node (New-HzSyncKey once, then copy the file). It was not applied.");
            }
            var lengths = ReadAt(file, length - PackageFormat.MacLength - 12, 12);
            var manifestLength = BitConverter.ToInt32(lengths, 0);
            var bodyLength = BitConverter.ToInt64(lengths, 4);
            var expected = PackageFormat.HeaderLength + bodyLength + PackageFormat.IvLength + manifestLength + 12 + PackageFormat.MacLength;
            if (manifestLength <= 0 || bodyLength <= 0 || expected != length)
            {
                throw Reject(PackageRejectionReason.Truncated, $"Package {name} is incomplete or damaged (its lengths do not add up): it will be sent again. It was not applied.");
            }

            using (var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key.MacKey))
            {
                file.Position = 0;
                var buffer = new byte[81920];
                var left = length - PackageFormat.MacLength;
                while (left > 0)
                {
                    var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (read <= 0) throw Reject(PackageRejectionReason.Truncated, $"Package {name} ended while it was read.");
                    hmac.AppendData(buffer, 0, read);
                    left -= read;
                }
                var tag = ReadAt(file, length - PackageFormat.MacLength, PackageFormat.MacLength);
                if (!FixedTimeEquals(tag, hmac.GetHashAndReset()))
                {
                    throw Reject(PackageRejectionReason.Tampered, $"Package {name} failed authentication: it was changed or damaged after it was made. It was quarantined, not applied.");
                }
            }

            var manifestIv = ReadAt(file, PackageFormat.HeaderLength + bodyLength, PackageFormat.IvLength);
            var encrypted = ReadAt(file, PackageFormat.HeaderLength + bodyLength + PackageFormat.IvLength, manifestLength);
            PackageManifest manifest;
            using (var aes = Aes.Create())
            {
                aes.Key = key.EncryptionKey;
                aes.IV = manifestIv;
                using var decryptor = aes.CreateDecryptor();
                var json = decryptor.TransformFinalBlock(encrypted, 0, encrypted.Length);
                manifest = JsonSerializer.Deserialize<PackageManifest>(json, PackageFormat.Json)
                    ?? throw Reject(PackageRejectionReason.Tampered, $"Package {name} has an empty manifest.");
            }
            return new PackageReader(path, key, file, header.Skip(18).Take(PackageFormat.IvLength).ToArray(), bodyLength, manifest);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The plaintext payload, decrypted and decompressed as it is read; checked against the manifest at its end.</summary>
    public Stream OpenPayload()
    {
        var body = new WindowStream(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920), PackageFormat.HeaderLength, _bodyLength);
        var aes = Aes.Create();
        aes.Key = _key.EncryptionKey;
        aes.IV = _payloadIv;
        var decrypt = new CryptoStream(body, aes.CreateDecryptor(), CryptoStreamMode.Read);
        var inflate = new DeflateStream(decrypt, CompressionMode.Decompress);
        return new VerifyingReadStream(inflate, Manifest, _path);
    }

    private static byte[] ReadAt(FileStream file, long position, int count)
    {
        var bytes = new byte[count];
        file.Position = position;
        var done = 0;
        while (done < count)
        {
            var read = file.Read(bytes, done, count - done);
            if (read <= 0) break;
            done += read;
        }
        return done == count ? bytes : bytes.Take(done).ToArray();
    }

    private static bool FixedTimeEquals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return false;
        var difference = 0;
        for (var i = 0; i < a.Length; i++) difference |= a[i] ^ b[i];
        return difference == 0;
    }

    public void Dispose() => _file.Dispose();
}
