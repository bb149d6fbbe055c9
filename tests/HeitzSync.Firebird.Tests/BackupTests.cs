using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class BackupTests : DatabaseTest
{
    public BackupTests(FirebirdServerFixture server) : base(server) { }

    /// <summary>Collects progress lines as they are reported (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineCollector : IProgress<string>
    {
        private readonly List<string> _lines = new();
        public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
        public void Report(string value)
        {
            lock (_lines) _lines.Add(value);
        }
    }

    private const string Table = "CREATE TABLE K (ID INTEGER NOT NULL PRIMARY KEY, NAME VARCHAR(30) CHARACTER SET WIN1252, " +
        "AMOUNT NUMERIC(18,4), TAKEN_AT TIMESTAMP, OK BOOLEAN, PHOTO BLOB, NOTE BLOB SUB_TYPE TEXT CHARACTER SET UTF8)";

    private static void Fill(FbConnection db, int rows)
    {
        using var tx = db.BeginTransaction();
        using var insert = db.Prepare(tx, "INSERT INTO K VALUES (?, ?, ?, ?, ?, ?, ?)");
        for (var i = 0; i < rows; i++)
        {
            insert.ExecuteNonQuery(i, $"Hélène {i}", i * 1.0001m, new DateTime(2024, 1, 1).AddMinutes(i), i % 2 == 0,
                i % 7 == 0 ? null : Enumerable.Range(0, i * 10).Select(b => (byte)(b * i)).ToArray(), $"Note ✓ {i}");
        }
        tx.Commit();
    }

    /// <summary>Every row, every column, as exact text (raw bytes for text and blobs, over a NONE attachment).</summary>
    private static List<string> Dump(FbConnectionSettings settings)
    {
        using var db = FbConnection.Open(settings with { Charset = "NONE" });
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT * FROM K ORDER BY ID");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i =>
                reader.IsDBNull(i) ? "null"
                : reader.GetColumn(i).Type is FbDbType.VarChar or FbDbType.Blob or FbDbType.TextBlob ? Convert.ToHexString(reader.GetBytes(i))
                : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public async Task Backup_then_restore_gives_identical_content_and_verify_catches_damage(Mode mode)
    {
        FbConnectionSettings source;
        using (var db = Create(mode, name: "source.fdb"))
        {
            source = db.Settings;
            db.ExecuteInNewTransaction(Table);
            Fill(db, 300);
        }
        // Firebird 3's embedded engine holds the file exclusively while attached: gbak (another process) needs it closed.
        var original = Dump(source);
        Assert.Equal(300, original.Count);
        var backup = Temp.File("k.fbk");
        var service = new FbBackupService();
        var progress = new LineCollector();
        await service.BackupAsync(source, backup, progress, CancellationToken.None);
        Assert.True(new FileInfo(backup).Length > 0);
        Assert.Contains(progress.Lines, l => l.Contains("writing data for table K", StringComparison.OrdinalIgnoreCase));   // gbak's own progress, line by line
        Assert.DoesNotContain(progress.Lines, l => mode == Mode.Server && l.Contains(Server.Password, StringComparison.Ordinal));

        var verified = new LineCollector();
        await service.VerifyAsync(backup, verified, CancellationToken.None);
        Assert.Contains(verified.Lines, l => l.Contains("1 table(s) restored", StringComparison.Ordinal));

        var target = Settings(mode, "restored.fdb");
        await service.RestoreAsync(backup, target, replaceExisting: false, null, CancellationToken.None);
        Assert.Equal(original, Dump(target));
        // Restoring over an existing database needs replaceExisting, and the existing one is left as it was.
        var refused = await Assert.ThrowsAsync<GbakException>(() => service.RestoreAsync(backup, target, replaceExisting: false, null, CancellationToken.None));
        Assert.Contains("gbak restore", refused.Message);
        Assert.Equal(original, Dump(target));
        using (var change = FbConnection.Open(target)) change.ExecuteInNewTransaction("DELETE FROM K WHERE ID < 100");
        await service.RestoreAsync(backup, target, replaceExisting: true, null, CancellationToken.None);
        Assert.Equal(original, Dump(target));
        if (mode == Mode.Server) FbConnection.Open(target).DropDatabase();

        var bytes = File.ReadAllBytes(backup);
        var truncated = Temp.File("truncated.fbk");
        File.WriteAllBytes(truncated, bytes.Take(bytes.Length / 3).ToArray());
        var error = await Assert.ThrowsAsync<GbakException>(() => service.VerifyAsync(truncated, null, CancellationToken.None));
        Assert.Contains("gbak restore", error.Message);
        Assert.Contains("exit code", error.Message);
        Assert.DoesNotContain(Server.Password, error.Message);

        var garbage = Temp.File("garbage.fbk");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray());
        var notABackup = await Assert.ThrowsAsync<GbakException>(() => service.VerifyAsync(garbage, null, CancellationToken.None));
        Assert.Contains("gbak", notABackup.Message);
    }

    [Fact]
    public async Task A_cancelled_backup_kills_gbak_and_leaves_no_partial_file()
    {
        FbConnectionSettings source;
        using (var db = Create(Mode.Server, name: "big.fdb"))
        {
            source = db.Settings;
            db.ExecuteInNewTransaction("CREATE TABLE BIG (ID INTEGER NOT NULL PRIMARY KEY, DATA BLOB)");
            using var tx = db.BeginTransaction();
            using var insert = db.Prepare(tx, "INSERT INTO BIG VALUES (?, ?)");
            var payload = Enumerable.Range(0, 256 * 1024).Select(i => (byte)(i * 13)).ToArray();
            for (var i = 0; i < 400; i++) insert.ExecuteNonQuery(i, payload);   // ~100 MB to back up
            tx.Commit();
        }
        var backup = Temp.File("big.fbk");
        using var cancel = new CancellationTokenSource();
        var progress = new LineCollector();
        var service = new FbBackupService();
        var running = service.BackupAsync(source, backup, new CancelOnLine(progress, "writing data for table BIG", cancel), cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Contains(progress.Lines, l => l.Contains("writing data for table BIG", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(progress.Lines, l => l.Contains("closing file, committing, and finishing", StringComparison.Ordinal));   // stopped mid-way
        Assert.False(File.Exists(backup), "the partial backup file was left behind");
        Assert.DoesNotContain(System.Diagnostics.Process.GetProcessesByName("gbak"), IsOurChild);
    }

    /// <summary>Whether a process is a child of this test process (its parent id in /proc/pid/stat).</summary>
    private static bool IsOurChild(System.Diagnostics.Process process)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == Environment.ProcessId;
        }
        catch (IOException)
        {
            return false;   // already gone
        }
    }

    /// <summary>Cancels when gbak reports a given line, i.e. in the middle of the work.</summary>
    private sealed class CancelOnLine : IProgress<string>
    {
        private readonly LineCollector _inner;
        private readonly string _trigger;
        private readonly CancellationTokenSource _cancel;
        public CancelOnLine(LineCollector inner, string trigger, CancellationTokenSource cancel) => (_inner, _trigger, _cancel) = (inner, trigger, cancel);
        public void Report(string value)
        {
            _inner.Report(value);
            if (value.Contains(_trigger, StringComparison.OrdinalIgnoreCase)) _cancel.Cancel();
        }
    }

    [Fact]
    public async Task A_failed_restore_without_replace_keeps_the_existing_file_and_a_missing_gbak_is_explained()
    {
        using var db = Create(Mode.Embedded, name: "keep.fdb");
        db.ExecuteInNewTransaction(Table);
        Fill(db, 3);
        var settings = db.Settings;
        db.Dispose();
        var before = Dump(settings);
        var garbage = Temp.File("garbage.fbk");
        File.WriteAllBytes(garbage, new byte[4096]);
        var error = await Assert.ThrowsAsync<GbakException>(() => new FbBackupService().RestoreAsync(garbage, settings, replaceExisting: false, null, CancellationToken.None));
        Assert.Contains("exit code", error.Message);
        Assert.Equal(before, Dump(settings));   // still there, still whole

        var missing = await Assert.ThrowsAsync<FbException>(() => new FbBackupService("/nowhere/gbak").BackupAsync(settings, Temp.File("x.fbk"), null, CancellationToken.None));
        Assert.Contains("HEITZSYNC_GBAK", missing.Message);
        Assert.Contains("firebird3.0-utils", missing.Message);
    }
}
