using HeitzSync.Core.Sync;
using HeitzSync.Testing.Customer;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>A site that joins with years of data: rows it holds under the same key as the Siège are compared; those that
/// differ are conflicts, reported one by one and resolved by the join rule (docs/sync-engine.md; issue 12, defect 10).</summary>
[Trait("Category", "EndToEnd")]
public class JoinConflictTests
{
    [Fact]
    public void Rows_a_joining_site_holds_under_the_siege_keys_with_other_values_are_conflicts_one_by_one_and_the_siege_row_wins()
    {
        using var world = EngineWorld.Customer(siteCount: 1);
        var site = world.Sites[0];
        var stamp = new DateTime(2024, 3, 1, 9, 0, 0);
        CustomerSchema.SeedArticles(world.Siege.Connection, 1, 20, stock: 1000, price: 9.90m, stamp);
        CustomerSchema.SeedArticles(site.Connection, 1, 20, stock: 1000, price: 9.90m, stamp);
        // The site's own years: its stock went its own way on every article, and it changed the price of five.
        CustomerSchema.WithoutStamps(site.Connection, () =>
        {
            site.Sql("UPDATE ARTICLE SET STOCK = -5135 WHERE ID = 1");
            site.Sql("UPDATE ARTICLE SET STOCK = STOCK - ID WHERE ID > 1");
            site.Sql("UPDATE ARTICLE SET PRICE = 12.50 WHERE ID BETWEEN 6 AND 10");
        });
        world.InitializeAll();

        world.Night();

        var conflicts = world.Conflicts.Where(c => c.Table == "ARTICLE").OrderBy(c => int.Parse(c.Key)).ToList();
        Assert.Equal(new[] { "6", "7", "8", "9", "10" }, conflicts.Select(c => c.Key));
        Assert.All(conflicts, c =>
        {
            Assert.Equal(world.Siege.Code, c.WinnerSite);
            Assert.Equal(site.Code, c.LoserSite);
            Assert.Equal(ConflictResolution.JoinMasterKept, c.Resolution);
        });
        foreach (var node in world.All)
        {
            Assert.Equal(9.90m, node.Scalar("SELECT PRICE FROM ARTICLE WHERE ID = 7"));
            // Additive: each node's stock at join is its own contribution, so the chain's stock is their sum.
            Assert.Equal(1000 - 5135, node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 1"));
            Assert.Equal(2000 - 7, node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 7"));
        }
        TableContent.AssertConverged(world, "after the join", CustomerSchema.SynchronisedTables);
    }
}
