using System.Globalization;
using System.Text.Json;
using HeitzSync.Core;
using HeitzSync.Core.Configuration;
using HeitzSync.Fault.Tests.Harness;
using HeitzSync.Firebird;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>
/// Issue 13: the production shape (server databases with users at work during the nights, sites over FTPS with one
/// chrooted account each, set up as docs/ftp-siege.md says). See <see cref="ProductionWorld"/>.
/// </summary>
[Trait("Category", "Production")]
public class ProductionTests
{
    private readonly ITestOutputHelper _output;

    public ProductionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Sites_reach_the_Siege_over_ftps_with_their_own_chrooted_accounts_as_the_docs_set_them_up()
    {
        using var world = new ProductionWorld();
        // The pin the page's openssl command printed is the certificate vsftpd presents.
        Assert.Equal(world.Ftp.Server.Thumbprint, world.Ftp.PrintedPin.Replace(":", ""));

        foreach (var (site, test) in world.Sites.Zip(world.Sites.Select(site => Task.Run(() => world.Check(world.Run(site, "test")))).ToList().Select(t => t.Result)))
        {
            Assert.Matches(@"(?m)^Passed\s+Tls\s+explicit TLS 1\.2, control and data; the Siège presented exactly the pinned certificate", test.Stdout);
            Assert.Matches($@"(?m)^Passed\s+SiteFolder\s+{site.Code}'s folder is this account's root \(drop\.scope Site\)", test.Stdout);
        }

        // README's old advice: an account chrooted to its folder, and a site that takes it for the whole drop. test now
        // fails, naming the setting, and writes nothing in the wrong place (the night would upload to LYON01/LYON01/up).
        var lyon = world["LYON01"];
        world.Reconfigure(lyon, c => c with { Drop = c.Drop with { Scope = DropScope.Drop } });
        var wrong = world.Run(lyon, "test");
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Matches(@"(?m)^Failed\s+SiteFolder\s+this account starts in LYON01's own folder .* but drop\.scope is Drop", wrong.Stdout);
        Assert.Contains("fix: Set drop.scope to Site.", wrong.Stdout);
        Assert.Matches(@"(?m)^Failed\s+WriteRight\s+not tried", wrong.Stdout);
        Assert.False(Directory.Exists(Path.Combine(world.Ftp.SiteFolder("LYON01"), "LYON01")), "test created a folder where the Siège never looks");
        world.Reconfigure(lyon, c => c with { Drop = c.Drop with { Scope = DropScope.Site } });

        // Nights with users at work at every node, through the server.
        world.StartTills();
        foreach (var node in world.Nodes) world.Till(node.Code).WaitForSales(3);
        for (var night = 1; night <= 2; night++)
        {
            var run = world.CleanNight();
            Assert.Contains("2 of 2 site(s) delivered", run.Consolidate.Stdout);
        }
        world.StopTills();
        world.CleanNight();   // what the tills wrote during the last night reaches everyone
        world.Check(world.Run(world.Siege, "test"));
        world.AssertIdentical();
        world.AssertEverySaleEverywhere();
        Assert.Empty(world.FragmentsInDrop());
        world.WriteLog(_output);
        foreach (var account in world.SiteAccounts)
        {
            Assert.DoesNotContain(account.Password, string.Concat(world.Log.Select(r => r.Stdout + r.Stderr)), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Issue 13's acceptance as one run of four nights, tills selling through the server at every node all along (each
    /// stopped only while its own node extracts, where the counts must be exact), through the business triggers as the
    /// customer wrote them (a date stamp, a stock taken out per line; init guards them):
    /// 1. the initial load; then a screen at NICE02 opens a write transaction and stays idle;
    /// 2. the sites run their whole night (sync) and the Siège's FTP server goes down while they wait for its answer; the
    ///    Siège consolidates meanwhile (on its drop folder), the server comes back, the sites end OK and say they waited
    ///    through the outage; then the screen commits;
    /// 3. both sites' uploads are cut (rate-limited, the server killed once each .part has grown); the rerun resumes
    ///    NICE02's (nothing changed there) and supersedes LYON01's (its till sold meanwhile), leaving no fragment; NICE02's
    ///    package holds exactly what changed since its last one, the screen's sale with it; a customer buys at LYON01
    ///    while its apply's transaction is open (held there by the fault hook, seen open in MON$ before and after the
    ///    sale): the sale is stamped and takes its stock out;
    /// 4. the tills stop: the second night after the screen's commit moves exactly what changed, not its sale again.
    /// Then every database is identical, every sale is everywhere with its stamp, every stock is right, and neither the
    /// drop nor a node's folders hold a fragment.
    /// </summary>
    [Fact]
    public async Task Nights_with_users_at_work_an_ftp_outage_during_the_wait_a_cut_upload_and_a_screen_left_open_all_converge()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var world = new ProductionWorld();
        _output.WriteLine($"world built at {clock.Elapsed.TotalSeconds:0.0} s");
        var lyon = world["LYON01"];
        var nice = world["NICE02"];
        world.StartTills();
        foreach (var node in world.Nodes) world.Till(node.Code).WaitForSales(2);
        var niceTill = world.Till(nice.Code);

        // Night 1: the initial load.
        Assert.Contains("2 of 2 site(s) delivered", world.CleanNight().Consolidate.Stdout);
        var screen = world.HoldTransaction(nice);
        _output.WriteLine($"night 1 at {clock.Elapsed.TotalSeconds:0.0} s");

        // Night 2: the sites' whole night; the FTP server stops while they wait for the Siège's answer.
        niceTill.Pause();   // so that NICE02's extract lists no till transaction: its next package counts exactly
        var syncs = world.Sites.Select(site => world.Start(site, "sync", null, "--json")).ToList();
        foreach (var sync in syncs) sync.WaitFor("Waiting for the Siège's answer to");
        var niceSince = Resume(niceTill);
        world.Ftp.Server.Stop();
        foreach (var sync in syncs) sync.WaitFor("The drop cannot be reached");
        var during = world.Check(world.Run(world.Siege, "consolidate", "--json", "--reception-minutes", "0"));
        Assert.Contains("2 of 2 site(s) delivered", during.Stdout);
        world.Ftp.Server.Start();
        foreach (var sync in syncs.Select(world.Finish))
        {
            world.Check(sync);
            Assert.Matches(@"the drop could not be reached \d+ time\(s\) from [0-9:]+ UTC \(.*\); the run kept waiting while time was left", Summary(sync));
            Assert.True(Report(sync).GetProperty("rowsReceived").GetInt64() > 0, sync.Stdout);
        }
        world.Commit(screen);   // held open across the whole night
        _output.WriteLine($"night 2 at {clock.Elapsed.TotalSeconds:0.0} s");

        // Night 3: both uploads cut in the middle, then the rerun. A photo taken at each desk makes the packages large
        // enough to be cut (120 KB, incompressible); NICE02 sells a little more, its till quiet from here to the rerun.
        niceTill.Pause();
        var niceChanges = Shop.RowsChanged(niceTill.Written.Skip(niceSince).Concat(world.Sell(nice, 3, 2)).Append(screen.Sale)) + TakePhoto(nice);
        TakePhoto(lyon);
        foreach (var site in world.Sites) world.Ftp.LimitRate(site.Code, 16 * 1024);
        var cut = world.Sites.Select(site => world.Start(site, "send", null, "--json")).ToList();
        foreach (var site in world.Sites) WaitForPart(world, site, atLeast: 8 * 1024);
        world.Ftp.Server.Stop();
        foreach (var send in cut.Select(world.Finish))
        {
            Assert.True(send.ExitCode == 2, send + "\n" + send.Stdout);
            Assert.Contains("DropUnreachable", send.Stdout);
        }
        // What the cut left: a .part in each site's up/ and the package waiting in each site's outgoing folder.
        Assert.Equal(2, world.FragmentsInDrop().Count);
        Assert.Equal(4, world.Fragments().Count);
        var nicePackage = Path.GetFileName(Directory.GetFiles(Path.Combine(nice.Folder, "work", "outgoing"), "*.hzp").Single());
        foreach (var site in world.Sites) world.Ftp.LimitRate(site.Code, null);
        world.Ftp.Server.Start();
        var rerun = ProductionWorld.Parallel(world.Sites, site => world.Check(world.Run(site, "send", "--json")));
        var niceRerun = rerun.Single(r => r.Node == nice.Code);
        Assert.Contains("an earlier run's upload of it was cut and nothing changed since: resumed it", Summary(niceRerun));
        Assert.Contains($"APPE /up/{nicePackage}.part", world.Ftp.Server.Log);   // from where the cut left it, not from the start
        // What changed since NICE02's last package and nothing more: the screen's sale now it committed, not the rows
        // written after the screen opened that night 2 carried already.
        Assert.Equal(niceChanges, Report(niceRerun).GetProperty("rowsSent").GetInt64());
        Assert.Contains("1 earlier package(s) not sent superseded (they hold less), their fragments removed from up/", Summary(rerun.Single(r => r.Node == lyon.Code)));
        Assert.Empty(world.FragmentsInDrop());
        niceSince = Resume(niceTill);
        Assert.Contains("2 of 2 site(s) delivered", world.Check(world.Run(world.Siege, "consolidate", "--json", "--reception-minutes", "0")).Stdout);

        // ... and a customer buys at LYON01 while LYON01's apply is open.
        var hold = Path.Combine(lyon.Folder, "apply.held");
        var held = world.Start(lyon, "receive", new Dictionary<string, string> { [FaultPoints.AtVariable] = "apply.inside-tx", [FaultPoints.HoldVariable] = hold },
            "--json", "--wait-minutes", "0");
        var niceReceive = Task.Run(() => world.Run(nice, "receive", "--json", "--wait-minutes", "0"));
        held.WaitFor(FaultPoints.HoldMarker + "apply.inside-tx");
        var apply = Assert.Single(ProductionWorld.ApplyingTransactions(lyon));
        var boughtDuringApply = BuyWhileApplyIsOpen(world, lyon, apply);
        Assert.Contains(apply, ProductionWorld.ApplyingTransactions(lyon));   // the sale committed, the apply still open
        File.Delete(hold);
        world.Check(world.Finish(held));
        world.Check(await niceReceive);
        Assert.Empty(ProductionWorld.ApplyingTransactions(lyon));
        _output.WriteLine($"night 3 at {clock.Elapsed.TotalSeconds:0.0} s");

        // Night 4: the users go home; the second night after the screen's commit moves only what changed.
        world.StopTills();
        niceChanges = Shop.RowsChanged(niceTill.Written.Skip(niceSince).Concat(world.Sell(nice, 2, 3)));
        Assert.Equal(niceChanges, world.CleanNight().RowsSent(nice.Code));
        _output.WriteLine($"night 4 at {clock.Elapsed.TotalSeconds:0.0} s");

        world.AssertIdentical();
        world.AssertEverySaleEverywhere();   // the screen's sale and the one bought during the apply among them, stamped
        Assert.Contains(boughtDuringApply, world.Written);
        world.AssertStock();
        Assert.Empty(world.Fragments());
        world.WriteLog(_output);
    }

    /// <summary>Lets a paused till sell again; returns how many sales it had made (those after it are new).</summary>
    private static int Resume(BusinessWriter till)
    {
        var count = till.Written.Count;
        till.Resume();
        return count;
    }

    /// <summary>A new 120 KB photo for the node's first member (one row changed).</summary>
    private static int TakePhoto(ProductionNode node)
    {
        var photo = new byte[120_000];
        new Random(node.Number).NextBytes(photo);
        using var connection = node.Open();
        using var tx = connection.BeginTransaction();
        Assert.Equal(1, connection.Execute(tx, "UPDATE MEMBERS SET PHOTO = ? WHERE ID = (SELECT MIN(ID) FROM MEMBERS WHERE ID > ?)", photo, node.Number * 1_000_000_000L));
        tx.Commit();
        return 1;
    }

    /// <summary>Waits until the site's upload has written at least <paramref name="atLeast"/> bytes of its .part in the drop.</summary>
    private static void WaitForPart(ProductionWorld world, ProductionNode site, long atLeast)
    {
        var up = Path.Combine(world.Ftp.SiteFolder(site.Code), "up");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!Directory.GetFiles(up, "*.hzp.part").Any(f => new FileInfo(f).Length >= atLeast))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{site}'s upload did not reach {atLeast} bytes in {up} within 90 s.");
            Thread.Sleep(50);
        }
        var part = Directory.GetFiles(up, "*.hzp.part").Single();
        var package = Directory.GetFiles(Path.Combine(site.Folder, "work", "outgoing"), "*.hzp").Single();
        Assert.True(new FileInfo(part).Length < new FileInfo(package).Length, $"{part} is not a fragment of {package}");
    }

    /// <summary>
    /// A customer at a second till of <paramref name="node"/> buys article 0 while the apply's transaction
    /// <paramref name="apply"/> is open: the server shows that transaction open when the sale's own transaction starts
    /// (MON$ in the sale's transaction), and the sale's triggers run for it there and then (stamped, stock taken out).
    /// </summary>
    private static WrittenSale BuyWhileApplyIsOpen(ProductionWorld world, ProductionNode node, long apply)
    {
        var stockBefore = ProductionWorld.Stock(node, Shop.Articles[0]);
        var items = new[] { new SaleItem(Shop.Articles[0], 1) };
        using var till = node.OpenAsUser();
        long id;
        using (var tx = till.BeginTransaction(new FbTransactionOptions { LockTimeoutSeconds = 20 }))   // a lock the apply holds fails the test, never hangs it
        {
            Assert.Equal(apply, Convert.ToInt64(till.ExecuteScalar(tx,
                "SELECT v.MON$TRANSACTION_ID FROM MON$CONTEXT_VARIABLES v WHERE v.MON$VARIABLE_NAME = 'HZ$APPLYING'"), CultureInfo.InvariantCulture));
            id = BusinessWriter.WriteSale(till, tx, items);
            Assert.NotNull(till.ExecuteScalar(tx, "SELECT STAMPED_AT FROM SALES WHERE ID = ?", id));
            tx.Commit();
        }
        Assert.Equal(stockBefore - 1, ProductionWorld.Stock(node, Shop.Articles[0]));
        return world.Record(new WrittenSale(node.Code, id, items));
    }

    private static JsonElement Report(HzsyncRun run) => JsonDocument.Parse(run.Stdout).RootElement;

    private static string Summary(HzsyncRun run) => Report(run).GetProperty("summary").GetString() ?? "";
}
