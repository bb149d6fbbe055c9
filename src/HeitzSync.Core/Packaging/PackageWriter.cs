using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace HeitzSync.Core.Packaging;

// Package container, format 1 (also in docs/package-format.md). Integers little-endian.
//
//   offset  size  field
//   0       8     magic "HZSYNCPK"
//   8       2     format version (1)
//   10      8     key id of the group key used (SyncKey.KeyId as bytes): a wrong key is told apart from damage
//   18      16    payload IV
//   34      8     total file length                                      } written last, when the length is known
//   42      16    header tag: HMAC-SHA256(header key, bytes 0..42)[0..16] }
//   58      B     body: AES-256-CBC/PKCS7(Deflate(payload)), B a multiple of 16, streamed
//   58+B    16    manifest IV
//           M     AES-256-CBC/PKCS7(manifest JSON, UTF-8)
//           8     B
//           4     M
//   L-32    32    MAC: HMAC-SHA256(mac key, bytes 0..34 || bytes 58..L-32 || bytes 34..58)
//
// Keys: encryption, MAC and header keys are derived from the group key (HKDF-Expand, one label each); see SyncKey.
// Encrypt-then-MAC: the MAC covers every byte of the file but itself, and nothing is decrypted before it checks out.
// The header tag makes the declared length trustworthy without reading the whole file, so a short file is reported as
// Truncated, and a file longer than declared (bytes appended) as Tampered, while any changed byte is Tampered.
// The MAC takes the two late header fields last so that the writer can compute it while streaming.

/// <summary>
/// Writes a package through <c>path.part</c>: the caller streams the plaintext payload into <see cref="Payload"/>
/// (compressed, encrypted, authenticated and hashed on the fly, in constant memory), then <see cref="Complete"/> seals
/// it, flushes it to disk and renames it to its final name. Disposed without Complete, the partial file is deleted.
/// </summary>
public sealed class PackageWriter : IDisposable
{
    private readonly string _path;
    private readonly string _partPath;
    private readonly SyncKey _key;
    private readonly byte[] _header;
    private readonly FileStream _file;
    private readonly MacStream _mac;
    private readonly CountingStream _body;
    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly CryptoStream _encrypt;
    private readonly DeflateStream _deflate;
    private readonly PayloadWriteStream _payload;
    private bool _completed;
    private bool _disposed;

    private PackageWriter(string path, string partPath, SyncKey key, FileStream file)
    {
        _path = path;
        _partPath = partPath;
        _key = key;
        _file = file;
        _aes = Aes.Create();
        _aes.Key = key.EncryptionKey;
        _aes.GenerateIV();

        _header = new byte[PackageFormat.HeaderLength];
        Buffer.BlockCopy(PackageFormat.Magic, 0, _header, PackageFormat.MagicOffset, PackageFormat.Magic.Length);
        PackageFormat.WriteUInt16(_header, PackageFormat.VersionOffset, PackageFormat.Version);
        Buffer.BlockCopy(key.KeyIdBytes, 0, _header, PackageFormat.KeyIdOffset, SyncKey.KeyIdLength);
        Buffer.BlockCopy(_aes.IV, 0, _header, PackageFormat.PayloadIvOffset, PackageFormat.IvLength);

        _mac = new MacStream(_file, key.MacKey);
        _mac.Write(_header, 0, PackageFormat.FileLengthOffset);
        // Length and header tag are not known yet: zeros now, patched in by Complete (and authenticated last).
        _file.Write(_header, PackageFormat.FileLengthOffset, PackageFormat.HeaderLength - PackageFormat.FileLengthOffset);

        _body = new CountingStream(_mac);
        _encryptor = _aes.CreateEncryptor();
        _encrypt = new CryptoStream(_body, _encryptor, CryptoStreamMode.Write);
        _deflate = new DeflateStream(_encrypt, CompressionLevel.Optimal, leaveOpen: true);
        _payload = new PayloadWriteStream(_deflate);
    }

    /// <summary>Starts a package that will be named <paramref name="path"/> once complete (an existing file there is replaced then).</summary>
    public static PackageWriter Create(string path, SyncKey key)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        if (key is null) throw new ArgumentNullException(nameof(key));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var part = full + ".part";
        // A .part left by a crash is ours to replace.
        var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, PackageFormat.BufferSize);
        try
        {
            return new PackageWriter(full, part, key, file);
        }
        catch
        {
            file.Dispose();
            File.Delete(part);
            throw;
        }
    }

    /// <summary>The final path of the package.</summary>
    public string PackagePath => _path;

    /// <summary>Write the plaintext payload here. Flush is not needed (and does nothing); disposing it is harmless.</summary>
    public Stream Payload => _payload;

    /// <summary>
    /// Seals the package: fills <see cref="PackageManifest.PayloadLength"/>, <see cref="PackageManifest.PayloadSha256"/>
    /// and <see cref="PackageManifest.FormatVersion"/>, writes the manifest as an encrypted, authenticated trailer, flushes
    /// the file to disk and renames it into place. Returns the manifest as written.
    /// </summary>
    public PackageManifest Complete(PackageManifest manifest)
    {
        if (manifest is null) throw new ArgumentNullException(nameof(manifest));
        if (_disposed) throw new ObjectDisposedException(nameof(PackageWriter));
        if (_completed) throw new InvalidOperationException("The package is already complete.");

        var payloadSha256 = _payload.Seal();
        _deflate.Dispose();
        _encrypt.FlushFinalBlock();
        var bodyLength = _body.Count;

        // Sorted so that the same content always gives the same JSON.
        var tableCounts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in manifest.TableCounts ?? new Dictionary<string, long>()) tableCounts[pair.Key] = pair.Value;
        var sealedManifest = manifest with
        {
            FormatVersion = PackageFormat.Version,
            PayloadLength = _payload.Written,
            PayloadSha256 = payloadSha256,
            TableCounts = tableCounts,
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(sealedManifest, PackageFormat.Json);
        byte[] manifestIv;
        byte[] encryptedManifest;
        using (var manifestAes = Aes.Create())
        {
            manifestAes.Key = _key.EncryptionKey;
            manifestAes.GenerateIV();
            manifestIv = manifestAes.IV;
            using var encryptor = manifestAes.CreateEncryptor();
            encryptedManifest = encryptor.TransformFinalBlock(json, 0, json.Length);
        }
        _mac.Write(manifestIv, 0, manifestIv.Length);
        _mac.Write(encryptedManifest, 0, encryptedManifest.Length);
        _mac.Write(PackageFormat.UInt64Bytes((ulong)bodyLength), 0, 8);
        _mac.Write(PackageFormat.UInt32Bytes((uint)encryptedManifest.Length), 0, 4);

        var totalLength = _file.Position + PackageFormat.MacLength;
        PackageFormat.WriteUInt64(_header, PackageFormat.FileLengthOffset, (ulong)totalLength);
        var tag = PackageFormat.HeaderTag(_key.HeaderKey, _header);
        Buffer.BlockCopy(tag, 0, _header, PackageFormat.HeaderTagOffset, tag.Length);
        var lateFields = new byte[PackageFormat.HeaderLength - PackageFormat.FileLengthOffset];
        Buffer.BlockCopy(_header, PackageFormat.FileLengthOffset, lateFields, 0, lateFields.Length);
        _mac.AppendUnwritten(lateFields);
        var mac = _mac.Finish();
        _file.Write(mac, 0, mac.Length);
        _file.Position = PackageFormat.FileLengthOffset;
        _file.Write(lateFields, 0, lateFields.Length);
        _file.Flush(flushToDisk: true);
        _file.Dispose();

        if (File.Exists(_path))
        {
            File.Replace(_partPath, _path, destinationBackupFileName: null);
        }
        else
        {
            File.Move(_partPath, _path);
        }
        _completed = true;
        return sealedManifest;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_completed)
        {
            // Abandoned: whatever the compressor or cipher still hold is of no use; only the .part must go.
            try { _deflate.Dispose(); } catch (Exception ex) when (ex is CryptographicException or IOException or ObjectDisposedException) { }
        }
        try { _encrypt.Dispose(); } catch (Exception ex) when (ex is CryptographicException or IOException or ObjectDisposedException) { }
        _encryptor.Dispose();
        _aes.Dispose();
        _payload.Release();
        _mac.Dispose();
        _file.Dispose();
        if (!_completed && File.Exists(_partPath)) File.Delete(_partPath);
    }
}
