using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// Writes a package (<see cref="PackageFormat"/>) through <c>path.part</c>: the caller streams the payload into
/// <see cref="Payload"/>, then <see cref="Complete"/> seals it and renames it into place. Disposed without
/// Complete, the partial file is deleted.
/// </summary>
public sealed class PackageWriter : IDisposable
{
    private readonly string _path;
    private readonly string _partPath;
    private readonly SyncKey _key;
    private readonly FileStream _file;
    private readonly MacStream _mac;
    private readonly CountingStream _body;
    private readonly CryptoStream _encrypt;
    private readonly Aes _aes;
    private readonly DeflateStream _deflate;
    private readonly HashingStream _payload;
    private bool _completed;

    private PackageWriter(string path, SyncKey key)
    {
        _path = path;
        _partPath = path + ".part";
        _key = key;
        _file = new FileStream(_partPath, FileMode.Create, FileAccess.Write, FileShare.None, 81920);
        _mac = new MacStream(_file, key.MacKey);
        _aes = Aes.Create();
        _aes.Key = key.EncryptionKey;
        _aes.GenerateIV();
        _mac.Write(PackageFormat.Magic, 0, PackageFormat.Magic.Length);
        _mac.Write(BitConverter.GetBytes(PackageFormat.Version), 0, 2);
        _mac.Write(PackageFormat.KeyIdBytes(key), 0, PackageFormat.KeyIdLength);
        _mac.Write(_aes.IV, 0, PackageFormat.IvLength);
        _body = new CountingStream(_mac);
        _encrypt = new CryptoStream(_body, _aes.CreateEncryptor(), CryptoStreamMode.Write);
        _deflate = new DeflateStream(_encrypt, CompressionLevel.Optimal, leaveOpen: true);
        _payload = new HashingStream(_deflate);
    }

    public static PackageWriter Create(string path, SyncKey key)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        return new PackageWriter(path, key);
    }

    /// <summary>Write the plaintext payload here: compressed, encrypted and authenticated on the fly.</summary>
    public Stream Payload => _payload;

    public PackageManifest Complete(PackageManifest manifest)
    {
        if (_completed) throw new InvalidOperationException("The package is already complete.");
        _deflate.Dispose();
        _encrypt.FlushFinalBlock();
        var sealedManifest = manifest with { PayloadLength = _payload.Length, PayloadSha256 = _payload.HashHex() };
        var json = JsonSerializer.SerializeToUtf8Bytes(sealedManifest, PackageFormat.Json);
        using (var manifestAes = Aes.Create())
        {
            manifestAes.Key = _key.EncryptionKey;
            manifestAes.GenerateIV();
            using var encryptor = manifestAes.CreateEncryptor();
            var encrypted = encryptor.TransformFinalBlock(json, 0, json.Length);
            _mac.Write(manifestAes.IV, 0, PackageFormat.IvLength);
            _mac.Write(encrypted, 0, encrypted.Length);
            _mac.Write(BitConverter.GetBytes(encrypted.Length), 0, 4);
            _mac.Write(BitConverter.GetBytes(_body.Count), 0, 8);
        }
        var tag = _mac.Finish();
        _file.Write(tag, 0, tag.Length);
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        if (File.Exists(_path)) File.Delete(_path);
        File.Move(_partPath, _path);
        _completed = true;
        return sealedManifest;
    }

    public void Dispose()
    {
        if (!_completed)
        {
            try { _payload.Dispose(); } catch (CryptographicException) { } catch (IOException) { }
        }
        _encrypt.Dispose();
        _aes.Dispose();
        _mac.Dispose();
        _file.Dispose();
        if (!_completed && File.Exists(_partPath)) File.Delete(_partPath);
    }
}
