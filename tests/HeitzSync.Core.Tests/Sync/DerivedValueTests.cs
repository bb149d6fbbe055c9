using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Customer;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// Additive and local columns (docs/sync-engine.md, "Derived values"): ARTICLE.STOCK, which the sale-line trigger takes
/// out at each node, adds up exactly once whatever is re-sent; ARTICLE.LINES_SOLD is never carried and each node's own
/// trigger keeps it as replicated lines arrive; the rest of the row (price, label) still goes by last writer wins.
/// </summary>
[Trait("Category", "EndToEnd")]
public class DerivedValueTests
{
    private static int Stock(EngineNode node, int article) => Convert.ToInt32(node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = ?", article));

    private static int LinesSold(EngineNode node, int article) => Convert.ToInt32(node.Scalar("SELECT LINES_SOLD FROM ARTICLE WHERE ID = ?", article));

    private static long TillLog(EngineNode node) => Convert.ToInt64(node.Scalar("SELECT COUNT(*) FROM TILL_LOG"));

    private static EngineWorld WorldWithArticles(int sites, int stock = 100)
    {
        var world = EngineWorld.Customer(sites);
        CustomerSchema.AddArticles(world.Siege.Connection, 1, 3, stock);
        world.InitializeAll();
        world.Night();
        return world;
    }

    [Fact]
    public void Sales_at_three_sites_and_the_siege_on_the_same_article_the_same_night_all_take_stock_out_once()
    {
        using var world = WorldWithArticles(sites: 3);
        var sale = 0;
        foreach (var node in world.All)
        {
            CustomerSchema.Sell(node.Connection, (int)node.KeyLow + ++sale, null, (1, node.Number), (2, 1));
        }
        world.Sites[1].Sql("UPDATE ARTICLE SET PRICE = 11.00 WHERE ID = 1");   // the rest of the row still syncs
        world.Night();

        foreach (var node in world.All)
        {
            Assert.Equal(100 - (1 + 2 + 3 + 4), Stock(node, 1));
            Assert.Equal(100 - 4, Stock(node, 2));
            Assert.Equal(11.00m, node.Scalar("SELECT PRICE FROM ARTICLE WHERE ID = 1"));
            Assert.Equal(4, LinesSold(node, 1));   // local: each node's own trigger counted every line once
            Assert.Equal(1L, TillLog(node));       // the till's side effect ran at the till only
        }
        TableContent.AssertConverged(world, "after the sales night", CustomerSchema.SynchronisedTables);

        world.Night();   // nothing new: nothing moves
        Assert.All(world.All, node => Assert.Equal(90, Stock(node, 1)));
        TableContent.AssertConverged(world, "a quiet night later", CustomerSchema.SynchronisedTables);
    }

    [Fact]
    public void The_same_package_consolidated_twice_and_a_resend_after_a_lost_ack_take_stock_out_once()
    {
        using var world = WorldWithArticles(sites: 1);
        var site = world.Sites[0];
        CustomerSchema.Sell(site.Connection, (int)site.KeyLow + 1, null, (1, 3));
        var cycle = world.NextCycle();
        var first = site.Extract(world.Folder, cycle, out var firstExtract);
        Assert.False(world.Siege.Consolidate(first, firstExtract, cycle).AlreadyConsolidated);
        Assert.True(world.Siege.Consolidate(first, firstExtract, cycle).AlreadyConsolidated);
        Assert.Equal(97, Stock(world.Siege, 1));

        // The acknowledgement never reached the site: its next package carries the first sale again, with a second one.
        CustomerSchema.Sell(site.Connection, (int)site.KeyLow + 2, null, (1, 2));
        var again = world.NextCycle();
        var second = site.Extract(world.Folder, again, out var secondExtract);
        Assert.True(secondExtract.TableCounts["SALE"] == 2, "the resend overlaps the first package");
        world.Siege.Consolidate(second, secondExtract, again);
        Assert.Equal(95, Stock(world.Siege, 1));

        world.Night();
        Assert.All(world.All, node => Assert.Equal(95, Stock(node, 1)));
        TableContent.AssertConverged(world, "after the resend", CustomerSchema.SynchronisedTables);
    }

    [Fact]
    public void A_site_that_skips_the_article_for_a_pending_sale_gets_the_other_sales_and_keeps_its_own()
    {
        using var world = WorldWithArticles(sites: 2);
        var (a, b) = (world.Sites[0], world.Sites[1]);
        CustomerSchema.Sell(a.Connection, (int)a.KeyLow + 1, null, (1, 2));
        CustomerSchema.Sell(b.Connection, (int)b.KeyLow + 1, null, (1, 4));
        var cycle = world.NextCycle();
        var packages = new[] { a, b }.Select(s => (File: s.Extract(world.Folder, cycle, out var r), Result: r)).ToList();
        CustomerSchema.Sell(a.Connection, (int)a.KeyLow + 2, null, (1, 1));   // during the night, after a's extract: pending at a
        foreach (var (file, result) in packages) world.Siege.Consolidate(file, result, cycle);
        foreach (var site in world.Sites) site.ApplyFrom(world.Siege, world.Folder, cycle);
        Assert.Equal(100 - 2 - 4 - 1, Stock(a, 1));   // b's sale is in, a's pending one too
        Assert.Equal(100 - 2 - 4, Stock(b, 1));

        world.Night();
        Assert.All(world.All, node => Assert.Equal(93, Stock(node, 1)));
        Assert.All(world.All, node => Assert.Equal(3, LinesSold(node, 1)));
        TableContent.AssertConverged(world, "the night after", CustomerSchema.SynchronisedTables);
    }

    [Fact]
    public void An_additive_column_declared_at_one_node_only_is_refused_naming_the_column_and_the_setting()
    {
        using var world = EngineWorld.Customer(siteCount: 1);
        world.Siege.Initialize(world.IsSynchronised, EngineWorld.CustomerRules);
        world.Sites[0].Initialize(world.IsSynchronised, o => EngineWorld.CustomerRules(o) with { AdditiveColumns = Array.Empty<string>() });
        CustomerSchema.AddArticles(world.Sites[0].Connection, 1, 1, 5);
        var cycle = world.NextCycle();
        var file = world.Sites[0].Extract(world.Folder, cycle, out var extract);
        var error = Assert.Throws<SchemaMismatchException>(() => world.Siege.Consolidate(file, extract, cycle));
        Assert.Contains("ARTICLE.STOCK", error.Message);
        Assert.Contains("tables.additiveColumns", error.Message);
        Assert.Equal(0L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM ARTICLE")));
    }

    [Fact]
    public async Task A_site_seeded_or_restored_from_the_full_package_takes_over_the_masters_totals_keeps_its_unsent_sale_and_sales_add_up_once()
    {
        using var temp = new TempFolder("hz-seed");
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(temp.File("drop"));
        CaptureOptions Options(string code, int number) => EngineWorld.CustomerRules(new CaptureOptions
        {
            Site = SiteCode.Parse(code), SiteNumber = number, IsSiege = number == 1,
            KeyLow = number * EngineWorld.RangeSize, KeyHigh = (number + 1) * EngineWorld.RangeSize - 1,
            IsSynchronised = t => t != CustomerSchema.LocalTable,
        });
        var master = new FbConnectionSettings { Database = temp.File("SIEGE.fdb"), Charset = "NONE" };
        using (var connection = FbConnection.CreateDatabase(master))
        {
            CustomerSchema.Create(master);
            CustomerSchema.AddArticles(connection, 1, 1, stock: 100);
            new CaptureInstaller(connection).Install(Options("SIEGE", 1));
            CustomerSchema.Sell(connection, 1_000_001, null, (1, 4));
        }
        var siteDb = new FbConnectionSettings { Database = temp.File("SITE02.fdb"), Charset = "NONE" };
        var site = new SiteNight(siteDb, drop, key, temp.File("work-site"), identity: Options("SITE02", 2));
        var siege = new SiegeNight(master, drop, key, temp.File("work-siege"), Array.Empty<string>());
        await FullPackage.PublishAsync(master, drop, key, temp.File("work-siege"), SiteCode.Parse("SITE02"), CycleId.Parse("20261101T020000Z"), null, CancellationToken.None);
        Assert.NotNull((await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None)).FullRestoreNote);

        using (var connection = FbConnection.Open(siteDb)) CustomerSchema.Sell(connection, 2_000_001, null, (1, 3));
        using (var connection = FbConnection.Open(master)) CustomerSchema.Sell(connection, 1_000_002, null, (1, 1));
        var cycle = CycleId.Parse("20261102T020000Z");
        await site.UploadAsync(await site.ExtractAsync(cycle, null, CancellationToken.None), null, CancellationToken.None);
        await siege.ConsolidateAsync(new[] { SiteCode.Parse("SITE02") }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        await siege.PublishAsync(cycle, null, CancellationToken.None);
        await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);

        int StockAt(FbConnectionSettings database)
        {
            using var connection = FbConnection.Open(database);
            using var tx = connection.BeginTransaction();
            return Convert.ToInt32(connection.ExecuteScalar(tx, "SELECT STOCK FROM ARTICLE WHERE ID = 1"));
        }
        Assert.Equal(100 - 4 - 3 - 1, StockAt(master));
        Assert.Equal(92, StockAt(siteDb));

        // Restored again while a sale of its own is not sent yet: the restore keeps it, and it counts once.
        using (var connection = FbConnection.Open(siteDb)) CustomerSchema.Sell(connection, 2_000_002, null, (1, 2));
        await FullPackage.PublishAsync(master, drop, key, temp.File("work-siege"), SiteCode.Parse("SITE02"), CycleId.Parse("20261103T020000Z"), null, CancellationToken.None);
        Assert.NotNull((await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None)).FullRestoreNote);
        Assert.Equal(90, StockAt(siteDb));
        var next = CycleId.Parse("20261104T020000Z");
        await site.UploadAsync(await site.ExtractAsync(next, null, CancellationToken.None), null, CancellationToken.None);
        await siege.ConsolidateAsync(new[] { SiteCode.Parse("SITE02") }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        await siege.PublishAsync(next, null, CancellationToken.None);
        await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.Equal(90, StockAt(master));
        Assert.Equal(90, StockAt(siteDb));
    }
}
