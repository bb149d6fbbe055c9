using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "EndToEnd")]
public class ConcurrentChangeTests
{
    [Fact]
    public void A_change_committed_after_the_extract_but_numbered_before_it_still_arrives_next_night()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        world.Night();
        var site = world.Sites[0];

        // A user's transaction takes a change sequence, then stays open while the night extracts.
        using var user = FbConnection.Open(site.Connection.Settings);
        var userTx = user.BeginTransaction();
        user.Execute(userTx, "INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", site.KeyLow + 900, new FbRawText("Straggler"u8.ToArray()));
        site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", site.KeyLow + 901, new FbRawText("Committed"u8.ToArray()));   // a later sequence, committed now

        world.Night();   // its snapshot sees 901 only, and covers the sequence the straggler holds
        Assert.Equal(1L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", site.KeyLow + 901)));
        Assert.Equal(0L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", site.KeyLow + 900)));

        userTx.Commit();
        userTx.Dispose();
        world.Night();   // the transaction guard resends it although its sequence is below the acknowledged one
        Assert.Equal(1L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", site.KeyLow + 900)));
        TableContent.AssertConverged(world, "after the straggler's night");

        world.Night();   // and once acknowledged it is not sent again
        var extract = site.Extract(world.Folder, world.NextCycle(), out var result);
        Assert.Equal(0, result.Rows);
    }

    [Fact]
    public void Users_keep_working_during_the_extract_and_their_changes_go_next_time()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        world.Night();
        var site = world.Sites[0];
        using var snapshotHolder = FbConnection.Open(site.Connection.Settings);
        // Writes while a long read-only snapshot is open (as the extract's is) are not blocked.
        using (var longRead = snapshotHolder.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true }))
        {
            snapshotHolder.ExecuteScalar(longRead, "SELECT COUNT(*) FROM MEMBER");
            for (var i = 0; i < 20; i++) site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'during')", site.KeyLow + 2000 + i);
        }
        world.Night();
        TableContent.AssertConverged(world, "after changes made during a run");
        Assert.Equal(20L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER WHERE NAME = 'during'")));
    }
}
