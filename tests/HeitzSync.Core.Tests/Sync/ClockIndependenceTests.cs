using HeitzSync.Core.Model;
using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// Whether a package is already in is decided by the range it covers (the producer's own sequence), never by its
/// cycle id, which comes from the sending node's clock (docs/sync-engine.md, "Exactly once").
/// </summary>
[Trait("Category", "EndToEnd")]
public class ClockIndependenceTests
{
    private static void Seed(EngineNode node)
    {
        for (var i = 1; i <= 3; i++)
        {
            node.Sql("INSERT INTO MEMBER (ID, NAME, BALANCE, ACTIVE) VALUES (?, ?, ?, TRUE)", node.KeyLow + i, $"Member {node.Code} {i}", 10m * i);
        }
    }

    private static decimal Balance(EngineNode node, long id) => Convert.ToDecimal(node.Scalar("SELECT BALANCE FROM MEMBER WHERE ID = ?", id));

    [Fact]
    public void A_site_whose_clock_was_a_day_ahead_then_set_right_is_consolidated_the_same_night()
    {
        using var world = new EngineWorld(siteCount: 2);
        foreach (var node in world.All) Seed(node);
        world.InitializeAll();
        world.Night(cycle: "20261101T020000Z");
        TableContent.AssertConverged(world, "after the first night");

        // Night 2: the first site's clock runs a day ahead; its package (and the whole night here) carries that stamp.
        var ahead = world.Sites[0];
        var key = ahead.KeyLow + 1;
        ahead.Sql("UPDATE MEMBER SET BALANCE = 222 WHERE ID = ?", key);
        world.Night(cycle: "20261103T020000Z");
        TableContent.AssertConverged(world, "after the night with the clock ahead");

        // Night 3: the clock is set right: its cycle id is older than the one recorded for it at the Siège.
        ahead.Sql("UPDATE MEMBER SET BALANCE = 333 WHERE ID = ?", key);
        ahead.Sql("INSERT INTO MEMBER (ID, NAME, BALANCE, ACTIVE) VALUES (?, 'New after the correction', 1, TRUE)", ahead.KeyLow + 50);
        var cycle = CycleId.Parse("20261102T020000Z");
        var file = ahead.Extract(world.Folder, cycle, out var extract);
        var result = world.Siege.Consolidate(file, extract, cycle);
        Assert.False(result.AlreadyConsolidated, "the package made after the clock was set right was taken for already consolidated");
        Assert.Equal(2, result.RowsApplied);
        foreach (var site in world.Sites) site.ApplyFrom(world.Siege, world.Folder, cycle);
        TableContent.AssertConverged(world, "the same night the clock was set right");
        Assert.All(world.All, node => Assert.Equal(333m, Balance(node, key)));
        Assert.All(world.All, node => Assert.Equal(1L, Convert.ToInt64(node.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", ahead.KeyLow + 50))));

        // The same package delivered again is still refused, and changes nothing.
        var seqBefore = world.Siege.Scalar("SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE");
        Assert.True(world.Siege.Consolidate(file, extract, cycle).AlreadyConsolidated);
        Assert.Equal(seqBefore, world.Siege.Scalar("SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE"));
        File.Delete(file);
    }

    [Fact]
    public void An_older_package_arriving_after_a_newer_one_is_refused_and_rolls_nothing_back_whatever_its_cycle_id()
    {
        using var world = new EngineWorld(siteCount: 1);
        foreach (var node in world.All) Seed(node);
        world.InitializeAll();
        world.Night(cycle: "20261101T020000Z");
        var site = world.Sites[0];
        var key = site.KeyLow + 2;

        // Two packages from the same acknowledgement (the first never got its ack): the older one carries a LATER
        // cycle id (the clock was ahead when it was made), the newer one a newer image of the same row.
        site.Sql("UPDATE MEMBER SET BALANCE = 1 WHERE ID = ?", key);
        var olderCycle = CycleId.Parse("20261110T020000Z");
        var older = site.Extract(world.Folder, olderCycle, out var olderExtract);
        site.Sql("UPDATE MEMBER SET BALANCE = 2 WHERE ID = ?", key);
        var newerCycle = CycleId.Parse("20261102T020000Z");
        var newer = site.Extract(world.Folder, newerCycle, out var newerExtract);
        Assert.True(newerExtract.Covered.IsAfter(olderExtract.Covered));

        Assert.False(world.Siege.Consolidate(newer, newerExtract, newerCycle).AlreadyConsolidated);
        Assert.Equal(2m, Balance(world.Siege, key));
        Assert.True(world.Siege.Consolidate(older, olderExtract, olderCycle).AlreadyConsolidated);
        Assert.Equal(2m, Balance(world.Siege, key));   // never rolled back to 1
        Assert.True(world.Siege.Consolidate(newer, newerExtract, newerCycle).AlreadyConsolidated);

        site.ApplyFrom(world.Siege, world.Folder, newerCycle);
        TableContent.AssertConverged(world, "after the packages in the wrong order");
        File.Delete(older);
        File.Delete(newer);
    }

    [Fact]
    public void At_a_site_an_older_siege_package_after_a_newer_one_is_refused_whatever_its_cycle_id()
    {
        using var world = new EngineWorld(siteCount: 1);
        foreach (var node in world.All) Seed(node);
        world.InitializeAll();
        world.Night(cycle: "20261101T020000Z");
        var site = world.Sites[0];
        var key = world.Siege.KeyLow + 1;
        world.Siege.Sql("UPDATE MEMBER SET BALANCE = 1 WHERE ID = ?", key);
        var olderCycle = CycleId.Parse("20261110T020000Z");   // the Siège's clock was ahead then
        var older = site.PublishFrom(world.Siege, world.Folder, olderCycle, out var olderPackage);
        world.Siege.Sql("UPDATE MEMBER SET BALANCE = 2 WHERE ID = ?", key);
        var newerCycle = CycleId.Parse("20261102T020000Z");
        var newer = site.PublishFrom(world.Siege, world.Folder, newerCycle, out var newerPackage);

        Assert.False(site.Apply(newer, newerPackage, newerCycle).AlreadyApplied);
        Assert.True(site.Apply(older, olderPackage, olderCycle).AlreadyApplied);
        Assert.Equal(2m, Balance(site, key));
        TableContent.AssertConverged(world, "after the Siège's packages in the wrong order");
    }

    [Fact]
    public void Two_extracts_with_nothing_changed_in_between_cover_different_ranges()
    {
        using var world = new EngineWorld(siteCount: 1);
        foreach (var node in world.All) Seed(node);
        world.InitializeAll();
        var site = world.Sites[0];
        var cycle = world.NextCycle();
        var first = site.Extract(world.Folder, cycle, out var a);
        var second = site.Extract(world.Folder, cycle, out var b);
        Assert.True(b.Covered.IsAfter(a.Covered), $"{b.Covered} is not after {a.Covered}");
        Assert.False(a.Covered.IsAfter(a.Covered));
        File.Delete(first);
        File.Delete(second);
    }
}
