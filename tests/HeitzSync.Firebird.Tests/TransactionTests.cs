using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class TransactionTests : DatabaseTest
{
    public TransactionTests(FirebirdServerFixture server) : base(server) { }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_statement_moved_to_a_new_transaction_runs_there_and_its_rows_commit_with_it(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE M (ID INTEGER NOT NULL PRIMARY KEY)");
        using var other = FbConnection.Open(db.Settings);
        FbCommand insert;
        using (var first = db.BeginTransaction())
        {
            insert = db.Prepare(first, "INSERT INTO M (ID) VALUES (?)");
            insert.ExecuteNonQuery(1);
            first.Commit();
        }
        using (insert)
        {
            Assert.Throws<InvalidOperationException>(() => insert.ExecuteNonQuery(2));   // its transaction has ended
            var prepared = db.StatementsPrepared;
            using (var second = db.BeginTransaction())
            {
                insert.MoveTo(second);
                insert.ExecuteNonQuery(2);
                second.Rollback();   // the row goes with the transaction it was written in
            }
            using (var third = db.BeginTransaction())
            {
                insert.MoveTo(third);
                insert.ExecuteNonQuery(3);
                third.Commit();
            }
            Assert.Equal(prepared, db.StatementsPrepared);   // prepared once
            using var foreign = other.BeginTransaction();
            Assert.Throws<ArgumentException>(() => insert.MoveTo(foreign));
        }
        using var read = other.BeginTransaction();
        Assert.Equal("1,3", other.ExecuteScalar(read, "SELECT LIST(ID, ',') FROM (SELECT ID FROM M ORDER BY ID)"));
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_rolled_back_transaction_leaves_nothing_and_one_transaction_spans_statements(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE R (ID INTEGER NOT NULL PRIMARY KEY)");
        using (var tx = db.BeginTransaction())
        {
            db.Execute(tx, "INSERT INTO R VALUES (1)");
            db.Execute(tx, "INSERT INTO R VALUES (2)");
            Assert.Equal(2L, db.ExecuteScalar(tx, "SELECT COUNT(*) FROM R"));
            tx.Rollback();
            Assert.False(tx.IsActive);
            Assert.Throws<InvalidOperationException>(() => tx.Commit());
        }
        using (var tx = db.BeginTransaction())
        {
            db.Execute(tx, "INSERT INTO R VALUES (3)");
            // disposed without commit: rolled back
        }
        using (var tx = db.BeginTransaction())
        {
            db.Execute(tx, "INSERT INTO R VALUES (4)");
            tx.Commit();
        }
        using var check = db.BeginTransaction();
        Assert.Equal(4, db.ExecuteScalar(check, "SELECT LIST(ID) FROM R") is string list ? int.Parse(list) : -1);
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_snapshot_does_not_see_a_later_commit_and_read_committed_does(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE S (ID INTEGER NOT NULL PRIMARY KEY)");
        using var other = FbConnection.Open(db.Settings);
        using var snapshot = db.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        using var committed = db.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        Assert.Equal(0L, db.ExecuteScalar(snapshot, "SELECT COUNT(*) FROM S"));
        other.ExecuteInNewTransaction("INSERT INTO S VALUES (1)");
        Assert.Equal(0L, db.ExecuteScalar(snapshot, "SELECT COUNT(*) FROM S"));
        Assert.Equal(1L, db.ExecuteScalar(committed, "SELECT COUNT(*) FROM S"));
        var readOnly = Assert.Throws<FbException>(() => db.Execute(committed, "INSERT INTO S VALUES (2)"));
        Assert.Contains("read-only", readOnly.Message);
    }

    [Fact]
    public void A_lock_conflict_fails_at_once_without_wait_and_after_the_timeout_with_one()
    {
        using var db = Create(Mode.Server);
        db.ExecuteInNewTransaction("CREATE TABLE L (ID INTEGER NOT NULL PRIMARY KEY, V INTEGER)");
        db.ExecuteInNewTransaction("INSERT INTO L VALUES (1, 0)");
        using var other = FbConnection.Open(db.Settings);
        using var holder = other.BeginTransaction();
        other.Execute(holder, "UPDATE L SET V = 1 WHERE ID = 1");

        using (var noWait = db.BeginTransaction(new FbTransactionOptions { Wait = false }))
        {
            var error = Assert.Throws<FbException>(() => db.Execute(noWait, "UPDATE L SET V = 2 WHERE ID = 1"));
            Assert.Equal(335544336, error.GdsCode);           // isc_deadlock ("deadlock")
            Assert.Contains(335544451, error.GdsCodes);       // isc_update_conflict ("update conflicts with concurrent update")
            Assert.Equal(-913, error.SqlCode);
            Assert.Contains("update conflicts with concurrent update", error.Message);
        }
        // A guard, not a measure: were the lock timeout not applied, the holder gives way after a minute and the update
        // below succeeds, so that the test fails instead of hanging.
        var guard = new Timer(_ => holder.Rollback(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var timed = db.BeginTransaction(new FbTransactionOptions { LockTimeoutSeconds = 2 }))
        {
            var error = Assert.Throws<FbException>(() => db.Execute(timed, "UPDATE L SET V = 3 WHERE ID = 1"));
            Assert.Contains(335544451, error.GdsCodes);
        }
        guard.Dispose();
        // It waited: Firebird counts lock time-outs in whole seconds on a ticker, so 2 s waits at least 1 s (a busy
        // machine can only make it longer), where a conflict without wait fails at once.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"the update gave up after {watch.Elapsed}");
        holder.Rollback();
    }

    [Fact]
    public void Statements_refuse_an_ended_transaction_and_a_foreign_one()
    {
        using var db = Create(Mode.Embedded);
        using var other = FbConnection.Open(db.Settings);
        var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT 1 FROM RDB$DATABASE");
        tx.Commit();
        Assert.Throws<InvalidOperationException>(() => command.ExecuteScalar());
        Assert.Throws<InvalidOperationException>(() => db.Prepare(tx, "SELECT 1 FROM RDB$DATABASE"));
        using var foreign = other.BeginTransaction();
        Assert.Throws<ArgumentException>(() => db.Prepare(foreign, "SELECT 1 FROM RDB$DATABASE"));
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_database_is_created_with_its_page_size_and_charset_reports_its_version_and_drops(Mode mode)
    {
        var settings = Settings(mode, "created.fdb") with { PageSize = 16384 };
        var db = FbConnection.CreateDatabase(settings, defaultCharacterSet: "WIN1252");
        Assert.True(db.IsOpen);
        Assert.Same(settings, db.Settings);
        Assert.StartsWith("3.0.", db.ServerVersion);
        using (var tx = db.BeginTransaction())
        {
            Assert.Equal((short)16384, db.ExecuteScalar(tx, "SELECT MON$PAGE_SIZE FROM MON$DATABASE"));
            Assert.Equal("WIN1252", ((string)db.ExecuteScalar(tx, "SELECT RDB$CHARACTER_SET_NAME FROM RDB$DATABASE")!).Trim());
            Assert.Equal((short)3, db.ExecuteScalar(tx, "SELECT MON$SQL_DIALECT FROM MON$DATABASE"));
        }
        var again = Assert.Throws<FbException>(() => FbConnection.CreateDatabase(settings));
        Assert.Contains(settings.Database, again.Message);
        db.DropDatabase();
        Assert.False(db.IsOpen);
        Assert.Throws<ObjectDisposedException>(() => db.BeginTransaction());
        if (mode == Mode.Embedded) Assert.False(File.Exists(settings.Database));
        Assert.Throws<FbException>(() => FbConnection.Open(settings));
        db.Dispose();
    }

    [Fact]
    public void Connections_on_many_threads_at_once_each_work()
    {
        using var db = Create(Mode.Server);
        db.ExecuteInNewTransaction("CREATE TABLE P (ID INTEGER NOT NULL PRIMARY KEY, T INTEGER)");
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            using var connection = FbConnection.Open(db.Settings);
            for (var i = 0; i < 50; i++)
            {
                using var tx = connection.BeginTransaction();
                connection.Execute(tx, "INSERT INTO P VALUES (?, ?)", t * 1000 + i, t);
                tx.Commit();
            }
        });
        using var check = db.BeginTransaction();
        Assert.Equal(400L, db.ExecuteScalar(check, "SELECT COUNT(*) FROM P"));
    }
}
