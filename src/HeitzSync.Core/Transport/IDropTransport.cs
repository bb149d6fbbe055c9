namespace HeitzSync.Core.Transport;

/// <summary>
/// Access to the Siège drop (DESIGN.md §5) from one node: a local or mounted folder, or an FTP/FTPS server.
/// Every path is a <see cref="DropPath"/>, built from validated segments only, relative to the drop root.
/// Implementations publish by rename (write <c>name.part</c>, then rename), so a reader never sees half a file,
/// and never put a credential in an exception message, a log line or <see cref="Description"/>.
/// </summary>
public interface IDropTransport : IDisposable
{
    /// <summary>Where this transport points, for logs and reports (e.g. <c>ftps://siege.example:21/</c>); no secret.</summary>
    string Description { get; }

    /// <summary>The entries of the drop this transport left alone (a link, a special file, a name HeitzSync never
    /// writes), each once with where and why, for the night's report. Hostile or stray entries never fail a night.</summary>
    IReadOnlyList<string> Refused { get; }

    /// <summary>Files (not folders) directly inside <paramref name="folder"/>; an empty list when the folder does not exist.
    /// Files still being written (<c>*.part</c>) are not listed, nor entries that are not plain files with a valid drop
    /// name (links, special files, other names): those go to <see cref="Refused"/>.</summary>
    Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken);

    /// <summary>Creates <paramref name="folder"/> and its parents when missing.</summary>
    Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken);

    /// <summary>Uploads a local file to <paramref name="remote"/>: into <c>remote.part</c> (resuming a previous
    /// partial upload of the same file when one is there), checks the remote size, then renames over any existing file.
    /// A transfer that arrived short is never renamed into place.</summary>
    /// <returns>The size and SHA-256 of what was published, and what this call moved (less than the size after a resume).</returns>
    Task<TransferResult> UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>As <see cref="UploadAsync(string, DropPath, IProgress{TransferProgress}?, CancellationToken)"/>, and when
    /// <paramref name="expectedSha256"/> (64 hex digits) is given, the SHA-256 of the bytes sent must equal it, or nothing is
    /// put in place (<see cref="DropTransportErrorKind.IntegrityMismatch"/>). Null: no expectation, the hash is only reported.</summary>
    Task<TransferResult> UploadAsync(string localPath, DropPath remote, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Downloads <paramref name="remote"/> to <paramref name="localPath"/> through <c>localPath.part</c>
    /// (resuming a previous partial download when its bytes match), checks the size, then moves it into place.</summary>
    /// <returns>The size and SHA-256 of what was received, and what this call moved.</returns>
    Task<TransferResult> DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>As <see cref="DownloadAsync(DropPath, string, IProgress{TransferProgress}?, CancellationToken)"/>, and when
    /// <paramref name="expectedSha256"/> is given, a file whose SHA-256 differs is deleted instead of put in place
    /// (<see cref="DropTransportErrorKind.IntegrityMismatch"/>).</summary>
    Task<TransferResult> DownloadAsync(DropPath remote, string localPath, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Reads a small file whole (siege.json, ack.json); null when it does not exist.</summary>
    Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken);

    /// <summary>Writes a small file whole, atomically (through <c>.part</c> and a rename).</summary>
    Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken);

    /// <summary>Deletes a file; no error when it is already gone.</summary>
    Task DeleteAsync(DropPath remote, CancellationToken cancellationToken);

    /// <summary>When the drop last changed a file, by the drop's own clock (FTP MDTM); null when it does not exist.
    /// Used to measure the clock skew between a node and the Siège.</summary>
    Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken);

    /// <summary>Moves a file within the drop (e.g. into a quarantine folder); replaces the target.</summary>
    Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken);
}

/// <summary>One file in a drop folder.</summary>
public sealed record DropEntry(string Name, long Length, DateTimeOffset? LastModifiedUtc);

/// <summary>How far a transfer is: for Write-Progress and the console front.</summary>
public readonly record struct TransferProgress(string Name, long BytesDone, long TotalBytes);
