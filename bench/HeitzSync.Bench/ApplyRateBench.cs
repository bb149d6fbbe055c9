using System.Diagnostics;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

internal sealed record ApplyRate(int Sites, long RowsSent, long PackageBytes, TimeSpan Extract, long RowsConsolidated, TimeSpan Consolidate, long RawRows, TimeSpan Raw,
    string Receiver, long RowsReceived, long ReceivedBytes, TimeSpan Receive, OneNight OneNight)
{
    /// <summary>The site apply rate: download, authenticate, decompress and apply the Siège's package at one site.</summary>
    public double ReceiveRate => RowsReceived / Receive.TotalSeconds;
    public double ConsolidateRate => RowsConsolidated / Consolidate.TotalSeconds;
    public double RawRate => RawRows / Raw.TotalSeconds;
    public double ExtractRate => RowsSent / Extract.TotalSeconds;
}

/// <summary>The same packages consolidated as one night does (one connection, one consolidator: batch statements prepared
/// once) and with a consolidator per package (prepared again for each), alternated package by package on two copies of the
/// master; what preparing costs a night.</summary>
internal sealed record OneNight(long Rows, TimeSpan Reused, TimeSpan PreparedEach, long StatementsPreparedReused, long StatementsPreparedEach)
{
    public double ReusedRate => Rows / Reused.TotalSeconds;
    public double PreparedEachRate => Rows / PreparedEach.TotalSeconds;
}

/// <summary>
/// Consolidation apply rate at the Siège: N sites each send M new rows (a club's activity: members, subscriptions,
/// entries, sales with lines, payments, accounting); the Siège consolidates the N packages into a copy of the chain's
/// master in one night call; the very same rows are inserted into a plain copy of the chain database (no capture) by a
/// prepared statement loop in one transaction, the practical limit. Each twice, night, loop, loop, night.
/// </summary>
internal static class ApplyRateBench
{
    /// <summary>New rows go far above the chain's history in each club's range, so they never meet existing keys.</summary>
    private const long BatchKeyOffset = 500_000_000;

    public static async Task<ApplyRate> RunAsync(NightKit kit, string folder, int sites, int changesPerSite, SyncKey key, int seed, Action<string> log, CancellationToken cancellationToken)
    {
        if (sites > kit.Chain.Clubs) throw new ArgumentOutOfRangeException(nameof(sites), $"The chain has {kit.Chain.Clubs} clubs: at most {kit.Chain.Clubs} sites.");
        Directory.CreateDirectory(folder);
        var master = Path.Combine(folder, "SIEGE.fdb");
        File.Copy(kit.PathOf(kit.Siege), master);
        var raw = Path.Combine(folder, "PLAIN.fdb");
        File.Copy(kit.Chain.Path, raw);
        var dropFolder = Path.Combine(folder, "drop");
        Directory.CreateDirectory(dropFolder);
        using var drop = new FolderDropTransport(dropFolder);
        var cycle = CycleId.FromTime(DateTimeOffset.UtcNow, 2);
        // The packages and the master as they are before consolidation, for the one-night comparison after it.
        var packages = Path.Combine(folder, "packages");
        Directory.CreateDirectory(packages);
        var reuseMaster = Path.Combine(folder, "SIEGE-one-consolidator.fdb");
        var eachMaster = Path.Combine(folder, "SIEGE-consolidator-per-package.fdb");

        long rowsSent = 0, packageBytes = 0;
        var extract = TimeSpan.Zero;
        for (var i = 0; i < sites; i++)
        {
            var number = Chain.ClubNumber(i);
            var code = Chain.ClubCode(number);
            var path = Path.Combine(folder, code + ".fdb");
            using (var connection = FbConnection.CreateDatabase(Chain.Settings(path), "UTF8"))
            {
                SampleSchema.Create(connection);
                using (var writer = new RowWriter(connection))
                {
                    writer.WriteAll(ClubRows.ReferenceRows());
                    writer.Commit();
                }
                new CaptureInstaller(connection).Install(new CaptureOptions
                {
                    Site = SiteCode.Parse(code),
                    SiteNumber = number,
                    KeyLow = Chain.KeyLow(number),
                    KeyHigh = Chain.KeyLow(number) + Chain.KeyRangeSize - 1,
                    IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
                    InitialLoad = false,
                });
                using (var writer = new RowWriter(connection))
                {
                    writer.WriteAll(Batch(number, changesPerSite, seed));
                    writer.Commit();
                }
            }
            if (i == 0)
            {
                // The receiving site is in step with the master (as after earlier nights): the Siège's package for it
                // carries the other sites' new rows only.
                using var site = FbConnection.Open(Chain.Settings(path));
                using var masterDb = FbConnection.Open(Chain.Settings(master));
                object?[] step;
                using (var tx = masterDb.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
                {
                    step = new[] { masterDb.ExecuteScalar(tx, "SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE"), masterDb.ExecuteScalar(tx, "SELECT CURRENT_TRANSACTION + 1 FROM RDB$DATABASE") };
                }
                site.ExecuteInNewTransaction("UPDATE HZ$NODE SET APPLIED_SEQ = ?, APPLIED_TX = ? WHERE ID = 1", step);
            }
            var night = new SiteNight(Chain.Settings(path), drop, key, Path.Combine(folder, "work", code));
            var watch = Stopwatch.StartNew();
            var sent = await night.ExtractAsync(cycle, null, cancellationToken);
            extract += watch.Elapsed;
            File.Copy(sent.LocalPath, Path.Combine(packages, $"{i:00}-{sent.PackageName}"));
            await night.UploadAsync(sent, null, cancellationToken);
            rowsSent += sent.Rows;
            packageBytes += sent.Bytes;
            log($"  {code}: {sent.Rows:N0} changes packaged ({sent.Bytes:N0} bytes)");
        }

        File.Copy(master, reuseMaster);
        File.Copy(master, eachMaster);
        var secondMaster = Path.Combine(folder, "SIEGE-second-night.fdb");
        File.Copy(master, secondMaster);
        var secondRaw = Path.Combine(folder, "PLAIN-second.fdb");
        File.Copy(raw, secondRaw);
        Machine.FlushDisks(log);

        // The Siège consolidates the night's packages as a night does: one call that finds, copies, authenticates and
        // applies every site's package, one transaction each, on one connection. The plain loop inserts the same rows in
        // one transaction. Each runs twice, on fresh copies, in the order night, loop, loop, night, so that a drift in
        // the machine's load falls on both alike. The first night is the one that goes on (publish, site apply).
        var siege = new SiegeNight(Chain.Settings(master), drop, key, Path.Combine(folder, "work", "SIEGE"), Array.Empty<string>());
        var siteCodes = Enumerable.Range(0, sites).Select(i => SiteCode.Parse(Chain.ClubCode(Chain.ClubNumber(i)))).ToList();
        var consolidate = TimeSpan.Zero;
        var rawTime = TimeSpan.Zero;
        long consolidated = 0, inserted = 0;
        async Task Night(SiegeNight night, string name)
        {
            var watch = Stopwatch.StartNew();
            var run = await night.ConsolidateAsync(siteCodes, sites, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
            consolidate += watch.Elapsed;
            if (run.Errors > 0 || run.Deliveries.Count != sites || run.Conflicts > 0)
            {
                throw new InvalidOperationException($"The {name} did not take the packages cleanly: " +
                    string.Join("; ", run.Deliveries.Select(d => $"{d.Site} {d.State} {d.Error}")));
            }
            consolidated += run.RowsApplied;
            log($"  {name}: {run.RowsApplied:N0} rows consolidated in {watch.Elapsed.TotalSeconds:0.0} s");
        }
        void Loop(string database, string name)
        {
            var watch = Stopwatch.StartNew();
            using var plain = FbConnection.Open(Chain.Settings(database));
            using var writer = new RowWriter(plain);
            for (var i = 0; i < sites; i++) writer.WriteAll(Batch(Chain.ClubNumber(i), changesPerSite, seed));
            writer.Commit();
            rawTime += watch.Elapsed;
            inserted += writer.Rows;
            log($"  {name}: {writer.Rows:N0} rows inserted in {watch.Elapsed.TotalSeconds:0.0} s");
        }
        await Night(siege, "first night");
        Loop(raw, "first plain loop");
        Loop(secondRaw, "second plain loop");
        foreach (var file in Directory.GetFiles(packages).OrderBy(f => f, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file).Substring(3);   // "00-<package name>"
            await drop.UploadAsync(file, DropLayout.Up(SiteCode.Parse(name.Substring(0, name.IndexOf('_')))).Append(name), null, cancellationToken);
        }
        Machine.FlushDisks(log);
        await Night(new SiegeNight(Chain.Settings(secondMaster), drop, key, Path.Combine(folder, "work", "SIEGE-second"), Array.Empty<string>()), "second night");
        if (inserted != consolidated) throw new InvalidOperationException($"The plain loops inserted {inserted:N0} rows, the nights consolidated {consolidated:N0}.");
        File.Delete(secondMaster);
        File.Delete(secondRaw);

        Machine.FlushDisks(log);
        var oneNight = OneNightOfPackages(Directory.GetFiles(packages).OrderBy(f => f, StringComparer.Ordinal).ToList(), reuseMaster, eachMaster, key, cancellationToken);
        log($"  one night's consolidations: {oneNight.Rows:N0} rows in {oneNight.Reused.TotalSeconds:0.0} s through one consolidator, " +
            $"{oneNight.PreparedEach.TotalSeconds:0.0} s with one per package");
        File.Delete(reuseMaster);
        File.Delete(eachMaster);

        // Site apply: the Siège publishes, and the first site downloads and applies its package (the other sites' rows).
        await siege.PublishAsync(cycle, null, cancellationToken);
        var receiver = Chain.ClubCode(Chain.ClubNumber(0));
        var receiving = new SiteNight(Chain.Settings(Path.Combine(folder, receiver + ".fdb")), drop, key, Path.Combine(folder, "work", receiver));
        Machine.FlushDisks(log);
        var receiveWatch = Stopwatch.StartNew();
        var received = await receiving.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
        var receive = receiveWatch.Elapsed;
        var expected = consolidated / 2 * (sites - 1) / sites;
        if (!received.Found || received.Unapplied.Count > 0 || received.RowsSkipped > 0 || received.RowsApplied < expected * 9 / 10)
        {
            throw new InvalidOperationException($"{receiver} did not apply its package cleanly: found {received.Found}, {received.RowsApplied:N0} applied, " +
                $"{received.RowsSkipped:N0} skipped, {received.Unapplied.Count} unapplied (about {expected:N0} expected).");
        }
        log($"  {receiver}: {received.RowsApplied:N0} rows received and applied in {receive.TotalSeconds:0.0} s");
        return new ApplyRate(sites, rowsSent, packageBytes, extract, consolidated, consolidate, inserted, rawTime, receiver, received.RowsApplied, received.Bytes, receive, oneNight);
    }

    /// <summary>
    /// The night's packages into two copies of the master, alternated package by package (which goes first alternates
    /// too): one connection and one consolidator for the whole night on the first (the batch statements prepared by the
    /// first package are taken again by the next ones, as SiegeNight does), a consolidator per package on the second.
    /// Both read the package files themselves (authenticate, decompress, apply); neither lists or copies a drop.
    /// </summary>
    private static OneNight OneNightOfPackages(IReadOnlyList<string> files, string reuseMaster, string eachMaster, SyncKey key, CancellationToken cancellationToken)
    {
        var reused = TimeSpan.Zero;
        var each = TimeSpan.Zero;
        long rows = 0, rowsEach = 0;
        using var one = FbConnection.Open(Chain.Settings(reuseMaster) with { Charset = "NONE" });   // as the night opens it: text travels as bytes
        using var other = FbConnection.Open(Chain.Settings(eachMaster) with { Charset = "NONE" });
        using var consolidator = new Consolidator(one, Array.Empty<string>());
        var preparedOne = one.StatementsPrepared;
        var preparedOther = other.StatementsPrepared;
        for (var i = 0; i < files.Count; i++)
        {
            void Reused()
            {
                var watch = Stopwatch.StartNew();
                rows += TakeCleanly(consolidator, files[i], key, cancellationToken);
                reused += watch.Elapsed;
            }
            void Each()
            {
                var watch = Stopwatch.StartNew();
                using (var fresh = new Consolidator(other, Array.Empty<string>())) rowsEach += TakeCleanly(fresh, files[i], key, cancellationToken);
                each += watch.Elapsed;
            }
            if (i % 2 == 0)
            {
                Reused();
                Each();
            }
            else
            {
                Each();
                Reused();
            }
        }
        if (rows != rowsEach) throw new InvalidOperationException($"The two copies took {rows:N0} and {rowsEach:N0} rows from the same packages.");
        return new OneNight(rows, reused, each, one.StatementsPrepared - preparedOne, other.StatementsPrepared - preparedOther);
    }

    private static long TakeCleanly(Consolidator consolidator, string file, SyncKey key, CancellationToken cancellationToken)
    {
        var result = ConsolidateFile(consolidator, file, key, cancellationToken);
        if (result.Conflicts.Count > 0 || result.AlreadyConsolidated) throw new InvalidOperationException($"{file} did not go in cleanly.");
        return result.RowsApplied;
    }

    /// <summary>Consolidates a site package file (authenticated and decompressed as the Siège reads it; no drop).</summary>
    internal static ConsolidationResult ConsolidateFile(Consolidator consolidator, string file, SyncKey key, CancellationToken cancellationToken)
    {
        using var reader = PackageReader.Open(file, key);
        var manifest = reader.Manifest;
        var facts = new SitePackageFacts(SiteCode.Parse(manifest.Origin), manifest.SiteNumber, manifest.KeyLow, manifest.KeyHigh,
            CycleId.Parse(manifest.CycleId), manifest.Covered(), manifest.Acknowledging());
        return consolidator.Consolidate(facts, reader.OpenPayload, cancellationToken);
    }

    /// <summary>The rows one site sends: generated again, identically, for the plain loop.</summary>
    private static IEnumerable<Row> Batch(int number, int rows, int seed) =>
        ClubRows.Generate(number, ActivityPlan.ForRows(rows), new KeyCursor(Chain.KeyLow(number) + BatchKeyOffset + 1), Array.Empty<long>(),
            new Random(seed * 31 + number), DailyChange.Day, DailyChange.Day);
}
