using System.Diagnostics;
using HeitzSync.Core.Backup;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>The database files at one step of the storage measure.</summary>
internal sealed record FileStep(string Step, long SiteBytes, long? MasterBytes, long SiteVersionRows, long? MasterVersionRows, TimeSpan? Duration);

/// <summary>One send of the site (extract + upload through a folder drop).</summary>
internal sealed record SendStep(string What, long Rows, long Bytes, TimeSpan Extract, TimeSpan Upload)
{
    public TimeSpan Total => Extract + Upload;
}

/// <summary>What capture costs on disk, and what a full restore costs the next send.</summary>
internal sealed record StorageResult(
    string Site,
    long SiteRows,
    TimeSpan Generated,
    long PlainRestoreBytes,
    IReadOnlyList<FileStep> Files,
    BackupResult BackupBefore,
    BackupResult BackupAfter,
    IReadOnlyList<SendStep> Sends,
    TimeSpan FullPublish,
    long FullPackageBytes,
    TimeSpan FullRestore,
    IReadOnlyList<DayCounts> Week,
    string Firebird);

/// <summary>
/// Issue 16, targets 3 and 4: a club with years of data of its own (the sample schema, <c>rows</c> rows, one site) joins a
/// Siège that holds only the reference rows. Measured side by side in one run: the site's database file before init, after
/// init as capture did before issue 16 (a version row per existing row and its SEQ and TX indexes: that SQL run on a copy),
/// after init now, after the first night (the whole load up, consolidated, published, applied), after a week of 1 % days;
/// the master's file alongside; the safety backup (gbak + verified restore) of the site before capture and after the week;
/// then the site is recovered from a full package of the master, and its first send is timed against the next one and
/// against ordinary sends.
/// </summary>
internal static class StorageBench
{
    private const int SiteNumber = 2;

    public static async Task<StorageResult> RunAsync(double scale, string folder, SyncKey key, int seed, Action<string> log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var sitePath = Path.Combine(folder, "CLUB02.fdb");
        var masterPath = Path.Combine(folder, "SIEGE.fdb");
        var site = Settings(sitePath);
        var master = Settings(masterPath);
        log($"  the site's own database (one club, scale {scale})");
        var chain = Chain.Create(sitePath, scale, 1, seed, log);
        var firebird = Machine.FirebirdVersion(sitePath);
        CreateMaster(masterPath);
        var files = new List<FileStep>();
        var sends = new List<SendStep>();
        var week = new List<DayCounts>();

        files.Add(Measure("before init (no capture)", sitePath, masterPath, null));
        log("  safety backup before capture, and a plain restore of the same data");
        var backupBefore = await new SafetyBackup().RunAsync(site, Path.Combine(folder, "backup-before"), 1, null, cancellationToken);
        var plain = Path.Combine(folder, "plain-restore.fdb");
        await new FbBackupService().RestoreAsync(backupBefore.Path, Settings(plain), replaceExisting: false, null, cancellationToken);
        var plainBytes = new FileInfo(plain).Length;
        File.Delete(plain);

        log("  capture as before issue 16, on a copy (a version row per existing row, SEQ and TX indexes)");
        var oldWay = Path.Combine(folder, "old-init.fdb");
        File.Copy(sitePath, oldWay);
        var oldInit = Stopwatch.StartNew();
        using (var connection = FbConnection.Open(Settings(oldWay)))
        {
            new CaptureInstaller(connection).Install(Identity(SiteNumber, isSiege: false) with { InitialLoad = false });
            QueueEveryRowAsBefore(connection);
        }
        files.Add(Measure("after init, capture as before issue 16 (emulated)", oldWay, null, oldInit.Elapsed));
        File.Delete(oldWay);

        log("  init");
        var init = Stopwatch.StartNew();
        using (var connection = FbConnection.Open(site)) new CaptureInstaller(connection).Install(Identity(SiteNumber, isSiege: false));
        var initTime = init.Elapsed;
        using (var connection = FbConnection.Open(master)) new CaptureInstaller(connection).Install(Identity(1, isSiege: true));
        files.Add(Measure("after init", sitePath, masterPath, initTime));

        var drop = Path.Combine(folder, "drop");
        Directory.CreateDirectory(drop);
        using var siteDrop = new FolderDropTransport(drop);
        using var siegeDrop = new FolderDropTransport(drop);
        var siteNight = new SiteNight(site, siteDrop, key, Path.Combine(folder, "work-site"), identity: Identity(SiteNumber, isSiege: false));
        var siege = new SiegeNight(master, siegeDrop, key, Path.Combine(folder, "work-siege"), Array.Empty<string>());
        var day = 0;

        log("  the first night: the whole load up, consolidated, published, applied");
        var first = Stopwatch.StartNew();
        sends.Add(await NightAsync(siteNight, siege, "the first night's send (the initial load)", ++day, cancellationToken));
        files.Add(Measure("after the first night", sitePath, masterPath, first.Elapsed));

        log("  a week of 1 % days");
        var weekWatch = Stopwatch.StartNew();
        for (var d = 0; d < 7; d++)
        {
            using (var connection = FbConnection.Open(Chain.Settings(sitePath)))
            {
                week.Add(DailyChange.Apply(connection, SiteNumber, 1, chain.PerClub, chain.TotalRows / 100, new Random(seed + 100 + d)));
            }
            var send = await NightAsync(siteNight, siege, "ordinary send, a 1 % day", ++day, cancellationToken);
            if (d == 6) sends.Add(send);
        }
        files.Add(Measure("after a week of 1 % days", sitePath, masterPath, weekWatch.Elapsed));
        sends.Add(await NightAsync(siteNight, siege, "ordinary send, nothing changed", ++day, cancellationToken));

        log("  safety backup after capture");
        var backupAfter = await new SafetyBackup().RunAsync(site, Path.Combine(folder, "backup-after"), 1, null, cancellationToken);

        log("  recovery from a full package of the master");
        var publish = Stopwatch.StartNew();
        await FullPackage.PublishAsync(master, siegeDrop, key, Path.Combine(folder, "work-siege"), SiteCode.Parse(Chain.ClubCode(SiteNumber)), Cycle(++day), null, cancellationToken);
        var publishTime = publish.Elapsed;
        var fullBytes = Directory.GetFiles(Path.Combine(drop, Chain.ClubCode(SiteNumber), "down"), "*_full*").Sum(f => new FileInfo(f).Length);
        var restore = Stopwatch.StartNew();
        var restored = await siteNight.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(200), null, cancellationToken);
        var restoreTime = restore.Elapsed;
        if (restored.FullRestoreNote is null) throw new InvalidOperationException("The site did not restore the full package.");
        foreach (var previous in Directory.GetFiles(folder, "CLUB02.before-*.fdb")) File.Delete(previous);
        files.Add(Measure("after a full-package restore", sitePath, masterPath, restoreTime));
        sends.Add(await SendAsync(siteNight, "first send after the full restore, nothing changed", ++day, cancellationToken));
        sends.Add(await SendAsync(siteNight, "the next send, nothing changed", ++day, cancellationToken));
        return new StorageResult(Chain.ClubCode(SiteNumber), chain.TotalRows, chain.Duration, plainBytes, files, backupBefore, backupAfter, sends,
            publishTime, fullBytes, restoreTime, week, firebird);
    }

    private static FbConnectionSettings Settings(string path) => Chain.Settings(path) with { Charset = "NONE" };

    private static CycleId Cycle(int day) => CycleId.FromTime(new DateTimeOffset(2026, 1, 5, 2, 0, 0, TimeSpan.Zero).AddDays(day));

    private static CaptureOptions Identity(int number, bool isSiege) => new()
    {
        Site = SiteCode.Parse(isSiege ? "SIEGE" : Chain.ClubCode(number)),
        SiteNumber = number,
        IsSiege = isSiege,
        KeyLow = Chain.KeyLow(number),
        KeyHigh = Chain.KeyLow(number) + Chain.KeyRangeSize - 1,
        IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
    };

    /// <summary>A Siège holding only the chain's reference rows (the subscription types), as before its clubs join.</summary>
    private static void CreateMaster(string path)
    {
        using var connection = FbConnection.CreateDatabase(Chain.Settings(path), "UTF8");
        SampleSchema.Create(connection);
        using var writer = new RowWriter(connection);
        writer.WriteAll(ClubRows.ReferenceRows());
        writer.Commit();
    }

    /// <summary>What init wrote before issue 16: a version row per existing row, one sequence each, and the version table's
    /// SEQ and TX indexes (the statements of that version's CaptureInstaller and CaptureObjects).</summary>
    private static void QueueEveryRowAsBefore(FbConnection connection)
    {
        var tables = new List<(int Id, string Name)>();
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        using (var command = connection.Prepare(tx, "SELECT ID, TABLE_NAME FROM HZ$TABLES"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tables.Add((reader.GetInt32(0), reader.GetString(1).Trim()));
        }
        using (var tx = connection.BeginTransaction())
        {
            foreach (var (id, name) in tables)
            {
                var keys = string.Join(", ", connection.Schema.GetTable(tx, name)!.PrimaryKey.Select(FbSql.QuoteIdentifier));
                connection.Execute(tx,
                    $"INSERT INTO HZ$V_{id} ({keys}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
                    $"SELECT {keys}, GEN_ID(HZ$SEQ, 1), CURRENT_TRANSACTION, 'I', CAST('1900-01-01' AS TIMESTAMP), '{Chain.ClubCode(SiteNumber)}', 0 FROM {FbSql.QuoteIdentifier(name)}");
            }
            tx.Commit();
        }
        foreach (var (id, _) in tables)
        {
            connection.ExecuteInNewTransaction($"CREATE INDEX HZ$IX_V_{id}_SEQ ON HZ$V_{id} (SEQ)");
            connection.ExecuteInNewTransaction($"CREATE INDEX HZ$IX_V_{id}_TX ON HZ$V_{id} (TX)");
        }
    }

    /// <summary>One night of the site and the Siège; returns the site's send.</summary>
    private static async Task<SendStep> NightAsync(SiteNight site, SiegeNight siege, string what, int day, CancellationToken cancellationToken)
    {
        var send = await SendAsync(site, what, day, cancellationToken);
        var known = new[] { SiteCode.Parse(Chain.ClubCode(SiteNumber)) };
        var consolidation = await siege.ConsolidateAsync(known, 1, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
        if (consolidation.Errors > 0) throw new InvalidOperationException("The Siège did not consolidate: " + string.Join("; ", consolidation.Deliveries.Select(d => d.Error)));
        await siege.PublishAsync(Cycle(day), null, cancellationToken);
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(200), null, cancellationToken);
        if (!received.Found || received.Unapplied.Count > 0) throw new InvalidOperationException($"The site did not apply its package (found: {received.Found}, unapplied: {received.Unapplied.Count}).");
        return send;
    }

    private static async Task<SendStep> SendAsync(SiteNight site, string what, int day, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var sent = await site.ExtractAsync(Cycle(day), null, cancellationToken);
        var extract = watch.Elapsed;
        watch.Restart();
        await site.UploadAsync(sent, null, cancellationToken);
        return new SendStep(what, sent.Rows, sent.Bytes, extract, watch.Elapsed);
    }

    private static FileStep Measure(string step, string sitePath, string? masterPath, TimeSpan? duration) =>
        new(step, new FileInfo(sitePath).Length, masterPath is null ? null : new FileInfo(masterPath).Length,
            VersionRows(sitePath), masterPath is null || !IsInstalled(masterPath) ? null : VersionRows(masterPath), duration);

    private static bool IsInstalled(string path)
    {
        using var connection = FbConnection.Open(Settings(path));
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return CaptureInstaller.IsInstalled(connection, tx);
    }

    /// <summary>Version rows in every HZ$V_ table of the database (0 before capture).</summary>
    private static long VersionRows(string path)
    {
        using var connection = FbConnection.Open(Settings(path));
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        if (!CaptureInstaller.IsInstalled(connection, tx)) return 0;
        long total = 0;
        foreach (var table in connection.Schema.GetTables(tx).Where(t => t.Name.StartsWith("HZ$V_", StringComparison.Ordinal)))
        {
            total += Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT COUNT(*) FROM {FbSql.QuoteIdentifier(table.Name)}"), System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }
}
