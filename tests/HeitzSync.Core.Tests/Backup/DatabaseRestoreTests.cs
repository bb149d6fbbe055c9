using HeitzSync.Core.Backup;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Core.Tests.Backup;

/// <summary>A database with 40 members, its verified safety backup, then 7 more members added after the backup: made once
/// for the test class (a backup and its verification are the slow part), each test restoring on copies of its own.</summary>
public sealed class ClubWithBackupFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("hz-restore-source");

    public string Database => _folder.File("club.fdb");
    public string Backup { get; private set; } = "";
    public Dictionary<string, long> AtBackup { get; private set; } = new();

    public async Task InitializeAsync()
    {
        var settings = new FbConnectionSettings { Database = Database };
        ClubDatabase.Create(settings, 40);
        AtBackup = ClubDatabase.RowCounts(settings);
        Backup = (await new SafetyBackup().RunAsync(settings, _folder.File("backups"), 10, null, CancellationToken.None)).Path;
        ClubDatabase.AddMembers(settings, 1000, 7);
    }

    public Task DisposeAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

[Trait("Category", "Firebird")]
public class DatabaseRestoreTests : IDisposable, IClassFixture<ClubWithBackupFixture>
{
    private static readonly DateTime RestoreTime = new(2026, 11, 3, 4, 5, 6, DateTimeKind.Utc);
    private readonly TempFolder _temp = new("hz-restore");
    private readonly ClubWithBackupFixture _club;

    public DatabaseRestoreTests(ClubWithBackupFixture club) => _club = club;

    private static DatabaseRestore Restore() => new() { UtcNow = () => RestoreTime };

    /// <summary>This test's copies of the class's database (40 members at the backup, 47 now) and of its verified backup.</summary>
    private (FbConnectionSettings Database, string Backup, Dictionary<string, long> AtBackup) DatabaseWithBackup()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        File.Copy(_club.Database, settings.Database);
        var backup = Path.Combine(_temp.File("backups"), Path.GetFileName(_club.Backup));
        Directory.CreateDirectory(Path.GetDirectoryName(backup)!);
        File.Copy(_club.Backup, backup);
        return (settings, backup, new Dictionary<string, long>(_club.AtBackup));
    }

    [Fact]
    public async Task Restoring_a_good_backup_gives_its_rows_back_and_keeps_the_previous_database_aside()
    {
        var (database, backup, atBackup) = DatabaseWithBackup();
        var beforeRestore = ClubDatabase.RowCounts(database);
        var phases = new List<BackupPhase>();

        var result = await Restore().RestoreAsync(backup, database, new InlineProgress<BackupProgress>(p => phases.Add(p.Phase)), CancellationToken.None);

        Assert.Equal(database.Database, result.Database);
        Assert.Equal(ClubDatabase.Tables.Length, result.Tables);
        Assert.Equal(atBackup, ClubDatabase.RowCounts(database));
        Assert.Equal(_temp.File("club.before-20261103-040506.fdb"), result.PreviousKeptAs);
        Assert.Equal(beforeRestore, ClubDatabase.RowCounts(database with { Database = result.PreviousKeptAs! }));
        Assert.NotEqual(atBackup, beforeRestore);
        Assert.False(File.Exists(_temp.File("club.restoring.fdb")));
        Assert.Equal(new[] { BackupPhase.Restore, BackupPhase.Verify, BackupPhase.Replace }, phases.Distinct().Take(3));
    }

    [Fact]
    public async Task A_bad_backup_leaves_the_current_database_in_place_and_unchanged()
    {
        var (database, backup, _) = DatabaseWithBackup();
        var current = ClubDatabase.RowCounts(database);
        var truncated = _temp.File("truncated.fbk");
        using (var source = File.OpenRead(backup))
        using (var target = File.Create(truncated))
        {
            var half = new byte[source.Length / 2];
            source.ReadExactly(half);
            target.Write(half);
        }

        var error = await Assert.ThrowsAsync<RestoreFailedException>(() => Restore().RestoreAsync(truncated, database, null, CancellationToken.None));

        Assert.Contains("current database is unchanged", error.Message);
        Assert.Equal(current, ClubDatabase.RowCounts(database));
        Assert.Equal(new[] { "club.fdb", "truncated.fbk" }, Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task When_the_restored_database_does_not_open_in_place_the_previous_one_is_put_back()
    {
        var (database, backup, _) = DatabaseWithBackup();
        var current = ClubDatabase.RowCounts(database);
        var restore = Restore();
        var previousWasAside = false;
        restore.AfterReplace = path =>
        {
            previousWasAside = File.Exists(_temp.File("club.before-20261103-040506.fdb"));
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            file.SetLength(1000);   // the restored file is damaged where it now lies
        };

        var error = await Assert.ThrowsAsync<RestoreFailedException>(() => restore.RestoreAsync(backup, database, null, CancellationToken.None));

        Assert.True(previousWasAside);
        Assert.Contains("previous database is back in place", error.Message);
        Assert.Equal(current, ClubDatabase.RowCounts(database));
        Assert.False(File.Exists(_temp.File("club.before-20261103-040506.fdb")));
        Assert.True(File.Exists(_temp.File("club.failed-restore-20261103-040506.fdb")));
    }

    [Fact]
    public async Task A_database_in_use_is_refused_before_anything_changes()
    {
        var (database, backup, _) = DatabaseWithBackup();
        var current = ClubDatabase.RowCounts(database);

        RestoreFailedException error;
        using (var user = FbConnection.Open(database))   // the business software has it open
        {
            error = await Assert.ThrowsAsync<RestoreFailedException>(() => Restore().RestoreAsync(backup, database, null, CancellationToken.None));
        }

        Assert.Contains("in use", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        Assert.Equal(current, ClubDatabase.RowCounts(database));
        Assert.Single(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public async Task Restoring_where_there_is_no_database_yet_creates_it()
    {
        var (database, backup, atBackup) = DatabaseWithBackup();
        var fresh = database with { Database = _temp.File("new-site.fdb") };

        var result = await Restore().RestoreAsync(backup, fresh, null, CancellationToken.None);

        Assert.Null(result.PreviousKeptAs);
        Assert.Equal(atBackup, ClubDatabase.RowCounts(fresh));
    }

    [Fact]
    public async Task A_failing_preparation_replaces_nothing()
    {
        var (database, backup, _) = DatabaseWithBackup();
        var current = ClubDatabase.RowCounts(database);
        string? prepared = null;

        var error = await Assert.ThrowsAsync<RestoreFailedException>(() => Restore().RestoreAsync(backup, database, null, CancellationToken.None,
            (restored, _) =>
            {
                prepared = restored.Database;
                using (var connection = FbConnection.Open(restored)) connection.ExecuteInNewTransaction("DELETE FROM VISITS");
                throw new InvalidDataException("this backup is for another site");
            }));

        Assert.Equal(_temp.File("club.restoring.fdb"), prepared);
        Assert.Contains("another site", error.Message);
        Assert.Equal(current, ClubDatabase.RowCounts(database));
        Assert.False(File.Exists(prepared));
    }

    [Fact]
    public async Task Cancelling_a_restore_leaves_the_current_database_and_no_partial_file()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        ClubDatabase.Create(settings, 20_000, noteLength: 1000);
        var backup = (await new SafetyBackup().RunAsync(settings, _temp.File("backups"), 10, null, CancellationToken.None)).Path;
        var current = ClubDatabase.RowCounts(settings);
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress<BackupProgress>(p =>
        {
            if (p.Phase == BackupPhase.Restore && p.Line.Contains("restoring data for table", StringComparison.Ordinal)) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Restore().RestoreAsync(backup, settings, progress, cancel.Token));

        Assert.True(cancel.IsCancellationRequested);
        Assert.Equal(current, ClubDatabase.RowCounts(settings));
        Assert.Equal(new[] { "club.fdb" }, Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_database_on_a_remote_server_or_behind_an_alias_is_refused_with_what_to_do()
    {
        var (_, backup, _) = DatabaseWithBackup();
        var remote = new FbConnectionSettings { Database = "/srv/firebird/club.fdb", Server = "db.example.invalid", Password = "not-shown-1234" };
        var alias = new FbConnectionSettings { Database = "club", Server = "127.0.0.1" };

        var error = await Assert.ThrowsAsync<RestoreFailedException>(() => Restore().RestoreAsync(backup, remote, null, CancellationToken.None));
        await Assert.ThrowsAsync<RestoreFailedException>(() => Restore().RestoreAsync(backup, alias, null, CancellationToken.None));

        Assert.Contains("Copy the backup there", error.Message);
        Assert.DoesNotContain("not-shown-1234", error.Message);
    }

    [Fact]
    public async Task A_missing_backup_file_is_refused()
    {
        var database = new FbConnectionSettings { Database = _temp.File("club.fdb") };
        await Assert.ThrowsAsync<FileNotFoundException>(() => Restore().RestoreAsync(_temp.File("none.fbk"), database, null, CancellationToken.None));
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>The same restore through the Firebird server on this machine (the way production sites run).</summary>
[Trait("Category", "Firebird")]
public class DatabaseRestoreThroughLocalServerTests : IDisposable
{
    private readonly FirebirdServer _server = new();
    private readonly TempFolder _temp = new("hz-restore-server");

    [Fact]
    public async Task A_database_served_by_the_local_server_is_restored_and_its_previous_file_kept()
    {
        var database = _server.Settings("club.fdb");
        ClubDatabase.Create(database, 30);
        var atBackup = ClubDatabase.RowCounts(database);
        var backup = await new SafetyBackup().RunAsync(database, _temp.File("backups"), 10, null, CancellationToken.None);
        ClubDatabase.AddMembers(database, 500, 5);
        var restore = new DatabaseRestore { UtcNow = () => new DateTime(2026, 11, 3, 4, 5, 6, DateTimeKind.Utc) };

        // While a user is attached through the server, the file is the server's: refused.
        using (FbConnection.Open(database))
        {
            var busy = await Assert.ThrowsAsync<RestoreFailedException>(() => restore.RestoreAsync(backup.Path, database, null, CancellationToken.None));
            Assert.Contains("in use", busy.Message);
        }

        var result = await restore.RestoreAsync(backup.Path, database, null, CancellationToken.None);

        Assert.Equal(atBackup, ClubDatabase.RowCounts(database));
        Assert.Equal(Path.Combine(_server.Folder, "club.before-20261103-040506.fdb"), result.PreviousKeptAs);
        Assert.Equal(35, ClubDatabase.RowCounts(database with { Database = result.PreviousKeptAs! })["MEMBERS"]);
    }

    public void Dispose()
    {
        _temp.Dispose();
        _server.Dispose();
    }
}
