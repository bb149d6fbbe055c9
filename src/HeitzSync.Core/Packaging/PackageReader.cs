using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// Opens a package (layout at the top of <see cref="PackageWriter"/>). <see cref="Open"/> checks the header, the key and
/// the MAC over the whole file first (one streaming pass, constant memory, constant-time compare), and only then
/// decrypts the manifest; a package that fails any check is refused with <see cref="PackageRejectedException"/>.
/// The payload is decrypted only when asked, from the same open file handle, and checked against the manifest at its end.
/// The file stays open (shared for reading only) until the reader is disposed.
/// </summary>
public sealed class PackageReader : IDisposable
{
    private readonly string _path;
    private readonly SyncKey _key;
    private readonly FileStream _file;
    private readonly byte[] _payloadIv;
    private readonly long _bodyLength;
    private bool _payloadOpen;
    private bool _disposed;

    private PackageReader(string path, SyncKey key, FileStream file, byte[] payloadIv, long bodyLength, PackageManifest manifest)
    {
        _path = path;
        _key = key;
        _file = file;
        _payloadIv = payloadIv;
        _bodyLength = bodyLength;
        Manifest = manifest;
    }

    /// <summary>The authenticated manifest.</summary>
    public PackageManifest Manifest { get; }

    public string PackagePath => _path;

    /// <summary>
    /// Opens and authenticates <paramref name="path"/>. Throws <see cref="PackageRejectedException"/> for anything that is
    /// not a complete, unchanged package made with <paramref name="key"/>; I/O errors (missing file, no right) pass through.
    /// </summary>
    public static PackageReader Open(string path, SyncKey key, CancellationToken cancellationToken = default)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        if (key is null) throw new ArgumentNullException(nameof(key));
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, PackageFormat.BufferSize);
        try
        {
            var check = new Check(path, key, file);
            return check.Run(cancellationToken);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The plaintext payload, decrypted and decompressed as it is read. Reading to its end checks its length and SHA-256
    /// against the manifest (<see cref="PackageRejectionReason.PayloadMismatch"/>): read to the end before committing
    /// anything. One payload stream at a time; it may be opened again after the previous one is disposed.
    /// </summary>
    public Stream OpenPayload()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(PackageReader));
        if (_payloadOpen) throw new InvalidOperationException("The payload of this package is already open: dispose that stream first.");
        _payloadOpen = true;
        var body = new WindowStream(_file, PackageFormat.HeaderLength, _bodyLength, () => _payloadOpen = false);
        Aes? aes = null;
        try
        {
            aes = Aes.Create();
            aes.Key = _key.EncryptionKey;
            aes.IV = _payloadIv;
            var decrypt = new CryptoStream(body, aes.CreateDecryptor(), CryptoStreamMode.Read);
            var inflate = new DeflateStream(decrypt, CompressionMode.Decompress);
            return new VerifyingReadStream(inflate, Manifest, _path);
        }
        catch
        {
            body.Dispose();
            throw;
        }
        finally
        {
            // The decryptor holds its own copy of key and IV.
            aes?.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
    }

    /// <summary>The checks of <see cref="Open"/>, in order; each failure names the file, the reason and the fix.</summary>
    private sealed class Check
    {
        private readonly string _path;
        private readonly SyncKey _key;
        private readonly FileStream _file;
        private readonly string _name;

        public Check(string path, SyncKey key, FileStream file)
        {
            _path = path;
            _key = key;
            _file = file;
            _name = Path.GetFileName(path);
        }

        public PackageReader Run(CancellationToken cancellationToken)
        {
            var length = _file.Length;
            var header = ReadAt(0, (int)Math.Min(PackageFormat.HeaderLength, length));

            var magicBytes = Math.Min(header.Length, PackageFormat.Magic.Length);
            if (!PackageFormat.FixedTimeEquals(header, 0, PackageFormat.Magic, 0, magicBytes))
            {
                throw Reject(PackageRejectionReason.NotAPackage,
                    $"{_name} is not a HeitzSync package (it does not start with the package signature). It was not applied; only packages written by HeitzSync belong in this folder.");
            }
            if (header.Length >= PackageFormat.VersionOffset + 2)
            {
                var version = PackageFormat.ReadUInt16(header, PackageFormat.VersionOffset);
                if (version != PackageFormat.Version)
                {
                    throw Reject(PackageRejectionReason.UnsupportedFormat,
                        $"Package {_name} is in package format {version}; this HeitzSync reads format {PackageFormat.Version}. It was not applied: run the same HeitzSync version on every node.");
                }
            }
            if (length < PackageFormat.HeaderLength)
            {
                throw Reject(PackageRejectionReason.Truncated,
                    $"Package {_name} is incomplete: {length} bytes, not even its header. It was not applied; the transfer was cut, so transfer it again (the next run does).");
            }

            var ownKeyId = _key.KeyIdBytes;
            if (!PackageFormat.FixedTimeEquals(header, PackageFormat.KeyIdOffset, ownKeyId, 0, ownKeyId.Length))
            {
                // Another key, or our key id damaged? With our key id put back, a header made with our key verifies.
                var repaired = (byte[])header.Clone();
                Buffer.BlockCopy(ownKeyId, 0, repaired, PackageFormat.KeyIdOffset, ownKeyId.Length);
                if (!HeaderTagMatches(repaired))
                {
                    var theirs = SyncKey.ToHex(header, PackageFormat.KeyIdOffset, SyncKey.KeyIdLength);
                    throw new PackageRejectedException(_path, PackageRejectionReason.WrongKey,
                        $"Package {_name} was made with group key {theirs}, but this node holds group key {_key.KeyId}. It was not applied: install the same group key on every node ({FrontCommands.NewKey} once, then copy that key file to every node).")
                    {
                        PackageKeyId = theirs,
                        NodeKeyId = _key.KeyId,
                    };
                }
                throw Tampered("its key id field was changed");
            }
            if (!HeaderTagMatches(header)) throw Tampered("its header was changed");

            var declared = PackageFormat.ReadUInt64(header, PackageFormat.FileLengthOffset);
            if ((ulong)length < declared)
            {
                throw Reject(PackageRejectionReason.Truncated,
                    $"Package {_name} is incomplete: {length} of its {declared} bytes. It was not applied; the transfer was cut, so transfer it again (the next run does).");
            }
            if ((ulong)length > declared)
            {
                throw Tampered($"{(ulong)length - declared} bytes were added after its end");
            }
            if (length < PackageFormat.MinimumLength) throw Tampered("it is too short to hold a body and a manifest");

            VerifyMac(header, length, cancellationToken);

            // Authenticated from here on: a structure that does not add up comes from a broken writer, not from transit.
            var lengths = ReadAt(length - PackageFormat.MacLength - PackageFormat.TrailerLengthsLength, PackageFormat.TrailerLengthsLength);
            var bodyLength = PackageFormat.ReadUInt64(lengths, 0);
            var manifestLength = PackageFormat.ReadUInt32(lengths, 8);
            var expected = (ulong)PackageFormat.HeaderLength + bodyLength + PackageFormat.IvLength + manifestLength
                + PackageFormat.TrailerLengthsLength + PackageFormat.MacLength;
            if (bodyLength == 0 || bodyLength % PackageFormat.AesBlock != 0 || bodyLength > (ulong)length
                || manifestLength == 0 || manifestLength % PackageFormat.AesBlock != 0 || manifestLength > PackageFormat.MaximumManifestLength
                || expected != (ulong)length)
            {
                throw Reject(PackageRejectionReason.UnsupportedFormat,
                    $"Package {_name} is authentic but its layout does not add up (body {bodyLength}, manifest {manifestLength}, file {length} bytes). It was not applied: run the same HeitzSync version on every node.");
            }

            var manifest = ReadManifest(PackageFormat.HeaderLength + (long)bodyLength, (int)manifestLength);
            var payloadIv = new byte[PackageFormat.IvLength];
            Buffer.BlockCopy(header, PackageFormat.PayloadIvOffset, payloadIv, 0, payloadIv.Length);
            return new PackageReader(_path, _key, _file, payloadIv, (long)bodyLength, manifest);
        }

        private bool HeaderTagMatches(byte[] header)
        {
            var tag = PackageFormat.HeaderTag(_key.HeaderKey, header);
            return PackageFormat.FixedTimeEquals(tag, 0, header, PackageFormat.HeaderTagOffset, PackageFormat.HeaderTagLength);
        }

        /// <summary>HMAC over bytes 0..34, then 58..L-32, then 34..58, streamed; compared in constant time.</summary>
        private void VerifyMac(byte[] header, long length, CancellationToken cancellationToken)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key.MacKey);
            hmac.AppendData(header, 0, PackageFormat.FileLengthOffset);
            _file.Position = PackageFormat.HeaderLength;
            var buffer = new byte[PackageFormat.BufferSize];
            var left = length - PackageFormat.HeaderLength - PackageFormat.MacLength;
            while (left > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = _file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read <= 0)
                {
                    throw Reject(PackageRejectionReason.Truncated,
                        $"Package {_name} became shorter while it was checked. It was not applied; transfer it again.");
                }
                hmac.AppendData(buffer, 0, read);
                left -= read;
            }
            hmac.AppendData(header, PackageFormat.FileLengthOffset, PackageFormat.HeaderLength - PackageFormat.FileLengthOffset);
            var expected = hmac.GetHashAndReset();
            var actual = ReadAt(length - PackageFormat.MacLength, PackageFormat.MacLength);
            if (actual.Length != PackageFormat.MacLength || !PackageFormat.FixedTimeEquals(expected, 0, actual, 0, PackageFormat.MacLength))
            {
                throw Tampered("its content does not match its MAC");
            }
        }

        private PackageManifest ReadManifest(long position, int encryptedLength)
        {
            var iv = ReadAt(position, PackageFormat.IvLength);
            var encrypted = ReadAt(position + PackageFormat.IvLength, encryptedLength);
            try
            {
                using var aes = Aes.Create();
                aes.Key = _key.EncryptionKey;
                aes.IV = iv;
                using var decryptor = aes.CreateDecryptor();
                var json = decryptor.TransformFinalBlock(encrypted, 0, encrypted.Length);
                var manifest = JsonSerializer.Deserialize<PackageManifest>(json, PackageFormat.Json)
                    ?? throw new JsonException("The manifest is null.");
                if (manifest.FormatVersion != PackageFormat.Version)
                {
                    throw Reject(PackageRejectionReason.UnsupportedFormat,
                        $"Package {_name} has a manifest of format {manifest.FormatVersion}; this HeitzSync reads format {PackageFormat.Version}. It was not applied: run the same HeitzSync version on every node.");
                }
                return manifest with { TableCounts = manifest.TableCounts ?? new Dictionary<string, long>(), PayloadSha256 = manifest.PayloadSha256 ?? "" };
            }
            catch (Exception ex) when (ex is JsonException or CryptographicException or NotSupportedException)
            {
                throw new PackageRejectedException(_path, PackageRejectionReason.UnsupportedFormat,
                    $"Package {_name} is authentic but its manifest cannot be read by this HeitzSync. It was not applied: run the same HeitzSync version on every node.", ex);
            }
        }

        private byte[] ReadAt(long position, int count)
        {
            var bytes = new byte[count];
            _file.Position = position;
            var done = 0;
            while (done < count)
            {
                var read = _file.Read(bytes, done, count - done);
                if (read <= 0) break;
                done += read;
            }
            if (done == count) return bytes;
            var shorter = new byte[done];
            Buffer.BlockCopy(bytes, 0, shorter, 0, done);
            return shorter;
        }

        private PackageRejectedException Reject(PackageRejectionReason reason, string message) => new(_path, reason, message);

        private PackageRejectedException Tampered(string detail) => Reject(PackageRejectionReason.Tampered,
            $"Package {_name} failed authentication ({detail}): it was changed or damaged after it was made. It was not applied; set it aside and have it made and sent again (the next run does).");
    }
}
