using System.Diagnostics;
using System.IO.Compression;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>One site's part of a HeitzSync night.</summary>
internal sealed record HzSiteNight(string Site, long RowsSent, long UpBytes, long RowsReceived, long DownBytes, TimeSpan Extract, TimeSpan Upload, TimeSpan Receive);

/// <summary>A whole HeitzSync night, every node run in turn on this machine.</summary>
internal sealed record HzNight(IReadOnlyList<HzSiteNight> Sites, long RowsConsolidated, int Conflicts, TimeSpan Consolidate, TimeSpan Publish, TimeSpan Total)
{
    public TimeSpan SitesSend => Sum(Sites.Select(s => s.Extract + s.Upload));
    public TimeSpan SitesReceive => Sum(Sites.Select(s => s.Receive));

    /// <summary>The night when sites work in parallel on their own machines: the slowest site's send, the Siège, the slowest site's receive.</summary>
    public TimeSpan CriticalPath => Sites.Max(s => s.Extract + s.Upload) + Consolidate + Publish + Sites.Max(s => s.Receive);

    internal static TimeSpan Sum(IEnumerable<TimeSpan> spans) => spans.Aggregate(TimeSpan.Zero, (a, b) => a + b);
}

/// <summary>The old way's local work, measured once: full backups, compression, restores.</summary>
internal sealed record OldWayLocal(IReadOnlyDictionary<string, string> SiteFiles, string SiegeFile, long SiegeBytes, IReadOnlyDictionary<string, long> SiteBytes,
    TimeSpan SitesBackup, TimeSpan SiegeBackup, TimeSpan SitesRestore, long SiteFbkBytes, long SiegeFbkBytes)
{
    public TimeSpan Total => SitesBackup + SiegeBackup + SitesRestore;
}

/// <summary>The old way's transfers over one kind of drop.</summary>
internal sealed record OldWayTransfers(TimeSpan Uploads, TimeSpan Publish, TimeSpan Downloads, long BytesUp, long BytesDown)
{
    public TimeSpan Total => Uploads + Publish + Downloads;
}

internal static class Nights
{
    /// <summary>
    /// Runs the HeitzSync night on copies of the kit: every site extracts and uploads through <paramref name="siteDrop"/>,
    /// the Siège consolidates and publishes on its drop folder locally, every site downloads and applies.
    /// </summary>
    public static async Task<HzNight> RunHeitzSyncAsync(NightKit kit, string runFolder, string dropFolder, Func<IDropTransport> siteDrop, SyncKey key, Action? afterPublish, CancellationToken cancellationToken)
    {
        var databases = kit.CopyTo(Path.Combine(runFolder, "db"));
        var total = Stopwatch.StartNew();
        var cycle = CycleId.FromTime(DateTimeOffset.UtcNow, 1);
        var sites = new List<(KitNode Node, SiteNight Night, IDropTransport Drop, SendResult Sent, TimeSpan Extract, TimeSpan Upload)>();
        foreach (var node in kit.Sites)
        {
            var drop = siteDrop();
            var night = new SiteNight(Chain.Settings(Path.Combine(databases, node.FileName)), drop, key, Path.Combine(runFolder, "work", node.Code));
            var watch = Stopwatch.StartNew();
            var sent = await night.ExtractAsync(cycle, null, cancellationToken);
            var extract = watch.Elapsed;
            watch.Restart();
            await night.UploadAsync(sent, null, cancellationToken);
            sites.Add((node, night, drop, sent, extract, watch.Elapsed));
        }

        using var siegeDrop = new FolderDropTransport(dropFolder);
        var siege = new SiegeNight(Chain.Settings(Path.Combine(databases, kit.Siege.FileName)), siegeDrop, key, Path.Combine(runFolder, "work", "SIEGE"), Array.Empty<string>());
        var known = kit.Sites.Select(s => SiteCode.Parse(s.Code)).ToList();
        var siegeWatch = Stopwatch.StartNew();
        var consolidation = await siege.ConsolidateAsync(known, known.Count, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
        var consolidate = siegeWatch.Elapsed;
        if (consolidation.Errors > 0 || consolidation.Deliveries.Count != known.Count)
        {
            throw new InvalidOperationException("The Siège did not consolidate every package: " +
                string.Join("; ", consolidation.Deliveries.Select(d => $"{d.Site} {d.State} {d.Error}")));
        }
        siegeWatch.Restart();
        await siege.PublishAsync(cycle, null, cancellationToken);
        var publish = siegeWatch.Elapsed;
        afterPublish?.Invoke();

        var results = new List<HzSiteNight>();
        foreach (var (node, night, drop, sent, extract, upload) in sites)
        {
            var watch = Stopwatch.StartNew();
            var received = await night.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
            var receive = watch.Elapsed;
            drop.Dispose();
            if (!received.Found || received.Unapplied.Count > 0)
            {
                throw new InvalidOperationException($"{node.Code} did not receive and apply its package (found: {received.Found}, unapplied: {received.Unapplied.Count}).");
            }
            results.Add(new HzSiteNight(node.Code, sent.Rows, sent.Bytes, received.RowsApplied, received.Bytes, extract, upload, receive));
        }
        total.Stop();
        return new HzNight(results, consolidation.RowsApplied, consolidation.Conflicts, consolidate, publish, total.Elapsed);
    }

    /// <summary>Row counts of every synchronised table, equal at the Siège and every site after a night (a sanity check of the run).</summary>
    public static IReadOnlyList<string> CountDifferences(NightKit kit, string databases)
    {
        var differences = new List<string>();
        var master = Counts(Path.Combine(databases, kit.Siege.FileName));
        foreach (var node in kit.Sites)
        {
            var site = Counts(Path.Combine(databases, node.FileName));
            differences.AddRange(master.Where(m => site[m.Key] != m.Value).Select(m => $"{node.Code}.{m.Key}: {site[m.Key]} rows, Siège {m.Value}"));
        }
        return differences;
    }

    public static Dictionary<string, long> Counts(string path)
    {
        using var connection = FbConnection.Open(Chain.Settings(path));
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Core.Demo.SampleSchema.SynchronisedTables.ToDictionary(t => t,
            t => Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT COUNT(*) FROM {FbSql.QuoteIdentifier(t)}"), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The old way's local work on the kit's databases: each site makes a full gbak backup and gzips it; the Siège does
    /// the same with the master; each site gunzips the master's and restores it with gbak. (How the old way merged the
    /// sites' backups into the master is not modelled: no figure here includes it.)
    /// </summary>
    public static async Task<OldWayLocal> RunOldWayLocalAsync(NightKit kit, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var gbak = new FbBackupService();
        var siteFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var siteBytes = new Dictionary<string, long>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        long siteFbk = 0;
        foreach (var node in kit.Sites)
        {
            var fbk = Path.Combine(folder, node.Code + ".fbk");
            await gbak.BackupAsync(Chain.Settings(kit.PathOf(node)), fbk, null, cancellationToken);
            siteFbk = Math.Max(siteFbk, new FileInfo(fbk).Length);
            siteFiles[node.Code] = Gzip(fbk);
            siteBytes[node.Code] = new FileInfo(siteFiles[node.Code]).Length;
            File.Delete(fbk);
        }
        var sitesBackup = watch.Elapsed;

        watch.Restart();
        var masterFbk = Path.Combine(folder, "SIEGE.fbk");
        await gbak.BackupAsync(Chain.Settings(kit.PathOf(kit.Siege)), masterFbk, null, cancellationToken);
        var siegeFbk = new FileInfo(masterFbk).Length;
        var masterGz = Gzip(masterFbk);
        File.Delete(masterFbk);
        var siegeBackup = watch.Elapsed;

        watch.Restart();
        foreach (var node in kit.Sites)
        {
            var fbk = Path.Combine(folder, node.Code + "-restore.fbk");
            Gunzip(masterGz, fbk);
            var target = Path.Combine(folder, node.Code + "-restored.fdb");
            await gbak.RestoreAsync(fbk, Chain.Settings(target), replaceExisting: false, null, cancellationToken);
            File.Delete(fbk);
            File.Delete(target);
        }
        var sitesRestore = watch.Elapsed;
        return new OldWayLocal(siteFiles, masterGz, new FileInfo(masterGz).Length, siteBytes, sitesBackup, siegeBackup, sitesRestore, siteFbk, siegeFbk);
    }

    /// <summary>The old way's transfers: each site uploads its compressed backup, the Siège puts the master's in every
    /// site's folder (locally), each site downloads it.</summary>
    public static async Task<OldWayTransfers> RunOldWayTransfersAsync(NightKit kit, OldWayLocal local, string dropFolder, Func<IDropTransport> siteDrop, string scratch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(scratch);
        using var siegeDrop = new FolderDropTransport(dropFolder);
        var uploads = TimeSpan.Zero;
        var downloads = TimeSpan.Zero;
        long up = 0, down = 0;
        var drops = new Dictionary<string, IDropTransport>(StringComparer.Ordinal);
        foreach (var node in kit.Sites)
        {
            var drop = siteDrop();
            drops[node.Code] = drop;
            var remote = DropPath.Of(node.Code, "up", "full.fbk.gz");
            await drop.CreateFolderAsync(remote.Parent, cancellationToken);
            var watch = Stopwatch.StartNew();
            await drop.UploadAsync(local.SiteFiles[node.Code], remote, null, cancellationToken);
            uploads += watch.Elapsed;
            up += local.SiteBytes[node.Code];
        }
        var publishWatch = Stopwatch.StartNew();
        foreach (var node in kit.Sites)
        {
            var remote = DropPath.Of(node.Code, "down", "full.fbk.gz");
            await siegeDrop.CreateFolderAsync(remote.Parent, cancellationToken);
            await siegeDrop.UploadAsync(local.SiegeFile, remote, null, cancellationToken);
        }
        var publish = publishWatch.Elapsed;
        foreach (var node in kit.Sites)
        {
            var target = Path.Combine(scratch, node.Code + "-down.fbk.gz");
            var watch = Stopwatch.StartNew();
            await drops[node.Code].DownloadAsync(DropPath.Of(node.Code, "down", "full.fbk.gz"), target, null, cancellationToken);
            downloads += watch.Elapsed;
            down += new FileInfo(target).Length;
            File.Delete(target);
            drops[node.Code].Dispose();
        }
        return new OldWayTransfers(uploads, publish, downloads, up, down);
    }

    /// <summary>gzip at zlib's default level (6), as `gzip` does.</summary>
    public static string Gzip(string file)
    {
        var target = file + ".gz";
        using var input = File.OpenRead(file);
        using var output = File.Create(target);
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            input.CopyTo(gzip, 1 << 16);
        }
        return target;
    }

    public static void Gunzip(string file, string target)
    {
        using var input = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        using var output = File.Create(target);
        input.CopyTo(output, 1 << 16);
    }
}
