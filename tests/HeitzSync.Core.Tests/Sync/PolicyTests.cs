using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "EndToEnd")]
public class PolicyTests
{
    [Theory]
    [InlineData("PRICE")]
    [InlineData("pri*")]      // tables.siegeWins takes globs (TableRules.IsSiegeWins), case-insensitive
    [InlineData("PRIC?")]
    public void In_a_siege_wins_table_the_masters_version_stays_even_when_the_site_edited_later(string siegeWins)
    {
        using var world = new EngineWorld(siteCount: 1);
        var (site, cycle, result) = ConsolidateLaterSiteEditOfAPrice(world, siegeWins);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal(ConflictResolution.MasterKept, conflict.Resolution);
        Assert.Equal("SIEGE", conflict.WinnerSite);
        Assert.Equal(420m, world.Siege.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
        site.ApplyFrom(world.Siege, world.Folder, cycle);
        TableContent.AssertConverged(world, "after the Siège kept its price");
        Assert.Equal(420m, site.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
    }

    [Theory]
    [InlineData("PRICE_*")]
    [InlineData("MEMBER")]
    public void A_siege_wins_pattern_that_does_not_match_the_table_leaves_the_later_edit_winning(string siegeWins)
    {
        using var world = new EngineWorld(siteCount: 1);
        var (site, cycle, result) = ConsolidateLaterSiteEditOfAPrice(world, siegeWins);
        Assert.Equal(ConflictResolution.IncomingWon, Assert.Single(result.Conflicts).Resolution);
        Assert.Equal(999m, world.Siege.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
    }

    [Fact]
    public void Removing_capture_drops_every_heitzsync_object_and_keeps_the_business_rows()
    {
        using var world = new EngineWorld(siteCount: 1);
        var site = world.Sites[0];
        site.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('A', 'a', 1)");
        site.Initialize(t => t != "LOCAL_SETTINGS");
        new CaptureInstaller(site.Connection).Remove();
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME STARTING WITH 'HZ$'")));
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM RDB$TRIGGERS WHERE RDB$TRIGGER_NAME STARTING WITH 'HZ$'")));
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM RDB$GENERATORS WHERE RDB$GENERATOR_NAME STARTING WITH 'HZ$'")));
        Assert.Equal(1L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM PRICE")));
        using (var tx = site.Connection.BeginTransaction())
        {
            var error = Assert.Throws<CaptureSetupException>(() => NodeIdentity.Read(site.Connection, tx));
            Assert.Contains("Initialize-HzSite", error.Message);
        }
        site.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('B', 'b', 2)");   // no trigger left behind
        var again = site.Initialize(t => t != "LOCAL_SETTINGS");
        Assert.Equal(2, again.RowsQueued);
    }

    /// <summary>The Siège and then, later, the site change the same price; the site's package is consolidated with
    /// <paramref name="siegeWins"/> as tables.siegeWins.</summary>
    private static (EngineNode Site, CycleId Cycle, ConsolidationResult Result) ConsolidateLaterSiteEditOfAPrice(EngineWorld world, string siegeWins)
    {
        world.InitializeAll();
        world.Siege.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Year', 400)");
        world.Night();
        var site = world.Sites[0];
        world.Siege.Sql("UPDATE PRICE SET AMOUNT = 420 WHERE CODE = 'YEAR'");
        WaitForTheClockToPass(site, (DateTime)world.Siege.Scalar("SELECT CURRENT_TIMESTAMP FROM RDB$DATABASE")!);
        site.Sql("UPDATE PRICE SET AMOUNT = 999 WHERE CODE = 'YEAR'");   // later than the Siège's edit

        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extract);
        using var consolidator = new Consolidator(world.Siege.Connection, new[] { siegeWins });
        var result = consolidator.Consolidate(
            new SitePackageFacts(extract.Site, extract.SiteNumber, extract.KeyLow, extract.KeyHigh, cycle, extract.Covered, extract.Acknowledging),
            () => File.OpenRead(file), CancellationToken.None);
        return (site, cycle, result);
    }

    /// <summary>Returns once <paramref name="node"/>'s CURRENT_TIMESTAMP (what its triggers stamp a change with) is past
    /// <paramref name="time"/>: a change made next is later, whatever the clock's resolution or the machine's speed.</summary>
    private static void WaitForTheClockToPass(EngineNode node, DateTime time)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);   // a guard against a stopped clock, not a measure
        while ((DateTime)node.Scalar("SELECT CURRENT_TIMESTAMP FROM RDB$DATABASE")! <= time)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the database clock did not pass {time:O}");
            Thread.Sleep(1);
        }
    }
}
