using System.Diagnostics;
using HeitzSync.Core.Backup;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Backup;

[Trait("Category", "Firebird")]
public class SafetyBackupTests : IDisposable
{
    private const string NamePattern = @"^club_\d{8}-\d{6}(-\d+)?\.fbk$";
    private readonly TempFolder _temp = new("hz-backup");

    private FbConnectionSettings Club(int members = 3, int noteLength = 20)
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        ClubDatabase.Create(settings, members, noteLength);
        return settings;
    }

    private string Folder()
    {
        var folder = _temp.File("backups");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A clock that moves one minute per backup, so a test makes many backups without waiting.</summary>
    private static SafetyBackup WithClock(DateTime start)
    {
        var next = start;
        return new SafetyBackup { UtcNow = () => (next = next.AddMinutes(1)) };
    }

    [Fact]
    public async Task A_backup_is_verified_named_by_its_UTC_time_and_restores_to_the_same_rows()
    {
        var settings = Club(members: 25);
        var folder = Folder();
        var progress = new List<BackupProgress>();
        var before = DateTime.UtcNow.AddSeconds(-1);

        var result = await new SafetyBackup().RunAsync(settings, folder, keep: 10, new InlineProgress<BackupProgress>(progress.Add), CancellationToken.None);

        Assert.True(result.Verified);
        Assert.Equal(folder, Path.GetDirectoryName(result.Path));
        Assert.Matches(NamePattern, Path.GetFileName(result.Path));
        Assert.Equal(new FileInfo(result.Path).Length, result.SizeBytes);
        Assert.True(result.SizeBytes > 0);
        Assert.True(result.Duration > TimeSpan.Zero);
        Assert.Empty(result.Deleted);
        var listed = Assert.Single(SafetyBackup.ListBackups(folder, "club"));
        Assert.Equal(result.Path, listed.Path);
        Assert.InRange(listed.TakenUtc, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(DateTimeKind.Utc, listed.TakenUtc.Kind);
        // gbak's own lines come through, tagged with the phase they belong to.
        Assert.Contains(progress, p => p.Phase == BackupPhase.Backup && p.Line.StartsWith("gbak:", StringComparison.Ordinal));
        Assert.Contains(progress, p => p.Phase == BackupPhase.Verify && p.Line.Contains("verified", StringComparison.Ordinal));
        Assert.True(progress.FindLastIndex(p => p.Phase == BackupPhase.Backup) < progress.FindIndex(p => p.Phase == BackupPhase.Verify));
        Assert.Equal(new[] { Path.GetFileName(result.Path) }, Directory.GetFiles(folder).Select(Path.GetFileName));

        // The backup is a real one: restored, it holds every row.
        var restored = new FbConnectionSettings { Database = _temp.File("restored.fdb") };
        await new FbBackupService().RestoreAsync(result.Path, restored, replaceExisting: false, null, CancellationToken.None);
        Assert.Equal(ClubDatabase.RowCounts(settings), ClubDatabase.RowCounts(restored));
    }

    [Fact]
    public async Task Rotation_keeps_exactly_the_newest_n_of_this_database_and_leaves_every_other_file_alone()
    {
        var settings = Club();
        var folder = Folder();
        var foreign = new[]
        {
            "notes.txt", "other_20200101-000000.fbk", "club_20200101-000000.fbk.bak", "club_old.fbk", "club_20200101-000000.txt",
            "club_2020-01-01.fbk", "clubhouse_20200101-000000.fbk", "club_20200101-000000-x.fbk", "CLUB.FBK",
        };
        foreach (var name in foreign) File.WriteAllText(Path.Combine(folder, name), "not a backup this module made");
        File.WriteAllText(Path.Combine(folder, "club_20200101-000000.fbk"), "an old backup of ours (by its name)");

        var backup = WithClock(new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc));
        var results = new List<BackupResult>();
        for (var i = 0; i < 5; i++) results.Add(await backup.RunAsync(settings, folder, keep: 3, null, CancellationToken.None));

        var kept = SafetyBackup.ListBackups(folder, "club");
        Assert.Equal(results.Skip(2).Reverse().Select(r => r.Path), kept.Select(k => k.Path));   // newest first
        Assert.Equal(new[] { "club_20261101-020500.fbk", "club_20261101-020400.fbk", "club_20261101-020300.fbk" }, kept.Select(k => k.Name));
        foreach (var name in foreign) Assert.True(File.Exists(Path.Combine(folder, name)), name + " was removed");
        Assert.False(File.Exists(Path.Combine(folder, "club_20200101-000000.fbk")));
        // Each rotation says what it removed: the old one of ours first, then one per new backup.
        Assert.Equal(new[] { Path.Combine(folder, "club_20200101-000000.fbk") }, results[2].Deleted);
        Assert.Equal(new[] { results[0].Path }, results[3].Deleted);
        Assert.Equal(new[] { results[1].Path }, results[4].Deleted);
        Assert.Equal(foreign.Length + 3, Directory.GetFiles(folder).Length);
        Assert.Empty(Directory.GetFiles(folder, "*.part"));
    }

    [Fact]
    public async Task Two_backups_in_the_same_second_get_a_counter_and_the_later_one_counts_as_newer()
    {
        var settings = Club();
        var folder = Folder();
        var second = new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc);
        var backup = new SafetyBackup { UtcNow = () => second };

        var first = await backup.RunAsync(settings, folder, keep: 2, null, CancellationToken.None);
        var again = await backup.RunAsync(settings, folder, keep: 2, null, CancellationToken.None);
        var third = await backup.RunAsync(settings, folder, keep: 2, null, CancellationToken.None);

        Assert.Equal("club_20261101-020000.fbk", Path.GetFileName(first.Path));
        Assert.Equal("club_20261101-020000-2.fbk", Path.GetFileName(again.Path));
        Assert.Equal("club_20261101-020000-3.fbk", Path.GetFileName(third.Path));
        Assert.Equal(new[] { first.Path }, third.Deleted);
        Assert.Equal(new[] { 3, 2 }, SafetyBackup.ListBackups(folder, "club").Select(b => b.Sequence));
    }

    [Fact]
    public async Task A_clock_set_back_never_makes_rotation_delete_the_backup_just_made()
    {
        var settings = Club();
        var folder = Folder();
        await WithClock(new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc)).RunAsync(settings, folder, keep: 2, null, CancellationToken.None);
        await WithClock(new DateTime(2026, 11, 2, 2, 0, 0, DateTimeKind.Utc)).RunAsync(settings, folder, keep: 2, null, CancellationToken.None);

        var afterReset = await WithClock(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)).RunAsync(settings, folder, keep: 2, null, CancellationToken.None);

        Assert.True(File.Exists(afterReset.Path));
        Assert.Equal(new[] { "club_20261102-020100.fbk", "club_20010101-000100.fbk" }, SafetyBackup.ListBackups(folder, "club").Select(b => b.Name));
    }

    [Fact]
    public async Task A_backup_that_fails_verification_is_not_kept_under_its_final_name_and_nothing_is_rotated()
    {
        var settings = Club(members: 200);
        var folder = Folder();
        var good = await WithClock(new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc)).RunAsync(settings, folder, keep: 1, null, CancellationToken.None);
        string? damaged = null;
        var backup = WithClock(new DateTime(2026, 11, 2, 2, 0, 0, DateTimeKind.Utc));
        backup.AfterBackupWritten = path =>
        {
            // What a disk that lied about a write leaves: the second half of the backup is gone.
            damaged = path;
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            file.SetLength(file.Length / 2);
        };

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => backup.RunAsync(settings, folder, keep: 1, null, CancellationToken.None));

        Assert.NotNull(damaged);
        Assert.False(File.Exists(damaged));
        Assert.Equal("BackupNotVerified", error.ErrorId);
        Assert.Contains("did not restore (verification failed)", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("gbak:", error.Detail);
        Assert.Contains(settings.Database, error.Message);
        Assert.Contains(folder, error.Message);
        Assert.Contains("free", error.Message);
        Assert.False(File.Exists(Path.Combine(folder, "club_20261102-020100.fbk")));
        // The last good backup is still there: a failed night never costs the previous safety net.
        Assert.Equal(new[] { good.Path }, Directory.GetFiles(folder));
    }

    [Fact]
    public async Task Cancelling_while_gbak_writes_removes_the_partial_file()
    {
        var settings = Club(members: 20_000, noteLength: 1000);
        var folder = Folder();
        using var cancel = new CancellationTokenSource();
        var partialSeen = false;
        var progress = new InlineProgress<BackupProgress>(p =>
        {
            if (p.Phase != BackupPhase.Backup || !p.Line.Contains("writing data for table", StringComparison.Ordinal) || cancel.IsCancellationRequested) return;
            partialSeen = Directory.GetFiles(folder, "*.part").Length == 1;
            cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SafetyBackup().RunAsync(settings, folder, 10, progress, cancel.Token));

        Assert.True(partialSeen, "gbak had not started writing when the test cancelled");
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public async Task Cancelling_during_verification_removes_the_backup_it_was_verifying()
    {
        var settings = Club(members: 20_000, noteLength: 1000);
        var folder = Folder();
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress<BackupProgress>(p =>
        {
            if (p.Phase == BackupPhase.Verify) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SafetyBackup().RunAsync(settings, folder, 10, progress, cancel.Token));

        Assert.True(cancel.IsCancellationRequested);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public async Task A_partial_file_left_by_a_dead_process_is_removed_and_one_of_a_live_process_is_not()
    {
        var settings = Club();
        var folder = Folder();
        var deadPid = ExitedProcessId();
        var dead = Path.Combine(folder, $"club_20261101-020000.fbk.{deadPid}.part");
        var live = Path.Combine(folder, $"club_20261101-020000-2.fbk.{Environment.ProcessId}.part");
        File.WriteAllText(dead, "half a backup");
        File.WriteAllText(live, "a backup being written right now");

        var result = await new SafetyBackup().RunAsync(settings, folder, 10, null, CancellationToken.None);

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Contains(result.Notes, n => n.Contains(Path.GetFileName(dead), StringComparison.Ordinal));
    }

    [Fact]
    public void Database_names_come_from_the_file_name_whatever_the_separators_and_are_file_name_safe()
    {
        Assert.Equal("club", SafetyBackup.DatabaseName(new FbConnectionSettings { Database = "/srv/db/club.fdb" }));
        Assert.Equal("CLUB", SafetyBackup.DatabaseName(new FbConnectionSettings { Database = @"C:\Data\CLUB.FDB", Server = "10.0.0.5" }));
        Assert.Equal("employee", SafetyBackup.DatabaseName(new FbConnectionSettings { Database = "employee", Server = "srv" }));
        Assert.Equal("my_club", SafetyBackup.DatabaseName(new FbConnectionSettings { Database = "/srv/my club.fdb" }));
        Assert.Empty(SafetyBackup.ListBackups(_temp.File("no-such-folder"), "club"));
    }

    [Fact]
    public async Task Keep_must_be_at_least_one()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new SafetyBackup().RunAsync(settings, _temp.Path, 0, null, CancellationToken.None));
    }

    /// <summary>The id of a process that has ended: no live process has it (ids are not reused this fast).</summary>
    internal static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    public void Dispose() => _temp.Dispose();
}
