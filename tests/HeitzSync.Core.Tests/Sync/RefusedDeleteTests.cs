using HeitzSync.Core.Sync;
using HeitzSync.Testing.Customer;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>DESIGN.md §6: a delete the Siège refuses leaves the row and its children as if it had never come, and never
/// beats a real, later edit (issue 12, defect 1).</summary>
[Trait("Category", "EndToEnd")]
public class RefusedDeleteTests
{
    private static long Count(EngineNode node, string sql, params object?[] args) => Convert.ToInt64(node.Scalar(sql, args));

    [Fact]
    public void A_refused_delete_leaves_the_row_and_its_cascaded_children_everywhere_and_a_later_real_edit_wins()
    {
        using var world = EngineWorld.Customer(siteCount: 3);
        world.InitializeAll();
        var (adder, deleter, editor) = (world.Sites[0], world.Sites[1], world.Sites[2]);
        var member = (int)deleter.KeyLow + 10;
        deleter.Sql("INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, 0)", member, CustomerSchema.Win1252("Hélène Lefèvre"));
        deleter.Sql("INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND) VALUES (?, ?, ?)", member + 1, member, CustomerSchema.Win1252("Année complète"));
        deleter.Sql("INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND) VALUES (?, ?, ?)", member + 2, member, CustomerSchema.Win1252("Été"));
        world.Night();

        // The same night: an entry at one site (its FK has no cascade), the delete at another (its subscriptions go with it
        // by ON DELETE CASCADE there, so the package carries their deletes too), and a second later a real edit elsewhere.
        adder.Sql("INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, CURRENT_TIMESTAMP, 1)", (int)adder.KeyLow + 1, member);
        deleter.Sql("DELETE FROM MEMBER WHERE ID = ?", member);
        Assert.Equal(0L, Count(deleter, "SELECT COUNT(*) FROM SUBSCRIPTION WHERE MEMBER_ID = ?", member));
        editor.Sql("UPDATE MEMBER SET BALANCE = 42 WHERE ID = ?", member);
        var deletedAt = DateTime.Now.AddHours(-1);   // during the day, long before the night consolidates
        deleter.SetChangeTime("MEMBER", "ID", member, deletedAt);
        editor.SetChangeTime("MEMBER", "ID", member, deletedAt.AddSeconds(1));
        world.Night();

        foreach (var node in world.All)
        {
            Assert.Equal(42m, node.Scalar("SELECT BALANCE FROM MEMBER WHERE ID = ?", member));
            Assert.Equal(2L, Count(node, "SELECT COUNT(*) FROM SUBSCRIPTION WHERE MEMBER_ID = ?", member));
            Assert.Equal(1L, Count(node, "SELECT COUNT(*) FROM ENTRY WHERE MEMBER_ID = ?", member));
        }
        Assert.Contains(world.Conflicts, c => c.Table == "MEMBER" && c.Key == member.ToString() && c.Resolution == ConflictResolution.DeleteRefused && c.LoserSite == deleter.Code);
        Assert.DoesNotContain(world.Conflicts, c => c.LoserSite == editor.Code);
        TableContent.AssertConverged(world, "after the refused delete", CustomerSchema.SynchronisedTables);
    }

    [Fact]
    public void A_site_keeps_a_member_the_siege_deleted_while_its_own_unsent_entry_refers_to_him_and_both_go_the_night_after()
    {
        using var world = EngineWorld.Customer(siteCount: 2);
        world.InitializeAll();
        var (holder, other) = (world.Sites[0], world.Sites[1]);
        var member = (int)world.Siege.KeyLow + 10;
        world.Siege.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", member, CustomerSchema.Win1252("Gérard Dépardieu"));
        world.Siege.Sql("INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND) VALUES (?, ?, 'Mois')", member + 1, member);
        world.Night();
        world.Night();

        holder.Sql("INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, CURRENT_TIMESTAMP, 2)", (int)holder.KeyLow + 1, member);   // not sent yet
        world.Siege.Sql("DELETE FROM MEMBER WHERE ID = ?", member);
        world.Night(sending: new[] { other }, receiving: new[] { other });
        var applied = holder.ApplyFrom(world.Siege, world.Folder, world.NextCycle());

        Assert.Equal(1L, Count(holder, "SELECT COUNT(*) FROM MEMBER WHERE ID = ?", member));        // kept for its entry
        Assert.Equal(1L, Count(holder, "SELECT COUNT(*) FROM SUBSCRIPTION WHERE MEMBER_ID = ?", member));   // and the cascade with it
        Assert.Contains(applied.Unapplied, u => u.StartsWith("MEMBER (" + member + ")", StringComparison.Ordinal));

        world.Night();   // the entry goes up, is removed as an orphan, and the member's delete comes again
        foreach (var node in world.All)
        {
            Assert.Equal(0L, Count(node, "SELECT COUNT(*) FROM MEMBER WHERE ID = ?", member));
            Assert.Equal(0L, Count(node, "SELECT COUNT(*) FROM ENTRY WHERE MEMBER_ID = ?", member));
        }
        Assert.Contains(world.Conflicts, c => c.Table == "ENTRY" && c.Resolution == ConflictResolution.OrphanRemoved && c.LoserSite == holder.Code);
        TableContent.AssertConverged(world, "the night after", CustomerSchema.SynchronisedTables);
    }
}
