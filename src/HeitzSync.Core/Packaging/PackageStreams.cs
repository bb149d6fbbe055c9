using System.Security.Cryptography;

namespace HeitzSync.Core.Packaging;

/// <summary>Base for the write-through streams of the package writer: they never dispose what they wrap (the writer owns it).</summary>
internal abstract class PassThroughWriteStream : Stream
{
    protected PassThroughWriteStream(Stream inner) => Inner = inner;

    protected Stream Inner { get; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => Inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Feeds every byte written to an HMAC-SHA256 before passing it on.</summary>
internal sealed class MacStream : PassThroughWriteStream
{
    private readonly IncrementalHash _hmac;

    public MacStream(Stream inner, byte[] key) : base(inner) => _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);

    public override void Write(byte[] buffer, int offset, int count)
    {
        _hmac.AppendData(buffer, offset, count);
        Inner.Write(buffer, offset, count);
    }

    /// <summary>Authenticates bytes that are not written here (the header fields patched in at the end).</summary>
    public void AppendUnwritten(byte[] bytes) => _hmac.AppendData(bytes);

    public byte[] Finish() => _hmac.GetHashAndReset();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hmac.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Counts the bytes written (the body's ciphertext length).</summary>
internal sealed class CountingStream : PassThroughWriteStream
{
    public CountingStream(Stream inner) : base(inner) { }

    public long Count { get; private set; }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Count += count;
        Inner.Write(buffer, offset, count);
    }
}

/// <summary>
/// The payload as the caller writes it: counts it and hashes it (SHA-256) before compression. Small writes (a
/// BinaryWriter writes value by value) are gathered into blocks first, so hashing and Deflate see large calls.
/// Flush does nothing (a flushed Deflate block costs compression; everything is flushed when the package is
/// completed), and disposing it only closes it: the writer owns what is behind it, so a caller's <c>using</c> cannot
/// break <see cref="PackageWriter.Complete"/>.
/// </summary>
internal sealed class PayloadWriteStream : PassThroughWriteStream
{
    private const int BlockSize = 64 * 1024;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _block = new byte[BlockSize];
    private int _pending;
    private bool _closed;
    private bool _sealed;

    public PayloadWriteStream(Stream inner) : base(inner) { }

    public long Written { get; private set; }
    public override bool CanWrite => !_closed && !_sealed;

    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfNotWritable();
        if (buffer is null) throw new ArgumentNullException(nameof(buffer));
        if (offset < 0 || count < 0 || offset > buffer.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
        Written += count;
        if (_pending + count <= BlockSize)
        {
            Buffer.BlockCopy(buffer, offset, _block, _pending, count);
            _pending += count;
            return;
        }
        WritePending();
        if (count >= BlockSize)
        {
            Forward(buffer, offset, count);
        }
        else
        {
            Buffer.BlockCopy(buffer, offset, _block, 0, count);
            _pending = count;
        }
    }

    public override void WriteByte(byte value)
    {
        ThrowIfNotWritable();
        if (_pending == BlockSize) WritePending();
        _block[_pending++] = value;
        Written++;
    }

    public override void Flush() { }

    /// <summary>Passes on what is still gathered, stops further writes and returns the SHA-256 of everything written, in hex.</summary>
    public string Seal()
    {
        WritePending();
        _sealed = true;
        return SyncKey.ToHex(_sha.GetHashAndReset());
    }

    public void Release() => _sha.Dispose();

    private void WritePending()
    {
        if (_pending == 0) return;
        Forward(_block, 0, _pending);
        _pending = 0;
    }

    private void Forward(byte[] buffer, int offset, int count)
    {
        _sha.AppendData(buffer, offset, count);
        Inner.Write(buffer, offset, count);
    }

    private void ThrowIfNotWritable()
    {
        if (_sealed) throw new InvalidOperationException("The package is already complete: its payload cannot change.");
        if (_closed) throw new ObjectDisposedException(nameof(PackageWriter.Payload), "The package payload stream was closed.");
    }

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }
}

/// <summary>
/// Reads the body window of the reader's own open file, keeping its own position: the payload comes from the very
/// file handle whose bytes were authenticated, not from whatever the path names by then.
/// </summary>
internal sealed class WindowStream : Stream
{
    private readonly FileStream _file;
    private readonly Action _onDispose;
    private long _position;
    private readonly long _end;
    private bool _disposed;

    public WindowStream(FileStream file, long start, long length, Action onDispose)
    {
        _file = file;
        _position = start;
        _end = start + length;
        _onDispose = onDispose;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(WindowStream));
        var wanted = (int)Math.Min(count, _end - _position);
        if (wanted <= 0) return 0;
        _file.Position = _position;
        var read = _file.Read(buffer, offset, wanted);
        if (read == 0) throw new EndOfStreamException("The package file ended before its body did.");
        _position += read;
        return read;
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _onDispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// The decompressed payload as it is read. Counts and hashes it; at its end (the first Read that returns 0), length and
/// SHA-256 must match the manifest, else <see cref="PackageRejectedException"/> (<see cref="PackageRejectionReason.PayloadMismatch"/>).
/// Reads from the decompressor in blocks, so a BinaryReader's byte-by-byte reads stay cheap.
/// A consumer must read to the end before it commits anything.
/// </summary>
internal sealed class VerifyingReadStream : Stream
{
    private const int BlockSize = 64 * 1024;
    private readonly Stream _inner;
    private readonly PackageManifest _manifest;
    private readonly string _path;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _block = new byte[BlockSize];
    private int _start;
    private int _end;
    private long _decoded;
    private long _handedOut;
    private bool _atEnd;
    private bool _disposed;

    public VerifyingReadStream(Stream inner, PackageManifest manifest, string path)
    {
        _inner = inner;
        _manifest = manifest;
        _path = path;
    }

    private string Name => Path.GetFileName(_path);

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(VerifyingReadStream));
        if (buffer is null) throw new ArgumentNullException(nameof(buffer));
        if (offset < 0 || count < 0 || offset > buffer.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
        if (count == 0) return 0;
        if (_start == _end)
        {
            if (_atEnd) return 0;
            if (count >= BlockSize)
            {
                // Large reads go straight through, without a copy.
                var direct = Decode(buffer, offset, count);
                _handedOut += direct;
                return direct;
            }
            _start = 0;
            _end = Decode(_block, 0, BlockSize);
            if (_end == 0) return 0;
        }
        var n = Math.Min(count, _end - _start);
        Buffer.BlockCopy(_block, _start, buffer, offset, n);
        _start += n;
        _handedOut += n;
        return n;
    }

    public override int ReadByte()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(VerifyingReadStream));
        if (_start == _end)
        {
            if (_atEnd) return -1;
            _start = 0;
            _end = Decode(_block, 0, BlockSize);
            if (_end == 0) return -1;
        }
        _handedOut++;
        return _block[_start++];
    }

    /// <summary>Reads from the decompressor, hashing what comes; at its end, checks it all against the manifest.</summary>
    private int Decode(byte[] buffer, int offset, int count)
    {
        int read;
        try
        {
            read = _inner.Read(buffer, offset, count);
        }
        catch (EndOfStreamException ex)
        {
            throw new PackageRejectedException(_path, PackageRejectionReason.Truncated,
                $"Package {Name} became shorter while its payload was read (was it replaced or cut?). Nothing of it may be applied; receive it again.", ex);
        }
        catch (Exception ex) when (ex is CryptographicException or InvalidDataException)
        {
            throw new PackageRejectedException(_path, PackageRejectionReason.PayloadMismatch,
                $"The payload of package {Name} could not be decoded although the package was authenticated (was the file changed while it was read?). Nothing of it may be applied; receive it again.", ex);
        }
        if (read > 0)
        {
            _sha.AppendData(buffer, offset, read);
            _decoded += read;
            if (_decoded > _manifest.PayloadLength) throw Mismatch();
            return read;
        }
        var hash = SyncKey.ToHex(_sha.GetHashAndReset());
        if (_decoded != _manifest.PayloadLength || !string.Equals(hash, _manifest.PayloadSha256, StringComparison.OrdinalIgnoreCase)) throw Mismatch();
        _atEnd = true;
        return 0;
    }

    private PackageRejectedException Mismatch() => new(_path, PackageRejectionReason.PayloadMismatch,
        $"The payload of package {Name} does not match its manifest ({_decoded} bytes decoded, {_manifest.PayloadLength} announced, or another SHA-256). Nothing of it may be applied; have it made again.");

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _handedOut; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _inner.Dispose();
            _sha.Dispose();
        }
        base.Dispose(disposing);
    }
}
