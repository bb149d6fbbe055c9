using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "EndToEnd")]
public class BusinessTriggerTests
{
    [Fact]
    public void Named_business_triggers_do_not_fire_for_replicated_rows_and_are_back_on_afterwards()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        world.Night();   // the site registers with its first package
        var site = world.Sites[0];
        // A side effect the site's software has: every change of a member stamps a date.
        site.Sql("CREATE TRIGGER STAMP_MEMBER FOR MEMBER ACTIVE BEFORE INSERT OR UPDATE POSITION 5 AS BEGIN NEW.BORN = DATE '2000-01-01'; END");
        world.Siege.Sql("INSERT INTO MEMBER (ID, NAME, BORN) VALUES (1000001, 'from the Siège', DATE '1975-05-05')");
        var cycle = world.NextCycle();

        using (BusinessTriggerSwitch.Off(site.Connection, new[] { "STAMP_MEMBER" }))
        {
            site.ApplyFrom(world.Siege, world.Folder, cycle);
        }
        Assert.Equal(new DateTime(1975, 5, 5), site.Scalar("SELECT BORN FROM MEMBER WHERE ID = 1000001"));
        site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (2000500, 'typed at the site')");
        Assert.Equal(new DateTime(2000, 1, 1), site.Scalar("SELECT BORN FROM MEMBER WHERE ID = 2000500"));   // on again for users
    }

    [Fact]
    public void A_run_that_died_with_triggers_off_has_them_switched_back_on_at_the_next_start()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        var site = world.Sites[0];
        site.Sql("CREATE TRIGGER STAMP_MEMBER FOR MEMBER ACTIVE BEFORE INSERT POSITION 5 AS BEGIN NEW.BORN = DATE '2000-01-01'; END");
        _ = BusinessTriggerSwitch.Off(site.Connection, new[] { "STAMP_MEMBER" });   // never disposed: the process "died"
        Assert.Equal(1, Convert.ToInt32(site.Scalar("SELECT RDB$TRIGGER_INACTIVE FROM RDB$TRIGGERS WHERE RDB$TRIGGER_NAME = 'STAMP_MEMBER'")));
        var recovered = BusinessTriggerSwitch.Recover(site.Connection);
        Assert.Equal(new[] { "STAMP_MEMBER" }, recovered);
        Assert.Equal(0, Convert.ToInt32(site.Scalar("SELECT RDB$TRIGGER_INACTIVE FROM RDB$TRIGGERS WHERE RDB$TRIGGER_NAME = 'STAMP_MEMBER'")));
    }
}
