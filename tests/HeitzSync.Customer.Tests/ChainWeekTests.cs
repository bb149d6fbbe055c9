using System.Diagnostics;
using HeitzSync.Core;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Customer.Tests.Chain;
using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;
using Xunit.Abstractions;

namespace HeitzSync.Customer.Tests;

/// <summary>
/// Issue 12's acceptance, as a customer meets the product: a club-and-shop chain with a schema of its own
/// (<see cref="CustomerSchema"/>), set up from README and the docs alone, runs six nights as Register-HzSyncTask
/// schedules them (the Siège at startTime, site n at n × staggerMinutes, all at once here, each node's night its
/// scheduled <c>hzsync sync</c> process), with business every day at every node and tills selling during the nights.
/// The week holds a site offline for two nights, the Siège down for one, and the issue's cases 1–11. The next morning every synchronised table is the same everywhere (full rows), the
/// stock is the initial stock minus every sale line, and every edit of the ledger is where it must be.
/// </summary>
[Trait("Category", "Customer")]
public sealed class ChainWeekTests
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ChainWeekTests(ITestOutputHelper output) => _output = output;

    private void Log(string text) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {text}");

    private void LogNight(string night, IReadOnlyDictionary<string, SyncReport> reports)
    {
        Log($"{night} done");
        foreach (var report in reports.Values) _output.WriteLine($"  {night}: {ChainWorld.Why(report)}");
        if (reports.TryGetValue("SIEGE", out var siege)) LogConflicts(night, siege);
    }

    private void LogConflicts(string night, SyncReport siege)
    {
        foreach (var c in siege.ConflictLines) _output.WriteLine($"  {night} conflict: {c.Table} {c.Key} {c.Resolution} winner {c.WinnerSite} {c.WinnerTimeUtc:HH:mm:ss.fff} loser {c.LoserSite} {c.LoserTimeUtc:HH:mm:ss.fff}");
    }

    private static void AssertState(IReadOnlyDictionary<string, SyncReport> night, string node, ReportState state, string when)
    {
        Assert.True(night.ContainsKey(node), $"{when}: {node} did not run");
        Assert.True(night[node].State == state, $"{when}: {node} ended {night[node].State}, expected {state}: {ChainWorld.Why(night[node])}");
    }

    /// <summary>"TABLE key" of each conflict line of a report (composite keys as the ledger writes them: a|b).</summary>
    private static IEnumerable<(string Target, ConflictLine Line)> Conflicts(SyncReport report, string resolution) =>
        report.ConflictLines.Where(c => c.Resolution == resolution).Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c));

    /// <summary>(site, key) of every row a site held at the join with other values than the Siège's row, that no node has
    /// edited since (additive and local columns aside): each must be a JoinMasterKept conflict, the Siège's row winning.</summary>
    private static List<(string Site, string Key)> JoinConflicts(EditLedger ledger, string table)
    {
        var edits = ledger.Edits.Where(e => e.Table == table).ToList();
        var edited = edits.Where(e => e.Kind != EditKind.Seed).Select(e => e.Key).ToHashSet();
        var siege = edits.Where(e => e.Kind == EditKind.Seed && e.Node == "SIEGE").ToDictionary(e => e.Key);
        return edits.Where(e => e.Kind == EditKind.Seed && e.Node != "SIEGE" && !edited.Contains(e.Key) && siege.ContainsKey(e.Key)
                                && siege[e.Key].Image!.Differences(e.Image!, ledger.NotCarriedAsIs).Count > 0)
            .Select(e => (e.Node, e.Key)).ToList();
    }

    [Fact]
    public async Task A_week_of_nights_with_outages_crashes_and_the_issues_cases_leaves_every_edit_everywhere_the_next_morning()
    {
        using var world = await ChainWorld.CreateAsync();
        var (siege, nancy, metz, reims, dijon) = (world.Siege, world["NANCY"], world["METZ"], world["REIMS"], world["DIJON"]);
        var all = world.Nodes.ToList();
        var conflictLines = new List<(string Target, ConflictLine Line)>();
        Log("chain created: 5 databases with years of their own data");

        // ---- Setting up, as README says. A first try leaves keyRangeSize at its default: the sites' INTEGER keys cannot
        // hold it, and init says which column and which setting, changing nothing.
        foreach (var node in all) node.WriteConfig(keyRangeSize: null);
        world.StoreDatabaseSecrets();
        var siegeFirst = await NodeRunner.InitializeAsync(siege.Config, null, CancellationToken.None);
        Assert.True(siegeFirst.State == ReportState.OK, ChainWorld.Why(siegeFirst));
        var tooLarge = await NodeRunner.InitializeAsync(nancy.Config, null, CancellationToken.None);
        Assert.True(tooLarge.State == ReportState.Failed, ChainWorld.Why(tooLarge));
        Assert.Contains("keyRangeSize", tooLarge.Summary);
        Assert.Contains("MEMBER.ID", tooLarge.Summary);
        using (var connection = nancy.Open())
        using (var tx = connection.BeginTransaction())
        {
            Assert.False(CaptureInstaller.IsInstalled(connection, tx), "a refused init changed NANCY's database");
        }
        // The fix the message names, on every node, then init on every node, the Siège first.
        foreach (var node in all) node.WriteConfig(ChainWorld.KeyRangeSize);
        foreach (var node in all)
        {
            var init = await NodeRunner.InitializeAsync(node.Config, null, CancellationToken.None);
            Assert.True(init.State == ReportState.OK, ChainWorld.Why(init));
            // Every business trigger of the synchronised tables is listed with what it does during an apply.
            Assert.Equal(CustomerSchema.BusinessTriggers.OrderBy(t => t), init.TriggerLines.Select(t => t.Trigger).OrderBy(t => t));
            Assert.Equal("Runs", init.TriggerLines.Single(t => t.Trigger == CustomerSchema.LineCountTrigger).DuringApply);
            Assert.All(init.TriggerLines.Where(t => t.Trigger != CustomerSchema.LineCountTrigger), t => Assert.Equal("Skipped", t.DuringApply));
        }
        using (var connection = nancy.Open())
        using (var tx = connection.BeginTransaction())
        {
            Assert.Equal((long)nancy.KeyLow + 6, Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));
        }
        world.RecordJoin();
        world.Business.Unreferenced.Add(world.RefusedMember);
        Log("every node initialised; joins recorded");

        // ---- Day 1, night 1: the first night on a fresh drop (case 4). The Siège knows its four sites from their init,
        // waits for all four, and the articles the sites hold with other values than the Siège's are conflicts, one by one
        // (case 10); every site ends with the Siège's answer.
        world.BusinessDay(1, firstArticle: 6);
        var night1 = await world.NightAsync(new NightPlan());
        LogNight("night 1", night1);
        foreach (var node in all) AssertState(night1, node.Code, ReportState.OK, "night 1");
        Assert.Equal(4, night1["SIEGE"].SitesExpected);
        Assert.Equal(4, night1["SIEGE"].SitesDelivered);
        conflictLines.AddRange(night1["SIEGE"].ConflictLines.Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c)));
        // Every row a site brought with other values than the Siège's (NANCY's stock count of article 1, its price of
        // article 3, the articles each node had sold before it joined), that nobody edited since, is listed one by one.
        var joins = Conflicts(night1["SIEGE"], "JoinMasterKept").ToList();
        var joinConflicts = JoinConflicts(world.Ledger, "ARTICLE");
        Assert.Contains(("NANCY", "1"), joinConflicts);
        Assert.Contains(("NANCY", "3"), joinConflicts);
        foreach (var (site, article) in joinConflicts)
        {
            Assert.True(joins.Any(j => j.Target == $"ARTICLE {article}" && j.Line.LoserSite == site && j.Line.WinnerSite == "SIEGE"),
                $"no JoinMasterKept for {site}'s article {article}: {string.Join("; ", joins.Select(j => $"{j.Target} {j.Line.WinnerSite}>{j.Line.LoserSite}"))}");
        }

        // ---- Day 2, night 2: DIJON is offline (first of two nights). Case 1: METZ deletes a member of the Siège's while NANCY
        // records an entry for him, and REIMS, a moment later, sets his balance to 42: the Siège refuses the delete (his entry),
        // the member and his subscription stay as if the delete had never come, and REIMS's later edit holds. Two nodes rename
        // one member the same day: the later wins, reported.
        world.BusinessDay(2);
        Edit refusedDelete;
        using (var c = metz.Open()) refusedDelete = world.Business.DeleteMember(metz, c, world.RefusedMember, "case 1: deleted at METZ");
        world.Ledger.ExpectRefused(refusedDelete);
        using (var c = nancy.Open()) world.Business.AddEntry(nancy, c, world.RefusedMember, 3);
        using (var c = reims.Open()) world.Business.UpdateMember(reims, c, world.RefusedMember, balance: 42m, why: "case 1: balance set after the delete");
        using (var c = nancy.Open()) world.Business.UpdateMember(nancy, c, world.ContestedMember(1), name: "Renommé à Nancy", why: "contested rename, first");
        using (var c = metz.Open()) world.Business.UpdateMember(metz, c, world.ContestedMember(1), name: "Renommée à Metz", why: "contested rename, later");
        var night2 = await world.NightAsync(new NightPlan { Absent = new HashSet<string> { "DIJON" }, SiegeAfterUploads = true });
        LogNight("night 2", night2);
        AssertState(night2, "SIEGE", ReportState.Partial, "night 2 (DIJON offline)");
        Assert.Equal(3, night2["SIEGE"].SitesDelivered);
        foreach (var site in new[] { "NANCY", "METZ", "REIMS" }) AssertState(night2, site, ReportState.OK, "night 2");
        conflictLines.AddRange(night2["SIEGE"].ConflictLines.Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c)));
        Assert.Contains(Conflicts(night2["SIEGE"], "DeleteRefused"), c => c.Target == $"MEMBER {world.RefusedMember}");
        Assert.Contains(Conflicts(night2["SIEGE"], "IncomingWon"), c => c.Target == $"MEMBER {world.ContestedMember(1)}" && c.Line.WinnerSite == "METZ" && c.Line.LoserSite == "NANCY");

        // ---- Day 3: the wrong configurations a user may run, each refused up front, changing nothing (cases 3, 9, 11).
        world.BusinessDay(3);
        await WrongConfigurationsAreRefusedAsync(world);
        Log("wrong configurations refused");

        // ---- Night 3: the Siège is down, DIJON still offline. The sites send, wait for an answer that never comes, end
        // Partial and mark their uploads as unanswered.
        var night3 = await world.NightAsync(new NightPlan { Absent = new HashSet<string> { "SIEGE", "DIJON" }, SitesInProcessWaiting = TimeSpan.FromSeconds(3) });
        LogNight("night 3 (Siège down)", night3);
        foreach (var site in new[] { "NANCY", "METZ", "REIMS" })
        {
            AssertState(night3, site, ReportState.Partial, "night 3 (Siège down)");
            Assert.Contains("no package from the Siège", night3[site].Summary);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(world.DropFolder, site, "up"), "*" + DropLayout.UnansweredSuffix));
        }

        // ---- Day 4: DIJON's administrator asks for a full package (its database stays as it is meanwhile) and its till goes on
        // selling: a full restore keeps what the package does not hold (case 2). Two nodes edit one member, the earlier at the
        // higher site number: the master keeps the later one.
        Assert.Equal(ReportState.OK, (await NodeRunner.PublishFullAsync(siege.Config, SiteCode.Parse("DIJON"), null, CancellationToken.None)).State);
        world.BusinessDay(4);
        var keptAtDijon = new List<int>();
        using (var c = dijon.Open())
        {
            for (var i = 0; i < 3; i++) keptAtDijon.Add(world.Business.AddMember(dijon, c, $"Arrivée après le paquet complet n°{i}", null, "case 2: after the full package"));
        }
        using (var c = reims.Open()) world.Business.UpdateMember(reims, c, world.ContestedMember(2), balance: 7m, why: "contested balance, first");
        using (var c = nancy.Open()) world.Business.UpdateMember(nancy, c, world.ContestedMember(2), balance: 8m, why: "contested balance, later");

        // ---- Night 4: the Siège is back, DIJON is back after two nights. Last night's uploads are consolidated but do not count as
        // tonight's (case 6): the Siège waits for tonight's packages and every site ends the night with tonight's answer (case 5).
        // DIJON restores the full package keeping its own changes, and gets tonight's answer after it.
        var night4 = await world.NightAsync(new NightPlan());
        LogNight("night 4", night4);
        foreach (var node in all) AssertState(night4, node.Code, ReportState.OK, "night 4");
        Assert.Equal(4, night4["SIEGE"].SitesDelivered);
        Assert.Contains("left from a night the Siège missed", night4["SIEGE"].Summary);
        Assert.Contains("restored the Siège's full package", night4["DIJON"].Summary);
        conflictLines.AddRange(night4["SIEGE"].ConflictLines.Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c)));
        Assert.Contains(Conflicts(night4["SIEGE"], "MasterKept"), c => c.Target == $"MEMBER {world.ContestedMember(2)}" && c.Line.WinnerSite == "NANCY" && c.Line.LoserSite == "REIMS");
        using (var c = dijon.Open())
        using (var tx = c.BeginTransaction())
        {
            foreach (var member in keptAtDijon) Assert.NotNull(Rows.ReadRow(c, tx, "MEMBER", member));
        }

        // ---- Day 5, night 5: the Siège's night is a real hzsync process killed while it publishes (case 7), after NANCY's and
        // METZ's packages. A damaged package lies in REIMS's down/ (case 8): REIMS sets it aside, reports it once, and takes the
        // next valid one, which the Siège's rerun publishes: whatever the killed run consolidated reaches every site that night.
        world.BusinessDay(5);
        using (var c = siege.Open()) world.Business.UpdateMember(siege, c, world.ContestedMember(3), balance: 99m, why: "contested, at the Siège first");
        using (var c = dijon.Open()) world.Business.UpdateMember(dijon, c, world.ContestedMember(3), name: "Modifié à Dijon", why: "contested, at DIJON later");
        SyncReport? rerun = null;
        var junk = PackageNames.ForSiegeDelta(SiteCode.Parse("REIMS"), CycleId.FromTime(DateTimeOffset.UtcNow.AddHours(1)));
        var night5 = await world.NightAsync(new NightPlan
        {
            Siege = async node =>
            {
                using var process = HzsyncProcess.Start(new[] { "sync", "--config", node.ConfigPath },
                    new Dictionary<string, string>(node.ProcessEnvironment) { [FaultPoints.AtVariable] = "publish.during", [FaultPoints.AfterVariable] = "1" });
                var killed = await HzsyncProcess.FinishAsync(process, "sync", TimeSpan.FromSeconds(120));
                Assert.True(killed.KilledAt == "publish.during" && killed.ExitCode == HzsyncExit.SigKill, killed.ToString());
                Log("night 5: the Siège's hzsync was killed while publishing");
                var down = Path.Combine(world.DropFolder, "REIMS", "down");
                var bytes = new byte[64 * 1024];
                new Random(5).NextBytes(bytes);
                File.WriteAllBytes(Path.Combine(down, junk), bytes);
                await WaitUntilAsync(() => Directory.Exists(Path.Combine(reims.Folder, "work", "quarantine"))
                    && Directory.GetFiles(Path.Combine(reims.Folder, "work", "quarantine")).Any(f => Path.GetFileName(f).StartsWith(junk, StringComparison.Ordinal)),
                    "REIMS sets the damaged package aside");
                // The administrator (or the next scheduled night) runs the Siège again.
                rerun = await NodeRunner.ConsolidateAsync(node.Config, TimeSpan.Zero, null, CancellationToken.None);
                return rerun;
            },
        });
        LogNight("night 5 (crash during publish, rerun)", night5);
        Assert.NotNull(rerun);
        Assert.Contains(rerun!.Errors, e => e.ErrorId == "StaleLockRecovered");
        Assert.True(rerun.RowsSent > 0, ChainWorld.Why(rerun));
        foreach (var site in new[] { "NANCY", "METZ", "DIJON" }) AssertState(night5, site, ReportState.OK, "night 5");
        AssertState(night5, "REIMS", ReportState.Partial, "night 5 (a damaged package set aside)");
        Assert.Single(night5["REIMS"].Errors, e => e.ErrorId == "PackageSetAside" && e.Message.Contains(junk));
        var killedRun = siege.Reports().First(r => r.Operation == "Sync");
        foreach (var report in siege.Reports().Where(r => r.Operation is "Sync" or "Consolidate").Take(2))
        {
            conflictLines.AddRange(report.ConflictLines.Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c)));
        }
        Assert.Contains(conflictLines, c => c.Target == $"MEMBER {world.ContestedMember(3)}" && c.Line.WinnerSite == "DIJON" && c.Line.LoserSite == "SIEGE");
        _ = killedRun;

        // ---- Night 6, the last of the week: the tills are closed. The next morning, everything is everywhere.
        var night6 = await world.NightAsync(new NightPlan(), tillsSell: false);
        LogNight("night 6", night6);
        foreach (var node in all) AssertState(night6, node.Code, ReportState.OK, "night 6");
        Assert.DoesNotContain(night6["REIMS"].Errors, e => e.ErrorId == "PackageSetAside");
        conflictLines.AddRange(night6["SIEGE"].ConflictLines.Select(c => ($"{c.Table} {c.Key.Replace(", ", "|")}", c)));

        AssertTheNextMorning(world, conflictLines);
        Log("the next morning checked");
    }

    /// <summary>Cases 3, 9 and 11: each refused with one clear message, nothing changed.</summary>
    private async Task WrongConfigurationsAreRefusedAsync(ChainWorld world)
    {
        var (siege, nancy, metz, reims) = (world.Siege, world["NANCY"], world["METZ"], world["REIMS"]);
        // Case 11: consolidate run with a site's configuration; a night run with a configuration whose code is not the database's.
        var waiting = Directory.GetFiles(world.DropFolder, "*.hzp", SearchOption.AllDirectories).OrderBy(f => f).ToList();
        var wrongRole = await NodeRunner.ConsolidateAsync(nancy.Config, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(wrongRole.State == ReportState.Failed && wrongRole.Summary.Contains("NANCY"), ChainWorld.Why(wrongRole));
        var copy = new ChainNode("METZ", 3, Core.Configuration.NodeRole.Site, Path.Combine(world.Root, "METZ-copied-from-NANCY"), nancy.DatabasePath, onServer: true);
        Directory.CreateDirectory(copy.Folder);
        copy.WriteConfig(ChainWorld.KeyRangeSize);   // METZ's identity, NANCY's database: a configuration copied and half edited
        Core.Secrets.SecretStore.ForConfig(copy.Config).Set("db", Core.Secrets.SecretStore.ForConfig(nancy.Config).Get("db")!);
        var wrongCode = await NodeRunner.SyncAsync(copy.Config, TimeSpan.Zero, TimeSpan.Zero, null, CancellationToken.None);
        Assert.True(wrongCode.State == ReportState.Failed && wrongCode.Summary.Contains("NANCY") && wrongCode.Summary.Contains("METZ"), ChainWorld.Why(wrongCode));
        Assert.Equal(waiting, Directory.GetFiles(world.DropFolder, "*.hzp", SearchOption.AllDirectories).OrderBy(f => f).ToList());
        Assert.Empty(Directory.GetDirectories(world.DropFolder, "quarantine", SearchOption.AllDirectories));

        // Case 3: REIMS's number changed in its file: init refuses (the Siège registered it as 4), generators untouched.
        long Generator()
        {
            using var c = reims.Open();
            using var tx = c.BeginTransaction();
            return Convert.ToInt64(c.ExecuteScalar(tx, "SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE"));
        }
        var before = Generator();
        reims.WriteConfig(ChainWorld.KeyRangeSize, number: 7);
        var renumbered = await NodeRunner.InitializeAsync(reims.Config, null, CancellationToken.None);
        Assert.True(renumbered.State == ReportState.Failed && renumbered.Summary.Contains("site.number") && renumbered.Summary.Contains("number 4"), ChainWorld.Why(renumbered));
        Assert.Equal(before, Generator());
        reims.WriteConfig(ChainWorld.KeyRangeSize);
        // A new shop given METZ's number: refused, naming METZ.
        var lille = new ChainNode("LILLE", 3, Core.Configuration.NodeRole.Site, Path.Combine(world.Root, "LILLE"), Path.Combine(world.Root, "LILLE", "LILLE.fdb"), onServer: false);
        Directory.CreateDirectory(lille.Folder);
        lille.WriteConfig(ChainWorld.KeyRangeSize);
        var duplicate = await NodeRunner.InitializeAsync(lille.Config, null, CancellationToken.None);
        Assert.True(duplicate.State == ReportState.Failed && duplicate.Summary.Contains("METZ"), ChainWorld.Why(duplicate));
        Assert.False(Directory.Exists(Path.Combine(world.DropFolder, "LILLE")));

        // Case 9: a full package for a site that does not exist, typed at the console: exit 2, one line naming the registered sites.
        var nosuch = await HzsyncProcess.RunAsync("full", "--site", "NOSUCH", "--config", siege.ConfigPath);
        Assert.True(nosuch.ExitCode == 2 && nosuch.Stderr.Contains("NOSUCH") && nosuch.Stderr.Contains("REIMS"), nosuch.ToString());
        Assert.False(Directory.Exists(Path.Combine(world.DropFolder, "NOSUCH")));
        _ = metz;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 60 s for: {what}");
            await Task.Delay(150);
        }
    }

    /// <summary>
    /// The next morning: every synchronised table identical on the five databases, every column (the local column
    /// ARTICLE.LINES_SOLD too: each node's trigger counted every line there, checked against them); every edit of the ledger
    /// where it must be; the stock of every article its initial stock minus every sale line; each till's log its own
    /// sales only; every conflict reported about a row that several nodes held or edited.
    /// </summary>
    private void AssertTheNextMorning(ChainWorld world, IReadOnlyList<(string Target, ConflictLine Line)> conflictLines)
    {
        var connections = world.Nodes.Select(n => (n.Code, Connection: n.Open())).ToList();
        try
        {
            var problems = new List<string>();
            // The product's own comparer (Compare-HzDatabase): every column's exact bytes, the local column LINES_SOLD
            // included (each node's trigger counted every line, its own and the replicated ones).
            foreach (var (code, connection) in connections.Skip(1))
            {
                foreach (var table in DatabaseComparer.Compare(connections[0].Connection, connection, ChainWorld.Tables))
                {
                    if (!table.Identical) problems.Add($"{code} {table.Table}: {table.RowsRight} row(s), Siège {table.RowsLeft}, {table.DifferingRows} differing: {string.Join("; ", table.Differences)}");
                    if (code == "NANCY") _output.WriteLine($"{table.Table}: {table.RowsLeft} row(s) at the Siège");
                }
            }
            Assert.True(problems.Count == 0, $"databases differ the next morning ({problems.Count}):\n" + string.Join("\n", problems.Take(40)));

            var (lost, account) = world.Ledger.Check(connections, ChainWorld.Tables);
            _output.WriteLine(account);
            Assert.True(lost.Count == 0, $"edits not where they must be ({lost.Count}):\n" + string.Join("\n", lost.Take(40)));

            foreach (var (code, connection) in connections)
            {
                using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
                using (var command = connection.Prepare(tx,
                    "SELECT a.ID, a.STOCK, a.LINES_SOLD, COALESCE((SELECT SUM(l.QTY) FROM SALE_LINE l WHERE l.ARTICLE_ID = a.ID), 0), (SELECT COUNT(*) FROM SALE_LINE l WHERE l.ARTICLE_ID = a.ID) FROM ARTICLE a"))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var (article, stock, linesSold, sold, lines) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
                        if (stock != world.InitialStock[article] - sold) problems.Add($"{code} article {article}: stock {stock}, expected {world.InitialStock[article]} - {sold} = {world.InitialStock[article] - sold}");
                        if (linesSold != lines) problems.Add($"{code} article {article}: LINES_SOLD {linesSold} (its local column), {lines} line(s) there");
                    }
                }
                var logged = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM TILL_LOG"));
                if (logged != world.SalesMade[code]) problems.Add($"{code}: {logged} till log line(s), {world.SalesMade[code]} sale(s) made there");
            }
            Assert.True(problems.Count == 0, "stock, local column or till log wrong:\n" + string.Join("\n", problems));

            var contested = ChainWorld.Tables.SelectMany(t => world.Ledger.EditedAtSeveralNodes(t).Select(k => $"{t} {k}")).ToHashSet();
            var unexplained = conflictLines.Where(c => !contested.Contains(c.Target)).Select(c => $"{c.Target} {c.Line.Resolution} {c.Line.WinnerSite}>{c.Line.LoserSite}").ToList();
            Assert.True(unexplained.Count == 0, "conflicts about rows only one node ever held or edited:\n" + string.Join("\n", unexplained));
            _output.WriteLine($"{conflictLines.Count} conflict line(s): " + string.Join(", ", conflictLines.GroupBy(c => c.Line.Resolution).Select(g => $"{g.Count()} {g.Key}")));
            _output.WriteLine("sales per node: " + string.Join(", ", world.SalesMade.Select(s => $"{s.Key} {s.Value}")));
        }
        finally
        {
            foreach (var (_, connection) in connections) connection.Dispose();
        }
    }
}
