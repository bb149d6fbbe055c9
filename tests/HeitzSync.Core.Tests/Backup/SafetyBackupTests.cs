using HeitzSync.Core.Backup;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Backup;

[Trait("Category", "Firebird")]
public class SafetyBackupTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-backup");

    [Fact]
    public async Task Backups_are_verified_named_by_time_and_only_the_last_n_of_ours_are_kept()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        using (var connection = FbConnection.CreateDatabase(settings))
        {
            connection.ExecuteInNewTransaction("CREATE TABLE T (ID INTEGER NOT NULL PRIMARY KEY)");
            connection.ExecuteInNewTransaction("INSERT INTO T VALUES (1)");
        }
        var folder = _temp.File("backups");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not ours");
        File.WriteAllText(Path.Combine(folder, "other_20200101-000000.fbk"), "another database's backup");
        var phases = new List<BackupPhase>();
        BackupResult? last = null;
        for (var i = 0; i < 4; i++)
        {
            last = await new SafetyBackup().RunAsync(settings, folder, keep: 2, new InlineProgress<BackupProgress>(p => phases.Add(p.Phase)), CancellationToken.None);
            Assert.True(last.Verified);
            Assert.Matches(@"^club_\d{8}-\d{6}(-\d+)?\.fbk$", Path.GetFileName(last.Path));
            Assert.True(last.SizeBytes > 0);
        }
        Assert.Equal(2, SafetyBackup.ListBackups(folder, "club").Count);
        Assert.Equal(last!.Path, SafetyBackup.ListBackups(folder, "club")[0].FullName);
        Assert.True(File.Exists(Path.Combine(folder, "notes.txt")));
        Assert.True(File.Exists(Path.Combine(folder, "other_20200101-000000.fbk")));
        Assert.Empty(Directory.GetFiles(folder, "*.part"));
        Assert.Contains(BackupPhase.Verify, phases);
    }

    [Fact]
    public async Task A_failed_backup_leaves_no_file_and_names_the_database_and_folder()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("missing.fdb") };
        var folder = _temp.File("backups");
        var error = await Assert.ThrowsAsync<FbException>(() => new SafetyBackup().RunAsync(settings, folder, 10, null, CancellationToken.None));
        Assert.Contains("missing.fdb", error.Message);
        Assert.Contains(folder, error.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    public void Dispose() => _temp.Dispose();
}
