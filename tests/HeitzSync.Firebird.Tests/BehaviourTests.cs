using System.Diagnostics;
using System.Security.Cryptography;
using HeitzSync.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class BehaviourTests : DatabaseTest
{
    public BehaviourTests(ServerFixture server) : base(server) { }

    /// <summary>A stream that makes its bytes as it is read, so the test itself never holds 20 MB.</summary>
    private sealed class GeneratedStream : Stream
    {
        private readonly long _length;
        private long _position;
        public GeneratedStream(long length) => _length = length;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _length - _position);
            for (var i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) * 31 % 251);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_20_MB_blob_is_streamed_in_and_out_intact(Mode mode)
    {
        const long size = 20L * 1024 * 1024;
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE B (ID INTEGER NOT NULL PRIMARY KEY, DATA BLOB SUB_TYPE BINARY)");
        byte[] expected;
        using (var sha = SHA256.Create())
        using (var source = new GeneratedStream(size))
        {
            expected = sha.ComputeHash(source);
        }
        var before = GC.GetTotalAllocatedBytes(precise: true);
        db.ExecuteInNewTransaction("INSERT INTO B VALUES (1, ?)", new GeneratedStream(size));
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT DATA FROM B");
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        using var sha2 = SHA256.Create();
        using var blob = reader.OpenBlob(0);
        Assert.Equal(expected, sha2.ComputeHash(blob));
        Assert.Equal(size, blob.Position);
        // Streaming in 32 KB segments: far less than one copy of the blob is ever allocated at once... or in total.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < size, "the blob went through memory whole");
    }

    [Fact]
    public void A_rolled_back_transaction_leaves_nothing_and_one_transaction_spans_statements()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE R (ID INTEGER NOT NULL PRIMARY KEY)");
        using (var tx = db.BeginTransaction())
        {
            db.Execute(tx, "INSERT INTO R VALUES (1)");
            db.Execute(tx, "INSERT INTO R VALUES (2)");
            Assert.Equal(2L, db.ExecuteScalar(tx, "SELECT COUNT(*) FROM R"));
            tx.Rollback();
        }
        using (var tx = db.BeginTransaction())
        {
            db.Execute(tx, "INSERT INTO R VALUES (3)");
            // disposed without commit: rolled back
        }
        using var check = db.BeginTransaction();
        Assert.Equal(0L, db.ExecuteScalar(check, "SELECT COUNT(*) FROM R"));
    }

    [Fact]
    public void A_snapshot_does_not_see_a_later_commit_and_read_committed_does()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE S (ID INTEGER NOT NULL PRIMARY KEY)");
        using var snapshot = db.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        using var committed = db.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        Assert.Equal(0L, db.ExecuteScalar(snapshot, "SELECT COUNT(*) FROM S"));
        db.ExecuteInNewTransaction("INSERT INTO S VALUES (1)");
        Assert.Equal(0L, db.ExecuteScalar(snapshot, "SELECT COUNT(*) FROM S"));
        Assert.Equal(1L, db.ExecuteScalar(committed, "SELECT COUNT(*) FROM S"));
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Errors_carry_firebird_codes_and_text_and_no_parameter_values(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE E (ID INTEGER NOT NULL PRIMARY KEY, S VARCHAR(10))");
        db.ExecuteInNewTransaction("INSERT INTO E VALUES (1, 'x')");
        var duplicate = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("INSERT INTO E VALUES (?, ?)", 1, "secretval"));
        Assert.True(duplicate.GdsCode == 335544665, $"GDS {duplicate.GdsCode} ({string.Join(",", duplicate.GdsCodes)}): {duplicate.Message}");
        Assert.True(duplicate.SqlCode == -803, $"SQLCODE {duplicate.SqlCode}");
        Assert.Contains("violation of PRIMARY or UNIQUE KEY", duplicate.Message);
        Assert.Contains("INSERT INTO E", duplicate.Message);
        Assert.DoesNotContain("secretval", duplicate.Message);

        var syntax = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("SELEC 1 FROM RDB$DATABASE"));
        Assert.True(syntax.SqlCode == -104, $"SQLCODE {syntax.SqlCode}: {syntax.Message}");
        Assert.Contains("Token unknown", syntax.Message);
    }

    [Fact]
    public void A_wrong_server_password_is_a_clear_error_without_the_password()
    {
        using var db = Create(Mode.Server);
        var settings = db.Settings with { Password = "not-the-password-42" };
        var error = Assert.Throws<FbException>(() => FbConnection.Open(settings));
        Assert.Contains("user name and password are not defined", error.Message);
        Assert.Contains("127.0.0.1", error.Message);
        Assert.DoesNotContain("not-the-password-42", error.Message);
        Assert.DoesNotContain(Server.Password, error.Message);
        Assert.DoesNotContain(Server.Password, settings.ToString());
    }

    [Fact]
    public void Opening_a_missing_database_names_it()
    {
        var settings = Settings(Mode.Embedded, "missing.fdb");
        var error = Assert.Throws<FbException>(() => FbConnection.Open(settings));
        Assert.Contains("missing.fdb", error.Message);
    }

    [Fact]
    public void Schema_reading_sees_tables_columns_keys_generators_and_triggers()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE P (ID BIGINT NOT NULL PRIMARY KEY, NAME VARCHAR(30) CHARACTER SET WIN1252 NOT NULL, PRICE NUMERIC(9,2), TWICE COMPUTED BY (PRICE * 2))");
        db.ExecuteInNewTransaction("CREATE TABLE C (ID BIGINT NOT NULL PRIMARY KEY, P_ID BIGINT REFERENCES P (ID), PARENT_ID BIGINT REFERENCES C (ID))");
        db.ExecuteInNewTransaction("CREATE VIEW V AS SELECT ID FROM P");
        db.ExecuteInNewTransaction("CREATE SEQUENCE GEN_P");
        db.ExecuteInNewTransaction("ALTER SEQUENCE GEN_P RESTART WITH 41");
        db.ExecuteInNewTransaction("CREATE TRIGGER P_BI FOR P ACTIVE BEFORE INSERT POSITION 0 AS BEGIN IF (NEW.ID IS NULL) THEN NEW.ID = GEN_ID(GEN_P, 1); END");
        using var tx = db.BeginTransaction();
        var tables = db.Schema.GetTables(tx);
        Assert.Equal(new[] { "C", "P" }, tables.Select(t => t.Name));
        var p = tables.Single(t => t.Name == "P");
        Assert.Equal(new[] { "ID", "NAME", "PRICE", "TWICE" }, p.Columns.Select(c => c.Name));
        Assert.Equal(new[] { "ID" }, p.PrimaryKey);
        var name = p.Columns[1];
        Assert.Equal((FbDbType.VarChar, 30, "WIN1252", false), (name.Type, name.CharacterLength, name.CharsetName, name.IsNullable));
        Assert.Equal((FbDbType.Numeric, 9, -2), (p.Columns[2].Type, p.Columns[2].Precision, p.Columns[2].Scale));
        Assert.True(p.Columns[3].IsComputed);
        var c = tables.Single(t => t.Name == "C");
        Assert.Contains(c.ForeignKeys, fk => fk.ReferencedTable == "P" && fk.Columns.SequenceEqual(new[] { "P_ID" }));
        Assert.Contains(c.ForeignKeys, fk => fk.ReferencedTable == "C" && fk.ReferencedColumns.SequenceEqual(new[] { "ID" }));
        Assert.Equal(41L, db.Schema.GetGenerators(tx).Single(g => g.Name == "GEN_P").CurrentValue);
        var trigger = db.Schema.GetTriggers(tx).Single(t => t.Name == "P_BI");
        Assert.Equal(("P", true, false), (trigger.Table, trigger.IsActive, trigger.IsSystem));
        Assert.Null(db.Schema.GetTable(tx, "NOPE"));
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public async Task Backup_then_restore_gives_identical_content_and_verify_catches_damage(Mode mode)
    {
        var db = Create(mode, name: "source.fdb");
        db.ExecuteInNewTransaction("CREATE TABLE K (ID INTEGER NOT NULL PRIMARY KEY, NAME VARCHAR(30) CHARACTER SET WIN1252, PHOTO BLOB)");
        for (var i = 0; i < 200; i++) db.ExecuteInNewTransaction("INSERT INTO K VALUES (?, ?, ?)", i, $"Hélène {i}", new byte[i * 10]);
        var original = Dump(db);
        // Firebird 3's embedded engine holds the file exclusively: gbak (another process) needs it closed here.
        db.Dispose();
        var backup = mode == Mode.Embedded ? Temp.File("k.fbk") : Path.Combine(Server.Folder, "k.fbk");
        var service = new FbBackupService();
        var lines = new List<string>();
        await service.BackupAsync(db.Settings, backup, new LineCollector(lines), CancellationToken.None);
        Assert.True(new FileInfo(backup).Length > 0);
        Assert.Contains(lines, l => l.Contains("writing data for table K", StringComparison.OrdinalIgnoreCase));   // gbak's progress, line by line
        await service.VerifyAsync(backup, null, CancellationToken.None);

        var target = Settings(Mode.Embedded, "restored.fdb");
        await service.RestoreAsync(backup, target, replaceExisting: false, null, CancellationToken.None);
        using var restored = FbConnection.Open(target);
        Assert.Equal(original, Dump(restored));

        var damaged = Temp.File("damaged.fbk");
        var bytes = File.ReadAllBytes(backup);
        File.WriteAllBytes(damaged, bytes.Take(bytes.Length / 3).ToArray());
        var error = await Assert.ThrowsAsync<FbException>(() => service.VerifyAsync(damaged, null, CancellationToken.None));
        Assert.Contains("gbak", error.Message);
        Assert.DoesNotContain(Server.Password, error.Message);
    }

    /// <summary>Collects progress lines as they are reported (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineCollector : IProgress<string>
    {
        private readonly List<string> _lines;
        public LineCollector(List<string> lines) => _lines = lines;
        public void Report(string value)
        {
            lock (_lines) _lines.Add(value);
        }
    }

    private static List<string> Dump(FbConnection db)
    {
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT ID, NAME, PHOTO FROM K ORDER BY ID");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add($"{reader.GetInt32(0)}|{reader.GetString(1)}|{Convert.ToHexString(reader.GetBytes(2))}");
        return rows;
    }

    [Fact]
    public void Thousands_of_opens_prepares_and_abandoned_readers_release_every_handle()
    {
        using (var db = Create(Mode.Embedded))
        {
            db.ExecuteInNewTransaction("CREATE TABLE L (ID INTEGER NOT NULL PRIMARY KEY, B BLOB)");
            for (var i = 0; i < 5; i++) db.ExecuteInNewTransaction("INSERT INTO L VALUES (?, ?)", i, new byte[100]);
        }
        var settings = Settings(Mode.Embedded, "test.fdb");
        void Cycle(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var connection = FbConnection.Open(settings);
                using var tx = connection.BeginTransaction();
                for (var j = 0; j < 10; j++)
                {
                    using var command = connection.Prepare(tx, "SELECT ID, B FROM L");
                    var reader = command.ExecuteReader();
                    reader.Read();
                    _ = reader.OpenBlob(1).ReadByte();   // abandoned mid-read: disposal must release the cursor and the blob
                }
            }
        }
        Cycle(50);   // warm up the engine's own caches
        var fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;
        Cycle(2000);
        var fdsAfter = Directory.GetFiles("/proc/self/fd").Length;
        Assert.InRange(fdsAfter, 0, fdsBefore + 3);
        Assert.True(Process.GetCurrentProcess().WorkingSet64 - memoryBefore < 200L * 1024 * 1024, "memory grew by more than 200 MB over 2000 cycles");
    }
}
