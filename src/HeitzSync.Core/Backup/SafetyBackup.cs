using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Backup;

public enum BackupPhase { Backup, Verify, Rotate }

public readonly record struct BackupProgress(BackupPhase Phase, string Line);

/// <summary>One verified safety backup.</summary>
public sealed record BackupResult(string Path, long SizeBytes, TimeSpan Duration, bool Verified, IReadOnlyList<string> Deleted);

/// <summary>
/// The site's safety net (DESIGN.md §7): a full gbak backup named <c>&lt;db&gt;_&lt;yyyyMMdd-HHmmss&gt;.fbk</c> (UTC),
/// written under a temporary name and given its final name only once a restore of it has been verified; then the
/// newest <c>keep</c> backups of that database are kept and older ones removed (only files named by this class).
/// </summary>
public sealed class SafetyBackup
{
    private readonly FbBackupService _gbak;

    public SafetyBackup(FbBackupService? gbak = null) => _gbak = gbak ?? new FbBackupService();

    public async Task<BackupResult> RunAsync(FbConnectionSettings database, string folder, int keep, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), "backup.keep must be at least 1.");
        Directory.CreateDirectory(folder);
        var name = DatabaseName(database);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var final = Path.Combine(folder, $"{name}_{stamp}.fbk");
        for (var n = 2; File.Exists(final); n++) final = Path.Combine(folder, $"{name}_{stamp}-{n}.fbk");
        var temporary = final + ".part";
        var watch = Stopwatch.StartNew();
        try
        {
            await _gbak.BackupAsync(database, temporary, Forward(progress, BackupPhase.Backup), cancellationToken).ConfigureAwait(false);
            FaultPoints.Hit("backup.during");
            await _gbak.VerifyAsync(temporary, Forward(progress, BackupPhase.Verify), cancellationToken).ConfigureAwait(false);
        }
        catch (FbException ex)
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw new FbException($"The safety backup of {database} into {folder} failed; check free space and rights there. {ex.Message}");
        }
        catch
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
        File.Move(temporary, final);
        var deleted = Rotate(folder, name, keep);
        foreach (var file in deleted) progress?.Report(new BackupProgress(BackupPhase.Rotate, "removed " + Path.GetFileName(file)));
        return new BackupResult(final, new FileInfo(final).Length, watch.Elapsed, true, deleted);
    }

    /// <summary>This database's safety backups in the folder, newest first.</summary>
    public static IReadOnlyList<FileInfo> ListBackups(string folder, string databaseName)
    {
        if (!Directory.Exists(folder)) return Array.Empty<FileInfo>();
        var pattern = new Regex("^" + Regex.Escape(databaseName) + @"_\d{8}-\d{6}(-\d+)?\.fbk$", RegexOptions.CultureInvariant);
        return new DirectoryInfo(folder).GetFiles("*.fbk").Where(f => pattern.IsMatch(f.Name))
            .OrderByDescending(f => f.Name, StringComparer.Ordinal).ToList();
    }

    public static string DatabaseName(FbConnectionSettings database) => Path.GetFileNameWithoutExtension(database.Database);

    private static IReadOnlyList<string> Rotate(string folder, string name, int keep)
    {
        var deleted = new List<string>();
        foreach (var old in ListBackups(folder, name).Skip(keep))
        {
            old.Delete();
            deleted.Add(old.FullName);
        }
        return deleted;
    }

    private static IProgress<string>? Forward(IProgress<BackupProgress>? progress, BackupPhase phase) =>
        progress is null ? null : new InlineProgress<string>(line => progress.Report(new BackupProgress(phase, line)));

}
