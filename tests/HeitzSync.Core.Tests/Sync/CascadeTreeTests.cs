using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// A customer's tree with cascades: categories that reference their parent category with ON DELETE CASCADE, and
/// products that reference their category with ON DELETE CASCADE. Deleting a branch at one site deletes its whole
/// subtree there (the capture records every cascaded delete); the package then carries deletes of rows that the
/// branch's own delete already took at the receiver, and a child may come before its parent.
/// </summary>
[Trait("Category", "EndToEnd")]
public class CascadeTreeTests
{
    private const string Schema = @"
CREATE TABLE CATEGORY (ID BIGINT NOT NULL PRIMARY KEY, PARENT_ID BIGINT REFERENCES CATEGORY (ID) ON DELETE CASCADE, NAME VARCHAR(40) NOT NULL);;
CREATE TABLE PRODUCT (ID BIGINT NOT NULL PRIMARY KEY, CATEGORY_ID BIGINT NOT NULL REFERENCES CATEGORY (ID) ON DELETE CASCADE, NAME VARCHAR(40))";

    private static readonly string[] Tables = { "CATEGORY", "PRODUCT" };

    [Fact]
    public void Deleting_branches_of_a_cascading_tree_at_sites_leaves_the_same_tree_everywhere()
    {
        using var world = new EngineWorld(siteCount: 3, Schema);
        world.InitializeAll();
        world.Night();   // every site registers
        var (builder, pruner, editor) = (world.Sites[0], world.Sites[1], world.Sites[2]);
        var k = builder.KeyLow;

        // A binary tree of 31 categories (node i's parent is i / 2), two products on each leaf. Two nodes are then moved
        // under a node of a higher key, changed last: their rows come before their new parent's in the package, by key
        // and by change alike.
        PlantTree(builder, k, 31);
        for (var i = 16; i <= 31; i++)
        {
            builder.Sql("INSERT INTO PRODUCT (ID, CATEGORY_ID, NAME) VALUES (?, ?, ?)", k + 100 + 2 * i, k + i, $"product {i}a");
            builder.Sql("INSERT INTO PRODUCT (ID, CATEGORY_ID, NAME) VALUES (?, ?, ?)", k + 101 + 2 * i, k + i, $"product {i}b");
        }
        builder.Sql("INSERT INTO CATEGORY (ID, PARENT_ID, NAME) VALUES (?, ?, 'late parent')", k + 50, k + 3);
        builder.Sql("UPDATE CATEGORY SET PARENT_ID = ? WHERE ID IN (?, ?)", k + 50, k + 6, k + 7);
        builder.Sql("UPDATE CATEGORY SET NAME = 'late parent, renamed' WHERE ID = ?", k + 50);   // its last change after theirs too
        world.Night();
        TableContent.AssertConverged(world, "after the tree was built", Tables);
        Assert.Equal(32L, Count(editor, "SELECT COUNT(*) FROM CATEGORY"));
        Assert.Equal(32L, Count(editor, "SELECT COUNT(*) FROM PRODUCT"));

        // The same day: one site prunes the branch under node 2 (15 categories, 16 products, by cascade); another renames
        // a category and adds a product in the other branch.
        pruner.Sql("DELETE FROM CATEGORY WHERE ID = ?", k + 2);
        Assert.Equal(17L, Count(pruner, "SELECT COUNT(*) FROM CATEGORY"));
        editor.Sql("UPDATE CATEGORY SET NAME = 'renamed' WHERE ID = ?", k + 13);
        editor.Sql("INSERT INTO PRODUCT (ID, CATEGORY_ID, NAME) VALUES (?, ?, 'new')", editor.KeyLow + 1, k + 26);
        world.Night();
        AssertEveryNodeHolds(world, "after a branch was pruned", categories: 17, products: 17);
        foreach (var node in world.All)
        {
            Assert.Equal(0L, Count(node, "SELECT COUNT(*) FROM CATEGORY WHERE ID = ? OR PARENT_ID = ?", k + 2, k + 2));
            Assert.Equal("renamed", node.Scalar("SELECT NAME FROM CATEGORY WHERE ID = ?", k + 13));
        }

        // The root goes at the site that built the tree: everything with it, everywhere.
        builder.Sql("DELETE FROM CATEGORY WHERE ID = ?", k + 1);
        world.Night();
        world.Night();
        AssertEveryNodeHolds(world, "after the root was deleted", categories: 0, products: 0);
        Assert.Empty(world.Conflicts);
    }

    [Fact]
    public void A_product_added_under_a_branch_another_site_pruned_the_same_day_is_removed_everywhere_and_said()
    {
        using var world = new EngineWorld(siteCount: 2, Schema);
        world.InitializeAll();
        world.Night();
        var (pruner, adder) = (world.Sites[0], world.Sites[1]);
        var k = pruner.KeyLow;
        PlantTree(pruner, k, 7);
        world.Night();
        TableContent.AssertConverged(world, "after the tree was built", Tables);

        // The pruner sends first: at the Siège the branch is gone when the product under it arrives.
        pruner.Sql("DELETE FROM CATEGORY WHERE ID = ?", k + 2);
        var product = adder.KeyLow + 1;
        adder.Sql("INSERT INTO PRODUCT (ID, CATEGORY_ID, NAME) VALUES (?, ?, 'orphan to be')", product, k + 5);
        world.Night();
        world.Night();

        AssertEveryNodeHolds(world, "after the same day's prune and add", categories: 4, products: 0);
        Assert.Contains(world.Conflicts, c => c.Table == "PRODUCT" && c.Key == product.ToString(System.Globalization.CultureInfo.InvariantCulture) &&
                                              c.Resolution == ConflictResolution.OrphanRemoved && c.LoserSite == adder.Code);
    }

    /// <summary>A binary tree of categories key + 1 … key + count, made at <paramref name="site"/>: node i's parent is i / 2.</summary>
    private static void PlantTree(EngineNode site, long key, int count)
    {
        for (var i = 1; i <= count; i++) site.Sql("INSERT INTO CATEGORY (ID, PARENT_ID, NAME) VALUES (?, ?, ?)", key + i, i == 1 ? null : key + i / 2, $"category {i}");
    }

    /// <summary>Every node holds the same rows, and that many of each table.</summary>
    private static void AssertEveryNodeHolds(EngineWorld world, string because, long categories, long products)
    {
        TableContent.AssertConverged(world, because, Tables);
        foreach (var node in world.All)
        {
            Assert.Equal(categories, Count(node, "SELECT COUNT(*) FROM CATEGORY"));
            Assert.Equal(products, Count(node, "SELECT COUNT(*) FROM PRODUCT"));
        }
    }

    private static long Count(EngineNode node, string sql, params object?[] args) => Convert.ToInt64(node.Scalar(sql, args));
}
