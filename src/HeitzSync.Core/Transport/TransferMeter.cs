using System.Diagnostics;
using System.Security.Cryptography;

namespace HeitzSync.Core.Transport;

/// <summary>
/// Bookkeeping of one upload or download across its attempts: the SHA-256 of the file as sent or received (restarted
/// at each attempt, the resumed prefix hashed from the local copy), the bytes moved over the link, and progress
/// reports at a sane rate: the first, then after each percent of the file or half a second, and the last.
/// </summary>
internal sealed class TransferMeter : IDisposable
{
    private static readonly long ReportInterval = Stopwatch.Frequency / 2;
    private readonly IProgress<TransferProgress>? _progress;
    private readonly long _step;
    private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _reportedBytes = -1;
    private long _reportedAt;

    public TransferMeter(string name, long total, string? expectedSha256, IProgress<TransferProgress>? progress)
    {
        Name = name;
        Total = total;
        ExpectedSha256 = NormalizeExpected(expectedSha256);
        _progress = progress;
        _step = Math.Max(256 * 1024, total / 100);
    }

    public string Name { get; }
    public long Total { get; private set; }
    public string? ExpectedSha256 { get; }

    /// <summary>Position in the file reached by the current attempt.</summary>
    public long Done { get; private set; }
    public long Moved { get; private set; }
    public int Attempts { get; private set; }

    /// <summary>Starts an attempt: the hash starts over.</summary>
    public void BeginAttempt(long total)
    {
        Attempts++;
        Total = total;
        Done = 0;
        _hash.Dispose();
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    /// <summary>Hashes the first <paramref name="length"/> bytes of <paramref name="local"/> (the part not sent again).</summary>
    public void HashPrefix(Stream local, long length, Action? keepAlive = null)
    {
        local.Position = 0;
        var buffer = new byte[1 << 20];
        var left = length;
        while (left > 0)
        {
            var read = local.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read <= 0) throw new IOException($"{Name}: the local copy is shorter than expected ({length - left} of {length} bytes).");
            _hash.AppendData(buffer, 0, read);
            left -= read;
            keepAlive?.Invoke();
        }
        Done = length;
    }

    /// <summary>Counts bytes that went over the link and belong to the file at the current position.</summary>
    public void Add(byte[] buffer, int offset, int count)
    {
        _hash.AppendData(buffer, offset, count);
        Done += count;
        Moved += count;
        Report(final: false);
    }

    /// <summary>Counts bytes moved that are not hashed again (a resume's overlap, compared with the local copy).</summary>
    public void AddMovedOnly(int count) => Moved += count;

    public void Report(bool final)
    {
        if (_progress is null) return;
        var now = Stopwatch.GetTimestamp();
        if (final || _reportedBytes < 0 || Done - _reportedBytes >= _step || (now - _reportedAt >= ReportInterval && Done != _reportedBytes))
        {
            if (final && Done == _reportedBytes) return;
            _progress.Report(new TransferProgress(Name, Done, Total));
            _reportedBytes = Done;
            _reportedAt = now;
        }
    }

    /// <summary>Ends the attempt: the SHA-256 of the whole file as lower-case hex.</summary>
    public string FinishHash()
    {
        Report(final: true);
        return Hex(_hash.GetHashAndReset());
    }

    public bool Matches(string sha256) => ExpectedSha256 is null || string.Equals(ExpectedSha256, sha256, StringComparison.Ordinal);

    public TransferResult Result(string sha256) => new()
    {
        Name = Name,
        Length = Total,
        Sha256 = sha256,
        BytesTransferred = Moved,
        Attempts = Attempts,
    };

    public static string Hex(byte[] bytes)
    {
        var chars = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
            chars[2 * i + 1] = "0123456789abcdef"[bytes[i] & 15];
        }
        return new string(chars);
    }

    private static string? NormalizeExpected(string? expected)
    {
        if (expected is null) return null;
        var hex = expected.Trim().ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new ArgumentException($"'{expected}' is not a SHA-256 (64 hex digits).", nameof(expected));
        }
        return hex;
    }

    public void Dispose() => _hash.Dispose();
}
