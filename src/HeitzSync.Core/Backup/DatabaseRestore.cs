using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Backup;

/// <summary>
/// Restores a full gbak backup (a safety backup, or the payload of a full package) over a database file, keeping the
/// previous file aside as <c>&lt;name&gt;.before-&lt;yyyyMMdd-HHmmss&gt;.fdb</c>.
/// <para>
/// The backup is restored beside the database first (<c>&lt;name&gt;.restoring.fdb</c>) and verified there (it opens
/// and lists its tables); only then is the current file moved aside and the restored one moved into its place, and
/// checked again there. If anything fails, the previous file is back under its own name before the error is thrown.
/// While this runs, the current file is held open exclusively, so no Firebird engine (server or embedded) can attach
/// to it and write changes that the restore would silently discard; a database that is in use is refused up front.
/// </para>
/// <para>
/// What is supported: embedded databases (a plain file path), and databases served by a Firebird server on this
/// machine when their path is a file visible here (the server must be able to write in that folder: the restore goes
/// through the server, so the new file belongs to the server's account). A database on another machine, or named by a
/// server alias, is refused: copy the backup there and restore it on that machine.
/// </para>
/// </summary>
public sealed class DatabaseRestore
{
    private readonly FbBackupService _gbak;

    public DatabaseRestore(FbBackupService? gbak = null) => _gbak = gbak ?? new FbBackupService();

    /// <summary>The clock that stamps the name of the previous file (UTC); tests set it.</summary>
    internal Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

    /// <summary>Called with the database path once the restored file is in place and before it is checked there; tests damage it here.</summary>
    internal Action<string>? AfterReplace { get; set; }

    /// <summary>Called on the restored database beside the current one, after it opened and before it is put in place.</summary>
    public delegate Task PrepareRestored(FbConnectionSettings restored, CancellationToken cancellationToken);

    /// <summary>
    /// Restores <paramref name="backupFile"/> over <paramref name="database"/>. <paramref name="prepare"/>, when given,
    /// runs on the restored copy before it replaces the current database (the engine re-identifies a site there); if it
    /// throws, nothing is replaced. Throws <see cref="RestoreFailedException"/> with the previous database in place.
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string backupFile, FbConnectionSettings database, IProgress<BackupProgress>? progress,
        CancellationToken cancellationToken, PrepareRestored? prepare = null)
    {
        if (database is null) throw new ArgumentNullException(nameof(database));
        if (!File.Exists(backupFile)) throw new FileNotFoundException($"The backup {backupFile} does not exist: nothing was restored.", backupFile);
        var target = LocalPathOf(database);
        var watch = Stopwatch.StartNew();
        var folder = Path.GetDirectoryName(target)!;
        var baseName = Path.GetFileNameWithoutExtension(target);
        var restoring = Path.Combine(folder, baseName + ".restoring.fdb");
        var restoredSettings = database with { Database = restoring };
        Directory.CreateDirectory(folder);

        // Held from here to the swap: nobody may write to a database whose content is about to be replaced.
        using var current = HoldExclusively(target, database);
        if (File.Exists(restoring)) File.Delete(restoring);   // left by an interrupted restore; never the live database
        int tables;
        try
        {
            progress?.Report(new BackupProgress(BackupPhase.Restore, $"restoring {Path.GetFileName(backupFile)} beside {Path.GetFileName(target)}"));
            await _gbak.RestoreAsync(backupFile, restoredSettings, replaceExisting: false, Forward(progress, BackupPhase.Restore), cancellationToken).ConfigureAwait(false);
            tables = CheckOpens(restoredSettings);
            progress?.Report(new BackupProgress(BackupPhase.Verify, $"restored copy opens and lists {tables} table(s)"));
            if (prepare is not null) await prepare(restoredSettings, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DeleteQuietly(restoring);
            throw new RestoreFailedException($"The restore of {backupFile} over {database} failed before anything was replaced; the current database is unchanged. {ex.Message}", ex);
        }
        catch (OperationCanceledException)
        {
            DeleteQuietly(restoring);
            throw;
        }

        // The swap: current file aside, restored file into its place. From here on, a failure puts the previous file back.
        string? previous = null;
        try
        {
            if (current is not null)
            {
                previous = Path.Combine(folder, $"{baseName}.before-{UtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.fdb");
                for (var n = 2; File.Exists(previous); n++) previous = Path.Combine(folder, $"{baseName}.before-{UtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{n}.fdb");
                File.Move(target, previous);
                progress?.Report(new BackupProgress(BackupPhase.Replace, $"previous database kept as {Path.GetFileName(previous)}"));
            }
            File.Move(restoring, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var back = PutBack(previous, target);
            DeleteQuietly(restoring);
            throw new RestoreFailedException($"The restored database could not be put in place of {target} ({ex.Message}). {back}", ex);
        }
        finally
        {
            current?.Dispose();
        }

        try
        {
            AfterReplace?.Invoke(target);
            tables = CheckOpens(database);
            progress?.Report(new BackupProgress(BackupPhase.Verify, $"restored database opens in place and lists {tables} table(s)"));
        }
        catch (FbException ex)
        {
            var failed = Path.Combine(folder, $"{baseName}.failed-restore-{UtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.fdb");
            var aside = MoveQuietly(target, failed) ? $"the restored file is kept as {failed} for inspection" : "the restored file could not be moved away";
            var back = PutBack(previous, target);
            throw new RestoreFailedException($"The restored database did not open at {target} ({ex.Message}); {aside}. {back}", ex);
        }
        return new RestoreResult(target, previous, tables, watch.Elapsed);
    }

    /// <summary>Opens the database and lists its tables: the check a restored database must pass.</summary>
    private static int CheckOpens(FbConnectionSettings settings)
    {
        using var connection = FbConnection.Open(settings);
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return connection.Schema.GetTables(tx).Count;
    }

    /// <summary>The database as a file path on this machine, or a clear refusal.</summary>
    private static string LocalPathOf(FbConnectionSettings database)
    {
        var path = database.Database;
        var looksLikePath = path.IndexOfAny(new[] { '/', '\\' }) >= 0;
        if (database.IsEmbedded)
        {
            return Path.GetFullPath(path);
        }
        if (IsThisMachine(database.Server!) && looksLikePath && Path.IsPathRooted(path) && File.Exists(path))
        {
            return Path.GetFullPath(path);
        }
        throw new RestoreFailedException(
            $"{database} is a database on a server whose file is not visible here as a path: a restore replaces the database file, so it runs on the " +
            "machine that holds the file. Copy the backup there and restore it there (embedded path, or the local server with the file's full path). Nothing was changed.");
    }

    private static bool IsThisMachine(string host) =>
        host is "127.0.0.1" or "::1" or "localhost" || string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
        || string.Equals(host, System.Net.Dns.GetHostName(), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Opens the current database file so that no Firebird engine can attach to it until the handle is closed
    /// (Firebird takes the same kind of lock: a server or embedded engine holding it makes this fail). Null when
    /// there is no current file.
    /// </summary>
    private static FileStream? HoldExclusively(string path, FbConnectionSettings database)
    {
        if (!File.Exists(path)) return null;
        try
        {
            // Windows: deny reading and writing but allow the rename that moves the file aside.
            // Elsewhere .NET turns FileShare.None into an exclusive flock, the lock Firebird's engines take.
            var share = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? FileShare.Delete : FileShare.None;
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, share);
        }
        catch (IOException ex)
        {
            throw new RestoreFailedException(
                $"{database} is in use (a Firebird server or another program has it open: {ex.Message}). Stop the programs that use it " +
                "(and, with a server, disconnect every user) before restoring over it. Nothing was changed.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new RestoreFailedException($"This account may not open {path} for writing, so it cannot replace it ({ex.Message}). Nothing was changed.", ex);
        }
    }

    private static string PutBack(string? previous, string target)
    {
        if (previous is null) return "There was no previous database.";
        if (File.Exists(target) && !MoveQuietly(target, target + ".failed-" + Guid.NewGuid().ToString("N").Substring(0, 8)))
        {
            return $"The previous database is kept as {previous}; put it back under {Path.GetFileName(target)} by hand.";
        }
        return MoveQuietly(previous, target)
            ? "The previous database is back in place."
            : $"The previous database is kept as {previous}; put it back under {Path.GetFileName(target)} by hand.";
    }

    private static bool MoveQuietly(string from, string to)
    {
        try
        {
            File.Move(from, to);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

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
