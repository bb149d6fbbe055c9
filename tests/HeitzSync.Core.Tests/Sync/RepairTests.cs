using HeitzSync.Core.Compare;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "EndToEnd")]
public class RepairTests
{
    [Fact]
    public void A_drifted_site_is_found_by_compare_and_fixed_by_the_night_after_a_repair()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.Siege.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Année', 420)");
        world.Siege.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('MONTH', 'Mois', 45)");
        world.InitializeAll();
        world.Night();
        var site = world.Sites[1];
        // Someone "fixed" the site's database by hand with capture off: nothing will ever send it.
        using (var tx = site.Connection.BeginTransaction())
        {
            site.Connection.ExecuteScalar(tx, "SELECT RDB$SET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING', '1') FROM RDB$DATABASE");
            site.Connection.Execute(tx, "UPDATE PRICE SET AMOUNT = 1 WHERE CODE = 'YEAR'");
            site.Connection.Execute(tx, "DELETE FROM PRICE WHERE CODE = 'MONTH'");
            site.Connection.Execute(tx, "INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('GHOST', 'only here', 0)");
            tx.Commit();
        }
        world.Night();
        var drift = DatabaseComparer.Compare(world.Siege.Connection, site.Connection, new[] { "PRICE" }).Single();
        Assert.False(drift.Identical);
        Assert.Equal(3, drift.Differences.Count);

        var repair = DatabaseRepair.Requeue(world.Siege.Connection, site.Connection, TableContent.SynchronisedTables);
        Assert.Equal(3, repair.KeysRequeued);
        world.Night();
        TableContent.AssertConverged(world, "after the repair");
        Assert.Equal(420m, site.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM PRICE WHERE CODE = 'GHOST'")));
    }
}
