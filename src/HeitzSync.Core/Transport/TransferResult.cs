namespace HeitzSync.Core.Transport;

/// <summary>What one finished upload or download put in place.</summary>
public sealed record TransferResult
{
    /// <summary>The file name (last segment of the drop path).</summary>
    public required string Name { get; init; }

    /// <summary>Size of the file now in place, in bytes.</summary>
    public required long Length { get; init; }

    /// <summary>SHA-256 (64 lower-case hex digits) of the whole file as this side sent or received it, resumed prefix included.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Bytes this call moved over the link or between folders, all attempts together: less than
    /// <see cref="Length"/> when a previous partial transfer was resumed, more when a cut made a retry resend a little.</summary>
    public required long BytesTransferred { get; init; }

    /// <summary>How many attempts the transfer took (1 when nothing went wrong).</summary>
    public required int Attempts { get; init; }
}
