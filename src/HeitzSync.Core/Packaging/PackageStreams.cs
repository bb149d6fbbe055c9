using System.Security.Cryptography;

namespace HeitzSync.Core.Packaging;

/// <summary>Base for the write-through streams of the package writer: they never dispose what they wrap.</summary>
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

/// <summary>The payload as the caller writes it: SHA-256 and length of the plaintext, then on to compression.</summary>
internal sealed class HashingStream : PassThroughWriteStream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _hash;

    public HashingStream(Stream inner) : base(inner) { }

    public override long Length => Written;
    public long Written { get; private set; }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (_hash is not null) throw new InvalidOperationException("The package payload is already sealed.");
        _sha.AppendData(buffer, offset, count);
        Written += count;
        Inner.Write(buffer, offset, count);
    }

    public string HashHex()
    {
        _hash ??= _sha.GetHashAndReset();
        return SyncKey.ToHex(_hash, _hash.Length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            Inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Reads a window of a file (the body), then reports end of stream.</summary>
internal sealed class WindowStream : Stream
{
    private readonly Stream _inner;
    private long _left;

    public WindowStream(Stream inner, long start, long length)
    {
        _inner = inner;
        _inner.Position = start;
        _left = length;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_left <= 0) return 0;
        var read = _inner.Read(buffer, offset, (int)Math.Min(count, _left));
        if (read == 0) throw new EndOfStreamException("The package ended before its body did.");
        _left -= read;
        return read;
    }

    public override bool CanRead => true;
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
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The decompressed payload as read: at its end, length and SHA-256 must match the manifest.</summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly PackageManifest _manifest;
    private readonly string _path;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public VerifyingReadStream(Stream inner, PackageManifest manifest, string path)
    {
        _inner = inner;
        _manifest = manifest;
        _path = path;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int read;
        try
        {
            read = _inner.Read(buffer, offset, count);
        }
        catch (Exception ex) when (ex is CryptographicException or InvalidDataException)
        {
            throw new PackageRejectedException(_path, PackageRejectionReason.PayloadMismatch, $"Package {Path.GetFileName(_path)} could not be decoded ({ex.Message}). It was not applied.");
        }
        if (read > 0)
        {
            _sha.AppendData(buffer, offset, read);
            _read += read;
            if (_read > _manifest.PayloadLength) Fail();
        }
        else if (!_verified)
        {
            var hash = _sha.GetHashAndReset();
            if (_read != _manifest.PayloadLength || !string.Equals(SyncKey.ToHex(hash, hash.Length), _manifest.PayloadSha256, StringComparison.OrdinalIgnoreCase)) Fail();
            _verified = true;
        }
        return read;
    }

    private void Fail() => throw new PackageRejectedException(_path, PackageRejectionReason.PayloadMismatch,
        $"The payload of package {Path.GetFileName(_path)} does not match its manifest (length or SHA-256). It was not applied.");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _manifest.PayloadLength;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _sha.Dispose();
        }
        base.Dispose(disposing);
    }
}
