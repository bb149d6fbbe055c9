using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// A business application that keeps a write transaction open for days, on databases served by the Firebird server
/// (as production sites run): the nights move only what changed, and what that transaction finally commits arrives.
/// </summary>
[Trait("Category", "Firebird")]
public class OpenTransactionTests : IClassFixture<FirebirdServerFixture>
{
    private readonly FirebirdServer _server;

    public OpenTransactionTests(FirebirdServerFixture fixture) => _server = fixture.Server;

    [Fact]
    public void A_transaction_held_open_across_nights_makes_them_move_only_what_changed()
    {
        using var world = OnServer();
        world.InitializeAll();
        world.Night();
        var site = world.Sites[0];
        var siege = world.Siege;

        // Day 1: a till at the site and one at the Siège each open a transaction, write a row and stay idle.
        using var siteTill = FbConnection.Open(site.Connection.Settings);
        var siteHeld = siteTill.BeginTransaction();
        siteTill.Execute(siteHeld, "INSERT INTO MEMBER (ID, NAME) VALUES (?, 'held at the site')", site.KeyLow + 500);
        using var siegeTill = FbConnection.Open(siege.Connection.Settings);
        var siegeHeld = siegeTill.BeginTransaction();
        siegeTill.Execute(siegeHeld, "INSERT INTO MEMBER (ID, NAME) VALUES (?, 'held at the Siège')", siege.KeyLow + 500);
        Insert(site, from: 1, count: 40);
        Insert(siege, from: 1, count: 30);
        var night1 = Night(world);
        Assert.Equal(40, night1.Sent);
        Assert.Equal(30, night1.Received);

        // Day 2: others keep working; the two transactions stay open through the second night.
        Insert(site, from: 101, count: 7);
        Insert(siege, from: 101, count: 5);
        var night2 = Night(world);
        Assert.Equal(7, night2.Sent);        // not the 47 rows written since the open transaction began
        Assert.Equal(5, night2.Received);

        // Day 3: the transactions finally commit; their rows arrive, once.
        siteHeld.Commit();
        siteHeld.Dispose();
        siegeHeld.Commit();
        siegeHeld.Dispose();
        var night3 = Night(world);
        Assert.Equal(1, night3.Sent);
        Assert.Equal(1, night3.Received);
        Assert.Equal(1L, Convert.ToInt64(siege.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", site.KeyLow + 500)));
        Assert.Equal(1L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", siege.KeyLow + 500)));
        TableContent.AssertConverged(world, "after the held transactions committed");
        var night4 = Night(world);
        Assert.Equal((0, 0), (night4.Sent, night4.Received));
    }

    [Fact]
    public void More_open_writers_than_a_watermark_lists_fall_back_to_resending_from_the_oldest()
    {
        using var world = OnServer();
        world.InitializeAll();
        world.Night();
        var site = world.Sites[0];
        using var till = FbConnection.Open(site.Connection.Settings);
        var held = new List<FbTransaction>();
        try
        {
            // One attachment can hold many transactions: each writes a row and stays open.
            for (var i = 0; i <= Core.Sync.OpenTransactions.MaxListed; i++)
            {
                var tx = till.BeginTransaction();
                till.Execute(tx, "INSERT INTO MEMBER (ID, NAME) VALUES (?, 'held')", site.KeyLow + 1000 + i);
                held.Add(tx);
            }
            Insert(site, from: 1, count: 3);
            Assert.Equal(3, Night(world).Sent);
            Insert(site, from: 11, count: 2);
            Assert.Equal(5, Night(world).Sent);   // the fallback resends from the oldest open writer: more, never less
            foreach (var tx in held) tx.Commit();
            Assert.Equal(held.Count + 5, Night(world).Sent);
            TableContent.AssertConverged(world, "after the many held transactions committed");
        }
        finally
        {
            foreach (var tx in held) tx.Dispose();
        }
    }

    [Fact]
    public void A_database_of_the_previous_capture_version_is_refused_by_name_until_init_upgrades_it()
    {
        using var world = OnServer();
        world.InitializeAll();
        world.Night();
        var site = world.Sites[0];
        // As the previous version left it: no open-transaction columns, capture version 1.
        foreach (var (table, column, _) in Core.Capture.CaptureObjects.AddedColumns) site.Sql($"ALTER TABLE {table} DROP {column}");
        site.Sql("UPDATE HZ$NODE SET CAPTURE_VERSION = 1");
        var refused = Assert.Throws<Core.Capture.CaptureSetupException>(() => Night(world));
        Assert.Contains("capture version 1", refused.Message);
        Assert.Contains("Run Initialize-HzSite", refused.Message);

        site.Initialize(t => t != "LOCAL_SETTINGS");
        Insert(site, from: 1, count: 2);
        Assert.Equal(2, Night(world).Sent);
        TableContent.AssertConverged(world, "after the upgrade");
    }

    /// <summary>A Siège and one site of the test schema, their databases served by the Firebird server.</summary>
    private EngineWorld OnServer() =>
        new(1, connection => EngineWorld.RunScript(connection, TestSchema.Sql), code => _server.Settings($"{Guid.NewGuid():N}-{code}.fdb"));

    private static void Insert(EngineNode node, int from, int count)
    {
        for (var i = 0; i < count; i++) node.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'at work')", node.KeyLow + from + i);
    }

    /// <summary>One night; the rows the site sent and the rows the Siège published for it.</summary>
    private static (long Sent, long Received) Night(EngineWorld world)
    {
        var cycle = world.NextCycle();
        var site = world.Sites[0];
        var up = site.Extract(world.Folder, cycle, out var sent);
        world.Siege.Consolidate(up, sent, cycle);
        var down = site.PublishFrom(world.Siege, world.Folder, cycle, out var published);
        site.Apply(down, published, cycle);
        return (sent.Rows, published.Rows);
    }
}
