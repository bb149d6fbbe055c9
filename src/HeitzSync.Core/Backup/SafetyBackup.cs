using System.Diagnostics;
using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Backup;

/// <summary>
/// The site's safety net (DESIGN.md §7): a full gbak backup named <c>&lt;db&gt;_&lt;yyyyMMdd-HHmmss&gt;.fbk</c> (UTC,
/// sortable; <c>-2</c>, <c>-3</c>... when that name exists), written under a temporary name and given its final name
/// only once a restore of it has been verified; then the newest <c>keep</c> backups of that database are kept and
/// older ones removed. Only files named by this class are ever removed: anything else in the folder is left alone.
/// </summary>
public sealed class SafetyBackup
{
    public const int DefaultKeep = 10;

    private readonly FbBackupService _gbak;

    public SafetyBackup(FbBackupService? gbak = null) => _gbak = gbak ?? new FbBackupService();

    /// <summary>The clock that names backups (UTC); tests set it to make two backups in the same second.</summary>
    internal Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

    /// <summary>Called with the temporary file once gbak has written it and before it is verified; tests damage it here.</summary>
    internal Action<string>? AfterBackupWritten { get; set; }

    /// <summary>
    /// Backs <paramref name="database"/> up into <paramref name="folder"/>, verifies the backup by restoring it, gives it
    /// its final name, then keeps the newest <paramref name="keep"/> backups of that database.
    /// Cancelling removes the partial file. Failures throw <see cref="BackupFailedException"/>, naming the database
    /// (never its password) and the folder, and saying what to check.
    /// </summary>
    public async Task<BackupResult> RunAsync(FbConnectionSettings database, string folder, int keep, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        if (database is null) throw new ArgumentNullException(nameof(database));
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("A backup folder is required.", nameof(folder));
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "backup.keep must be at least 1: the backup just made is always kept.");
        folder = Path.GetFullPath(folder);
        var name = BackupNames.DatabaseName(database);
        var watch = Stopwatch.StartNew();
        var notes = new List<string>();

        try
        {
            // Backups hold the members' names and e-mails: the folder HeitzSync makes is its account's alone (0700 on Unix).
            Secrets.UnixPermissions.CreatePrivateFolder(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupFailedException($"The safety backup of {database} failed: the backup folder {folder} could not be created ({ex.Message.TrimEnd('.')}): " +
                "give this account write access there, or set backup.folder to a folder it may write.", ex is UnauthorizedAccessException ? "BackupFolderNotWritable" : "BackupFailed", null, ex);
        }
        RemoveLeftovers(folder, name, notes, progress);

        var final = NextFreeName(folder, name, UtcNow());
        var temporary = BackupNames.TemporaryFor(final);
        var step = BackupStep.Write;
        try
        {
            // gbak writes into a file made here, owner-only while still empty, so no backup is ever readable by others
            // (a file gbak created would take the umask's mode, 0644 as a rule). Where it cannot be made, gbak says why.
            var ownerOnly = CreateOwnerOnly(temporary);
            await _gbak.BackupAsync(database, temporary, Forward(progress, BackupPhase.Backup), cancellationToken).ConfigureAwait(false);
            if (!ownerOnly) Secrets.UnixPermissions.Restrict(temporary, Secrets.UnixPermissions.OwnerReadWrite);
            FaultPoints.Hit("backup.during");
            AfterBackupWritten?.Invoke(temporary);
            cancellationToken.ThrowIfCancellationRequested();
            step = BackupStep.Verify;
            await _gbak.VerifyAsync(temporary, Forward(progress, BackupPhase.Verify), cancellationToken).ConfigureAwait(false);
            step = BackupStep.Rename;
            File.Move(temporary, final);
        }
        catch (OperationCanceledException)
        {
            DeleteQuietly(temporary);
            throw;
        }
        catch (Exception ex) when (ex is FbException or IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(temporary);
            throw Failure(database, folder, step, ex);
        }

        var size = new FileInfo(final).Length;
        var deleted = Rotate(folder, name, keep, final, notes, progress);
        return new BackupResult(final, size, watch.Elapsed, Verified: true, deleted) { Notes = notes };
    }

    /// <summary>Makes <paramref name="path"/> empty and owner-only (0600); false when it cannot be made (gbak then tries,
    /// and says why it cannot).</summary>
    private static bool CreateOwnerOnly(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
            Secrets.UnixPermissions.Restrict(path, Secrets.UnixPermissions.OwnerReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(path);
            return false;
        }
    }

    /// <summary>This database's safety backups in <paramref name="folder"/>, newest first (by the time in their names).</summary>
    public static IReadOnlyList<BackupFile> ListBackups(string folder, string databaseName)
    {
        if (string.IsNullOrWhiteSpace(folder) || !Directory.Exists(folder)) return Array.Empty<BackupFile>();
        var name = BackupNames.Sanitize(databaseName);
        var found = new List<BackupFile>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles(name + "_*.fbk"))
        {
            if (!BackupNames.TryParse(file.Name, name, out var takenUtc, out var sequence)) continue;
            found.Add(new BackupFile(file.FullName, file.Name, name, takenUtc, sequence, file.Length));
        }
        return found.OrderByDescending(f => f.TakenUtc).ThenByDescending(f => f.Sequence).ToList();
    }

    /// <summary>The safety backups of <paramref name="database"/> in <paramref name="folder"/>, newest first.</summary>
    public static IReadOnlyList<BackupFile> ListBackups(string folder, FbConnectionSettings database) =>
        ListBackups(folder, BackupNames.DatabaseName(database));

    /// <summary>The name backups of this database carry: its file name without extension (or its server alias), made file-name safe.</summary>
    public static string DatabaseName(FbConnectionSettings database) => BackupNames.DatabaseName(database);

    private static string NextFreeName(string folder, string name, DateTime utc)
    {
        var stamp = utc.ToString(BackupNames.StampFormat, CultureInfo.InvariantCulture);
        var final = Path.Combine(folder, $"{name}_{stamp}.fbk");
        for (var n = 2; File.Exists(final) || File.Exists(BackupNames.TemporaryFor(final)); n++)
        {
            final = Path.Combine(folder, $"{name}_{stamp}-{n.ToString(CultureInfo.InvariantCulture)}.fbk");
        }
        return final;
    }

    /// <summary>Keeps the newest <paramref name="keep"/>; the backup just made is always one of them, even when the clock went back.</summary>
    private static IReadOnlyList<string> Rotate(string folder, string name, int keep, string justMade, List<string> notes, IProgress<BackupProgress>? progress)
    {
        var others = ListBackups(folder, name).Where(f => !string.Equals(f.Path, justMade, StringComparison.Ordinal));
        var deleted = new List<string>();
        foreach (var old in others.Skip(keep - 1))
        {
            try
            {
                File.Delete(old.Path);
                deleted.Add(old.Path);
                progress?.Report(new BackupProgress(BackupPhase.Rotate, "removed " + old.Name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The new backup is made and verified: an old one that cannot go is a note, not a failure.
                var note = $"could not remove the old backup {old.Name}: {ex.Message}";
                notes.Add(note);
                progress?.Report(new BackupProgress(BackupPhase.Rotate, note));
            }
        }
        return deleted;
    }

    /// <summary>Temporary files of this database left by a backup whose process died (power cut, kill): they only take space.</summary>
    private static void RemoveLeftovers(string folder, string name, List<string> notes, IProgress<BackupProgress>? progress)
    {
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles(name + "_*.part"))
        {
            if (!BackupNames.TryParseTemporary(file.Name, name, out var processId) || Runs.ProcessCheck.IsRunning(processId, null)) continue;
            try
            {
                file.Delete();
                var note = $"removed {file.Name}, left by an interrupted backup";
                notes.Add(note);
                progress?.Report(new BackupProgress(BackupPhase.Backup, note));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                notes.Add($"could not remove {file.Name}, left by an interrupted backup: {ex.Message}");
            }
        }
    }

    private enum BackupStep { Write, Verify, Rename }

    /// <summary>
    /// One sentence that names the cause gbak gave (or the file system's), and what to do about it, with the stable
    /// error id of that cause; gbak's own lines go into the exception's detail, for the report.
    /// </summary>
    private static BackupFailedException Failure(FbConnectionSettings database, string folder, BackupStep step, Exception ex)
    {
        // FbConnectionSettings.ToString never shows the password.
        var failed = $"The safety backup of {database} into {folder} failed";
        var gbak = ex as GbakException;
        var cause = gbak is null ? "" : Cause(gbak.Message);
        var temporary = Path.GetTempPath();
        var (errorId, sentence) = (gbak?.Failure, step) switch
        {
            (GbakFailure.DatabaseNotFound, _) => ("DatabaseNotFound", $"{cause}: check database.path in the configuration" + (database.IsEmbedded ? "" : " (a server path is the server's own)")),
            (GbakFailure.DatabaseAccessDenied, _) => ("DatabaseAccessDenied", $"{cause}: give {(database.IsEmbedded ? "this account" : "the server's account (firebird)")} read and write access to it"),
            (GbakFailure.DatabaseInUse, _) => ("DatabaseInUse", $"{cause}: close that program during the night, or serve the database through a Firebird server (database.server)"),
            (GbakFailure.NotADatabase, _) => ("NotADatabase", $"{cause}: check that database.path points at this node's database"),
            (GbakFailure.LoginFailed, _) => ("DatabaseLoginFailed", $"{cause}: check database.user and the password stored under database.passwordSecret"),
            (GbakFailure.ServerUnreachable, _) => ("DatabaseUnreachable", $"{cause}: check that the Firebird server runs and database.server and database.port"),
            (GbakFailure.OutputNotWritable, BackupStep.Verify) => ("BackupFolderNotWritable", $"the verification could not create its temporary database in {temporary}: give this account write access there (or set TMPDIR/TEMP to a folder it may write)"),
            (GbakFailure.OutputNotWritable, _) => ("BackupFolderNotWritable", $"gbak cannot create the backup file in {folder}: the folder is read-only or this account may not write there; give it write access or set backup.folder to a folder it may write"),
            (GbakFailure.DiskFull, BackupStep.Verify) => ("DiskFull", $"the disk of the temporary folder {temporary} is full ({FreeSpace(temporary)}) while verifying the backup: free space there"),
            (GbakFailure.DiskFull, _) => ("DiskFull", $"the disk of {folder} is full ({FreeSpace(folder)}): free space there, lower backup.keep, or set backup.folder to a larger disk"),
            (_, BackupStep.Verify) => ("BackupNotVerified", $"the backup did not restore (verification failed), so it was not kept: check the disk of {folder} ({FreeSpace(folder)}) and run the backup again ({(gbak is null ? ex.Message.TrimEnd('.') : cause)})"),
            (_, BackupStep.Rename) => ("BackupFailed", $"the verified backup could not be given its final name in {folder} ({ex.Message.TrimEnd('.')})"),
            _ => ("BackupFailed", $"{ex.Message.TrimEnd('.')}. Check the free space there ({FreeSpace(folder)}), that this account may write there, and that gbak can open the database"),
        };
        return new BackupFailedException($"{failed}: {sentence}.", errorId, gbak?.Output, ex);
    }

    /// <summary>The cause part of gbak's message ("gbak backup of ... failed (exit code 1): the database file ... does not exist.").</summary>
    private static string Cause(string gbakMessage)
    {
        var at = gbakMessage.IndexOf("): ", StringComparison.Ordinal);
        return (at < 0 ? gbakMessage : gbakMessage.Substring(at + 3)).TrimEnd('.');
    }

    internal static string FreeSpace(string folder)
    {
        try
        {
            var free = new DriveInfo(Path.GetPathRoot(folder) is { Length: > 0 } root && IsWindows ? root : folder).AvailableFreeSpace;
            return free >= 1L << 30
                ? (free / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB free"
                : (free / (1L << 20)).ToString(CultureInfo.InvariantCulture) + " MB free";
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return "free space unknown";
        }
    }

    private static bool IsWindows => Path.DirectorySeparatorChar == '\\';

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static IProgress<string>? Forward(IProgress<BackupProgress>? progress, BackupPhase phase) =>
        progress is null ? null : new InlineProgress<string>(line => progress.Report(new BackupProgress(phase, line)));
}
