using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

/// <summary>Handles, sockets and attachments come back: thousands of cycles leave the process as it was.</summary>
[Collection("firebird")]
[Trait("Category", "Firebird")]
public class LifetimeTests : DatabaseTest
{
    public LifetimeTests(FirebirdServerFixture server) : base(server) { }

    private static int OpenFileDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>Unmanaged memory included: the process's resident set.</summary>
    private static long ResidentBytes()
    {
        var line = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    private FbConnectionSettings Prepared(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE L (ID INTEGER NOT NULL PRIMARY KEY, NAME VARCHAR(20), B BLOB)");
        for (var i = 0; i < 5; i++) db.ExecuteInNewTransaction("INSERT INTO L VALUES (?, ?, ?)", i, "row " + i, new byte[100_000]);
        return db.Settings;
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Two_thousand_open_close_cycles_do_not_leak(Mode mode)
    {
        var settings = Prepared(mode);
        void Cycle(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var connection = FbConnection.Open(settings);
                using var tx = connection.BeginTransaction();
                Assert.Equal(5L, connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM L"));
            }
        }
        Cycle(50);   // the engine's and the runtime's own caches settle first
        var fds = OpenFileDescriptors();
        var resident = ResidentBytes();
        Cycle(2000);
        Assert.InRange(OpenFileDescriptors(), 0, fds + 2);
        Assert.True(ResidentBytes() - resident < 16L * 1024 * 1024, $"resident memory grew by {(ResidentBytes() - resident) / 1024 / 1024} MB over 2000 cycles");
        if (mode == Mode.Server) Assert.Equal(0, Server.AttachmentsTo(settings));
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Two_thousand_prepare_dispose_cycles_with_abandoned_readers_and_blobs_do_not_leak(Mode mode)
    {
        var settings = Prepared(mode);
        using var connection = FbConnection.Open(settings);
        using var tx = connection.BeginTransaction();
        void Cycle(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var command = connection.Prepare(tx, "SELECT ID, NAME, B FROM L WHERE ID >= ?");
                var reader = command.ExecuteReader(0);
                Assert.True(reader.Read());
                _ = reader.OpenBlob(2).ReadByte();   // left mid-blob and mid-cursor: disposing the command releases both
            }
        }
        Cycle(50);
        var fds = OpenFileDescriptors();
        var resident = ResidentBytes();
        Cycle(2000);
        Assert.InRange(OpenFileDescriptors(), 0, fds + 2);
        Assert.True(ResidentBytes() - resident < 16L * 1024 * 1024, $"resident memory grew by {(ResidentBytes() - resident) / 1024 / 1024} MB over 2000 cycles");
        // The engine holds no statement of ours beyond the one that counts them.
        using var monitor = connection.Prepare(tx, "SELECT COUNT(*) FROM MON$STATEMENTS WHERE MON$ATTACHMENT_ID = CURRENT_CONNECTION");
        Assert.Equal(1L, monitor.ExecuteScalar());
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_connection_disposed_mid_reader_releases_its_attachment_statements_and_transactions(Mode mode)
    {
        var settings = Prepared(mode);
        Cycle(20);
        var fds = OpenFileDescriptors();
        Cycle(500);
        Assert.InRange(OpenFileDescriptors(), 0, fds + 2);
        if (mode == Mode.Server) Assert.Equal(0, Server.AttachmentsTo(settings));

        void Cycle(int times)
        {
            for (var i = 0; i < times; i++)
            {
                var connection = FbConnection.Open(settings);
                var tx = connection.BeginTransaction();
                var command = connection.Prepare(tx, "SELECT ID, B FROM L");
                var reader = command.ExecuteReader();
                Assert.True(reader.Read());
                var blob = reader.OpenBlob(1);
                _ = blob.ReadByte();
                connection.Execute(tx, "UPDATE L SET NAME = 'changed' WHERE ID = 0");   // uncommitted work: rolled back on dispose
                connection.Dispose();                                                     // nothing else disposed first

                Assert.False(tx.IsActive);
                Assert.Throws<ObjectDisposedException>(() => reader.Read());
                Assert.Throws<ObjectDisposedException>(() => blob.ReadByte());
                Assert.Throws<ObjectDisposedException>(() => command.ExecuteReader());
                Assert.Throws<ObjectDisposedException>(() => connection.BeginTransaction());
                reader.Dispose();   // late disposals are harmless
                blob.Dispose();
                command.Dispose();
                tx.Dispose();
                connection.Dispose();
            }
        }

        using var check = FbConnection.Open(settings);
        using var tx2 = check.BeginTransaction();
        Assert.Equal(0L, check.ExecuteScalar(tx2, "SELECT COUNT(*) FROM L WHERE NAME = 'changed'"));
    }

    [Fact]
    public void A_server_attachment_is_gone_once_disposed_even_with_a_transaction_open()
    {
        var settings = Prepared(Mode.Server);
        var connection = FbConnection.Open(settings);
        var tx = connection.BeginTransaction();
        var reader = connection.Prepare(tx, "SELECT ID FROM L").ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1, Server.AttachmentsTo(settings));
        connection.Dispose();
        Assert.Equal(0, Server.AttachmentsTo(settings));
    }

    [Fact]
    public void A_reader_is_over_when_its_command_runs_again_and_disposing_it_late_leaves_the_new_cursor_alone()
    {
        var settings = Prepared(Mode.Embedded);
        using var connection = FbConnection.Open(settings);
        using var tx = connection.BeginTransaction();
        using var command = connection.Prepare(tx, "SELECT ID FROM L WHERE ID >= ? ORDER BY ID");
        var first = command.ExecuteReader(0);
        Assert.True(first.Read());
        var second = command.ExecuteReader(3);
        Assert.Throws<InvalidOperationException>(() => first.Read());
        Assert.Throws<InvalidOperationException>(() => first.GetInt32(0));
        first.Dispose();
        Assert.True(second.Read());
        Assert.Equal(3, second.GetInt32(0));
        Assert.True(second.Read());
        Assert.Equal(4, second.GetInt32(0));
        Assert.False(second.Read());
        Assert.False(second.Read());
        second.Dispose();
    }
}
