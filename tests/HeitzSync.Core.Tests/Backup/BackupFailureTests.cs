using System.Diagnostics;
using HeitzSync.Core.Backup;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Core.Tests.Backup;

/// <summary>
/// A failed safety backup names its real cause in one sentence, with the error id of that cause, and keeps gbak's own
/// lines for the report: each case is made for real (a missing file, a read-only mount, a full tmpfs, the server with a
/// wrong password, a database held open), and gbak itself says what went wrong.
/// </summary>
[Trait("Category", "Firebird")]
public sealed class BackupFailureTests : IDisposable
{
    private const string Password = "Pa55-w0rd-for-test";
    private readonly TempFolder _temp = new("hz-backup-fail");

    private static void AssertOneSentence(BackupFailedException error)
    {
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("gbak:", error.Message, StringComparison.Ordinal);   // gbak's lines are the detail, not the message
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Detail ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_is_named_as_such_not_as_a_write_failure()
    {
        var settings = new FbConnectionSettings { Database = _temp.File("missing.fdb"), Password = Password };
        var folder = _temp.File("backups");

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => new SafetyBackup().RunAsync(settings, folder, 10, null, CancellationToken.None));

        Assert.Equal("DatabaseNotFound", error.ErrorId);
        Assert.Contains($"the database file {settings.Database} does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("database.path", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("free space", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("may write", error.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", error.Detail);
        AssertOneSentence(error);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public async Task A_read_only_backup_folder_is_named_as_a_missing_right()
    {
        var settings = Club();
        var folder = _temp.File("locked");
        Directory.CreateDirectory(folder);
        // The tests run as root, which file modes do not stop: a read-only bind mount does.
        Assert.True(Run("mount", $"--bind {folder} {folder}") == 0 && Run("mount", $"-o remount,ro,bind {folder}") == 0, "a read-only bind mount needs root (the tests run as root in CI)");
        try
        {
            var error = await Assert.ThrowsAsync<BackupFailedException>(() => new SafetyBackup().RunAsync(settings, folder, 10, null, CancellationToken.None));
            Assert.Equal("BackupFolderNotWritable", error.ErrorId);
            Assert.Contains($"gbak cannot create the backup file in {folder}", error.Message, StringComparison.Ordinal);
            Assert.Contains("backup.folder", error.Message, StringComparison.Ordinal);
            Assert.Contains("cannot open backup file", error.Detail);
            AssertOneSentence(error);
        }
        finally
        {
            Run("umount", folder);
        }
    }

    [Fact]
    public async Task A_full_disk_is_named_as_such_and_leaves_no_partial_backup()
    {
        var settings = Club(members: 4000, random: true);
        var folder = _temp.File("small");
        Directory.CreateDirectory(folder);
        Assert.True(Run("mount", $"-t tmpfs -o size=128k tmpfs {folder}") == 0, "mounting a 128 KB tmpfs needs root (the tests run as root in CI)");
        try
        {
            // gbak asks for another volume on its standard input when the disk is full: it must read end-of-file and
            // stop (the deadline only turns a hang into a failure).
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var error = await Assert.ThrowsAsync<BackupFailedException>(() => new SafetyBackup().RunAsync(settings, folder, 10, null, deadline.Token));
            Assert.Equal("DiskFull", error.ErrorId);
            Assert.Contains($"the disk of {folder} is full", error.Message, StringComparison.Ordinal);
            AssertOneSentence(error);
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            Run("umount", folder);
        }
    }

    [Fact]
    public async Task A_wrong_password_on_the_server_is_named_as_a_refused_login()
    {
        using var server = new FirebirdServer();
        var settings = server.Settings("any.fdb") with { Password = Password };

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => new SafetyBackup().RunAsync(settings, _temp.File("backups"), 10, null, CancellationToken.None));

        Assert.Equal("DatabaseLoginFailed", error.ErrorId);
        Assert.Contains($"the server {FirebirdServer.Host}:{FirebirdServer.Port} refused the user name and password of SYSDBA", error.Message, StringComparison.Ordinal);
        Assert.Contains("database.passwordSecret", error.Message, StringComparison.Ordinal);
        AssertOneSentence(error);
    }

    [Fact]
    public async Task A_database_held_open_by_another_program_is_named_as_busy()
    {
        var settings = Club();
        using var holder = FbConnection.Open(settings);   // embedded Firebird: one process at a time

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => new SafetyBackup().RunAsync(settings, _temp.File("backups"), 10, null, CancellationToken.None));

        Assert.Equal("DatabaseInUse", error.ErrorId);
        Assert.Contains("is open in another program", error.Message, StringComparison.Ordinal);
        AssertOneSentence(error);
    }

    private FbConnectionSettings Club(int members = 3, bool random = false)
    {
        var settings = new FbConnectionSettings { Database = _temp.File("club.fdb"), Password = Password };
        ClubDatabase.Create(settings, members);
        if (random)
        {
            // Text gbak cannot compress (it run-length encodes), so the backup is larger than the small disk.
            using var connection = FbConnection.Open(settings);
            connection.ExecuteInNewTransaction("UPDATE MEMBERS SET NAME = UUID_TO_CHAR(GEN_UUID())");
        }
        return settings;
    }

    private static int Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose() => _temp.Dispose();
}
