using System.Diagnostics;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>One way of choosing what a night resends, measured on the same database state.</summary>
internal sealed record ResendRule(string Name, long Rows, long Bytes, TimeSpan Extract, TimeSpan Consolidate);

/// <summary>What a night moves when a transaction has been held open since the previous day.</summary>
internal sealed record HeldTransactionResult(string Site, DayCounts Day1, DayCounts Day2, ResendRule Before, ResendRule After, long RowsOnceCommitted);

/// <summary>
/// Issue 13, item 5: a site where a screen keeps a write transaction open since the previous day. Night 0 brings the
/// site and the master in step; on day 1 the screen opens its transaction (one insert, then idle) and the site's day
/// goes on (the kit's daily share); night 1 sends that day; on day 2 another day of business; night 2 is measured twice
/// from the same database state, each package consolidated into its own copy of the master: with the acknowledgement
/// as HeitzSync records it now (the transactions that were open, listed) and as it was recorded before (every
/// transaction from the oldest open one on). Then the screen commits and night 3 carries its row.
/// </summary>
internal static class HeldTransactionBench
{
    public static HeldTransactionResult Run(NightKit kit, string folder, SyncKey key, long dayRows, int seed, Action<string> log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var siteNode = kit.Sites.First();
        var sitePath = Path.Combine(folder, siteNode.FileName);
        var masterPath = Path.Combine(folder, kit.Siege.FileName);
        File.Copy(kit.PathOf(siteNode), sitePath, overwrite: true);
        File.Copy(kit.PathOf(kit.Siege), masterPath, overwrite: true);
        var siteSettings = Chain.Settings(sitePath) with { Charset = "NONE" };
        var day = 0;
        CycleId NextCycle() => CycleId.FromTime(new DateTimeOffset(2026, 1, 5, 2, 0, 0, TimeSpan.Zero).AddDays(day++));

        using var site = FbConnection.Open(siteSettings);
        using var screen = FbConnection.Open(siteSettings);
        FbTransaction? held = null;
        try
        {
            DayCounts day1;
            ExtractResult night1;
            using (var master = FbConnection.Open(Chain.Settings(masterPath) with { Charset = "NONE" }))
            {
                log($"  night 0: {siteNode.Code}'s pending day up, in step with the master");
                var night0 = Night(site, master, Watermark.None, key, folder, NextCycle(), cancellationToken);

                log("  day 1: a screen opens a write transaction and stays idle; the day's business goes on");
                held = screen.BeginTransaction();
                var member = Chain.MembersOf(siteNode.Number, kit.Chain.PerClub)[0];
                screen.Execute(held, "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (?, ?, CURRENT_TIMESTAMP, 9)",
                    Chain.KeyLow(siteNode.Number) + Chain.KeyRangeSize - 1, member);
                day1 = DailyChange.Apply(site, siteNode.Number, kit.Chain.Clubs, kit.Chain.PerClub, dayRows, new Random(seed + 1));
                night1 = Night(site, master, night0.Covered, key, folder, NextCycle(), cancellationToken);
                log($"  night 1: {night1.Rows:N0} rows sent for a day of {day1.Total:N0}; {night1.Covered}");
            }

            log("  day 2: another day of business, the screen still open");
            var day2 = DailyChange.Apply(site, siteNode.Number, kit.Chain.Clubs, kit.Chain.PerClub, dayRows, new Random(seed + 2));
            var masterBefore = Path.Combine(folder, "master-before.fdb");
            var masterNow = Path.Combine(folder, "master-now.fdb");
            File.Copy(masterPath, masterBefore, overwrite: true);
            File.Move(masterPath, masterNow, overwrite: true);

            // Night 2 twice, from the same state. What an acknowledgement recorded the old way held: the oldest transaction
            // open at the snapshot, as a lower bound. The old way runs second: the cache it finds warm can only favour it.
            var cycle = NextCycle();
            var oldWay = new Watermark(night1.Covered.Sequence, night1.Covered.Open.Ids.Append(night1.Covered.ResendFromTx).Min());
            var (after, covered) = Measure("the open transactions, listed (now)", site, masterNow, night1.Covered, key, Path.Combine(folder, "now.hzp"), cycle, cancellationToken);
            var (before, _) = Measure("every transaction from the oldest open one (before)", site, masterBefore, oldWay, key, Path.Combine(folder, "before.hzp"), cycle, cancellationToken);
            log($"  night 2: before {before.Rows:N0} rows, {before.Bytes:N0} B; now {after.Rows:N0} rows, {after.Bytes:N0} B; day 2 changed {day2.Total:N0}");

            held.Commit();
            using var master3 = FbConnection.Open(Chain.Settings(masterNow) with { Charset = "NONE" });
            var night3 = Night(site, master3, covered, key, folder, NextCycle(), cancellationToken);
            log($"  night 3, the screen committed: {night3.Rows:N0} row(s)");
            return new HeldTransactionResult(siteNode.Code, day1, day2, before, after, night3.Rows);
        }
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>One night of the site: extract after <paramref name="acknowledged"/>, package, consolidate.</summary>
    private static ExtractResult Night(FbConnection site, FbConnection master, Watermark acknowledged, SyncKey key, string folder, CycleId cycle, CancellationToken cancellationToken)
    {
        var file = Path.Combine(folder, $"night-{cycle}.hzp");
        var extract = Extract(site, acknowledged, key, file, cycle, cancellationToken);
        Consolidate(master, file, key, cancellationToken);
        File.Delete(file);
        return extract;
    }

    private static (ResendRule Rule, Watermark Covered) Measure(string name, FbConnection site, string masterPath, Watermark acknowledged, SyncKey key, string file, CycleId cycle, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var extract = Extract(site, acknowledged, key, file, cycle, cancellationToken);
        var extracted = watch.Elapsed;
        using var master = FbConnection.Open(Chain.Settings(masterPath) with { Charset = "NONE" });
        watch.Restart();
        Consolidate(master, file, key, cancellationToken);
        var rule = new ResendRule(name, extract.Rows, new FileInfo(file).Length, extracted, watch.Elapsed);
        File.Delete(file);
        return (rule, extract.Covered);
    }

    private static ExtractResult Extract(FbConnection site, Watermark acknowledged, SyncKey key, string file, CycleId cycle, CancellationToken cancellationToken)
    {
        using var writer = PackageWriter.Create(file, key);
        var extract = new ChangeExtractor(site).Extract(writer.Payload, acknowledged, cancellationToken);
        writer.Complete(DeltaManifest.From(extract, cycle));
        return extract;
    }

    private static void Consolidate(FbConnection master, string file, SyncKey key, CancellationToken cancellationToken)
    {
        using var consolidator = new Consolidator(master, Array.Empty<string>());
        ApplyRateBench.ConsolidateFile(consolidator, file, key, cancellationToken);
    }
}
