namespace HeitzSync.Core.Backup;

/// <summary>What a backup or restore is doing; each progress report also carries gbak's own line.</summary>
public enum BackupPhase { Backup, Verify, Rotate, Restore, Replace }

public readonly record struct BackupProgress(BackupPhase Phase, string Line);

/// <summary>One verified safety backup.</summary>
/// <param name="Path">The backup file, under its final name.</param>
/// <param name="Deleted">Older backups of the same database removed by rotation (full paths).</param>
public sealed record BackupResult(string Path, long SizeBytes, TimeSpan Duration, bool Verified, IReadOnlyList<string> Deleted)
{
    /// <summary>Things worth knowing that did not fail the backup (an old backup that could not be removed, a leftover cleaned up).</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
}

/// <summary>A safety backup found in a folder (flat, for Get-ChildItem-like listings and Export-Csv).</summary>
/// <param name="TakenUtc">The time in its name (UTC, to the second).</param>
/// <param name="Sequence">1, or the counter of a backup made within the same second as another.</param>
public sealed record BackupFile(string Path, string Name, string Database, DateTime TakenUtc, int Sequence, long SizeBytes);

/// <summary>What a restore did.</summary>
/// <param name="Database">Where the restored database now is.</param>
/// <param name="PreviousKeptAs">The database file that was there before, kept aside (null when there was none). Deleting it is the caller's choice.</param>
/// <param name="Tables">Tables the restored database lists (user tables).</param>
public sealed record RestoreResult(string Database, string? PreviousKeptAs, int Tables, TimeSpan Duration);

/// <summary>
/// A safety backup that failed: the message is one sentence that names the database (never a password), the folder and
/// the cause, and says what to do; <see cref="ErrorId"/> names the cause (DatabaseNotFound, DiskFull...), and
/// <see cref="Detail"/> holds gbak's own last lines for the report.
/// </summary>
public sealed class BackupFailedException : Exception, Reports.IReportedError
{
    public BackupFailedException(string message, Exception? inner = null) : this(message, "BackupFailed", null, inner) { }

    public BackupFailedException(string message, string errorId, string? detail, Exception? inner = null) : base(message, inner)
    {
        ErrorId = errorId;
        Detail = detail;
    }

    public string ErrorId { get; }

    public string? Detail { get; }
}

/// <summary>A restore that failed; the message says whether the previous database is back in place.</summary>
public sealed class RestoreFailedException : Exception
{
    public RestoreFailedException(string message, Exception? inner = null) : base(message, inner) { }
}
