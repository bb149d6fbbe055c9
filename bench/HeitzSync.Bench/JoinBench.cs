using System.Diagnostics;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

internal sealed record JoinRun(long SiteRows, long SiteFileBytes, TimeSpan Fill, long FileAfterInit, long RowsQueued, TimeSpan Init, long RowsSent, long UpBytes,
    TimeSpan Send, long RowsConsolidated, TimeSpan Consolidate, TimeSpan Publish, long RowsReceived, long DownBytes, TimeSpan Receive)
{
    public TimeSpan Total => Init + Send + Consolidate + Publish + Receive;
    public double FillRate => SiteRows / Fill.TotalSeconds;
    public double ConsolidateRate => RowsConsolidated / Consolidate.TotalSeconds;
}

/// <summary>
/// A site that already holds years of data joins the chain (DESIGN.md §3, the initial load): init queues its rows,
/// it sends them, the Siège consolidates them into its master and publishes, and the site receives its answer.
/// The Siège is new (its master holds the shared subscription types only), so the night carries the site's rows one
/// way; the reference is the plain prepared INSERT loop that filled the site's database with the very same rows.
/// </summary>
internal static class JoinBench
{
    public const int JoiningNumber = 2;

    public static async Task<JoinRun> RunAsync(string folder, long rows, SyncKey key, int seed, Action<string> log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var sitePath = Path.Combine(folder, "JOINING.fdb");
        var siegePath = Path.Combine(folder, "SIEGE.fdb");
        var code = Chain.ClubCode(JoiningNumber);

        // The joining site's database: one club's years of history in its own key range, by a plain prepared INSERT loop.
        var fill = Stopwatch.StartNew();
        long siteRows;
        using (var connection = FbConnection.CreateDatabase(Chain.Settings(sitePath), "UTF8"))
        {
            SampleSchema.Create(connection);
            using var writer = new RowWriter(connection);
            writer.WriteAll(ClubRows.ReferenceRows());
            var plan = ActivityPlan.ForRows(rows);
            writer.WriteAll(ClubRows.Generate(JoiningNumber, plan, new KeyCursor(Chain.KeyLow(JoiningNumber) + 1), Array.Empty<long>(), new Random(seed + 4_300),
                Chain.HistoryStart, Chain.HistoryEnd));
            writer.Commit();
            siteRows = writer.Rows;
        }
        var filled = fill.Elapsed;
        var siteFile = new FileInfo(sitePath).Length;
        log($"  joining site: {siteRows:N0} rows in {filled.TotalSeconds:0} s ({siteRows / filled.TotalSeconds:N0} rows/s), {siteFile / 1048576.0:N0} MiB");

        // A new Siège: the shared reference rows only, capture installed with its initial load.
        using (var connection = FbConnection.CreateDatabase(Chain.Settings(siegePath), "UTF8"))
        {
            SampleSchema.Create(connection);
            using (var writer = new RowWriter(connection))
            {
                writer.WriteAll(ClubRows.ReferenceRows());
                writer.Commit();
            }
        }
        Install(siegePath, "SIEGE", 1, isSiege: true);

        var dropFolder = Path.Combine(folder, "drop");
        Directory.CreateDirectory(dropFolder);
        using var drop = new FolderDropTransport(dropFolder);
        var cycle = CycleId.FromTime(DateTimeOffset.UtcNow, 4);

        var watch = Stopwatch.StartNew();
        var queued = Install(sitePath, code, JoiningNumber, isSiege: false);
        var init = watch.Elapsed;
        var fileAfterInit = new FileInfo(sitePath).Length;
        log($"  init: {queued:N0} rows queued in {init.TotalSeconds:0.0} s; file {siteFile / 1048576.0:N0} → {fileAfterInit / 1048576.0:N0} MiB");

        var site = new SiteNight(Chain.Settings(sitePath), drop, key, Path.Combine(folder, "work", code));
        watch.Restart();
        var sent = await site.ExtractAsync(cycle, null, cancellationToken);
        await site.UploadAsync(sent, null, cancellationToken);
        var send = watch.Elapsed;
        log($"  send: {sent.Rows:N0} rows, {sent.Bytes / 1048576.0:N1} MiB in {send.TotalSeconds:0.0} s");

        var siege = new SiegeNight(Chain.Settings(siegePath), drop, key, Path.Combine(folder, "work", "SIEGE"), Array.Empty<string>());
        watch.Restart();
        var run = await siege.ConsolidateAsync(new[] { SiteCode.Parse(code) }, 1, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
        var consolidate = watch.Elapsed;
        if (run.Errors > 0 || run.Deliveries.Count != 1)
        {
            throw new InvalidOperationException("The Siège did not consolidate the joining site's package: " + string.Join("; ", run.Deliveries.Select(d => $"{d.Site} {d.State} {d.Error}")));
        }
        log($"  consolidate: {run.RowsApplied:N0} rows in {consolidate.TotalSeconds:0.0} s ({run.RowsApplied / consolidate.TotalSeconds:N0} rows/s), {run.Conflicts} conflicts");
        watch.Restart();
        await siege.PublishAsync(cycle, null, cancellationToken);
        var publish = watch.Elapsed;
        watch.Restart();
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken);
        var receive = watch.Elapsed;
        if (!received.Found || received.Unapplied.Count > 0)
        {
            throw new InvalidOperationException($"The joining site did not apply its answer (found: {received.Found}, unapplied: {received.Unapplied.Count}).");
        }
        log($"  publish {publish.TotalSeconds:0.0} s; receive: {received.RowsApplied:N0} rows, {received.Bytes:N0} bytes in {receive.TotalSeconds:0.0} s");

        var counts = Nights.Counts(siegePath);
        var siteCounts = Nights.Counts(sitePath);
        var differing = counts.Where(c => siteCounts[c.Key] != c.Value).Select(c => $"{c.Key}: site {siteCounts[c.Key]}, Siège {c.Value}").ToList();
        if (differing.Count > 0) throw new InvalidOperationException("After the join the databases differ: " + string.Join("; ", differing));
        return new JoinRun(siteRows, siteFile, filled, fileAfterInit, queued, init, sent.Rows, sent.Bytes, send, run.RowsApplied, consolidate, publish,
            received.RowsApplied, received.Bytes, receive);
    }

    /// <summary>What init does on the node's database (NodeRunner.InitializeAsync): capture with the initial load.</summary>
    private static long Install(string path, string code, int number, bool isSiege)
    {
        using var connection = FbConnection.Open(Chain.Settings(path) with { Charset = "NONE" });
        return new CaptureInstaller(connection).Install(new CaptureOptions
        {
            Site = SiteCode.Parse(code),
            SiteNumber = number,
            IsSiege = isSiege,
            KeyLow = Chain.KeyLow(number),
            KeyHigh = Chain.KeyLow(number) + Chain.KeyRangeSize - 1,
            IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
            InitialLoad = true,
        }).RowsQueued;
    }
}
