using HeitzSync.Core.Capture;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// Business triggers are safe by default (DESIGN.md §3): init adds the guard on HZ$APPLYING to the business triggers of
/// synchronised tables (except those listed to run during applies), lists each with what it does during an apply, and
/// capture removal takes the guard out again; users working during an apply still run every trigger exactly once.
/// </summary>
[Trait("Category", "EndToEnd")]
public class TriggerGuardTests
{
    private static string Source(FbConnection connection, string trigger)
    {
        using var utf8 = FbConnection.Open(connection.Settings with { Charset = "UTF8" });
        using var tx = utf8.BeginTransaction();
        return Convert.ToString(utf8.ExecuteScalar(tx, "SELECT RDB$TRIGGER_SOURCE FROM RDB$TRIGGERS WHERE RDB$TRIGGER_NAME = ?", trigger))!;
    }

    [Fact]
    public void Init_guards_and_lists_the_business_triggers_idempotently_and_capture_removal_restores_their_source()
    {
        using var world = EngineWorld.Customer(siteCount: 0);
        var node = world.Siege;
        node.Sql("CREATE TRIGGER TILL_LOG_BI FOR TILL_LOG ACTIVE BEFORE INSERT AS BEGIN NEW.AT_TIME = COALESCE(NEW.AT_TIME, CURRENT_TIMESTAMP); END");
        node.Sql("CREATE TRIGGER ON_CONNECT_NOTE ACTIVE ON CONNECT AS BEGIN END");
        node.Sql("CREATE TRIGGER ENTRY_BI FOR ENTRY ACTIVE BEFORE INSERT AS BEGIN IF (rdb$get_context('USER_TRANSACTION', 'HZ$APPLYING') IS NOT NULL) THEN EXIT; NEW.GATE = COALESCE(NEW.GATE, 1); END");
        var names = CustomerSchema.BusinessTriggers.Append("ENTRY_BI").Append("TILL_LOG_BI").Append("ON_CONNECT_NOTE").ToList();
        var before = names.ToDictionary(n => n, n => Source(node.Connection, n));

        var installed = node.Initialize(world.IsSynchronised, EngineWorld.CustomerRules);

        Assert.Equal(CustomerSchema.BusinessTriggers.Append("ENTRY_BI").OrderBy(n => n), installed.Triggers.Select(t => t.Name).OrderBy(n => n));
        Assert.Equal(TriggerDuringApply.Runs, installed.Triggers.Single(t => t.Name == CustomerSchema.LineCountTrigger).DuringApply);
        Assert.All(installed.Triggers.Where(t => t.Name != CustomerSchema.LineCountTrigger), t => Assert.Equal(TriggerDuringApply.Skipped, t.DuringApply));
        Assert.Equal("MEMBER", installed.Triggers.Single(t => t.Name == CustomerSchema.StampTrigger).Table);
        foreach (var name in new[] { CustomerSchema.StampTrigger, CustomerSchema.StockTrigger, CustomerSchema.TillLogTrigger, "ARTICLE_BIU" })
        {
            Assert.NotEqual(before[name], Source(node.Connection, name));
            Assert.Contains("HZ$APPLYING", Source(node.Connection, name));
        }
        foreach (var untouched in new[] { CustomerSchema.LineCountTrigger, "ENTRY_BI", "TILL_LOG_BI", "ON_CONNECT_NOTE" })
        {
            Assert.Equal(before[untouched], Source(node.Connection, untouched));
        }
        Assert.Contains("n°", Source(node.Connection, CustomerSchema.TillLogTrigger));

        var guarded = names.ToDictionary(n => n, n => Source(node.Connection, n));
        var again = node.Initialize(world.IsSynchronised, EngineWorld.CustomerRules);
        Assert.Equal(installed.Triggers, again.Triggers);
        Assert.All(names, n => Assert.Equal(guarded[n], Source(node.Connection, n)));

        // Listed to run during applies: the guard comes out again.
        node.Initialize(world.IsSynchronised, o => EngineWorld.CustomerRules(o) with { TriggersRunDuringApply = new[] { CustomerSchema.LineCountTrigger, CustomerSchema.StampTrigger } });
        Assert.Equal(before[CustomerSchema.StampTrigger], Source(node.Connection, CustomerSchema.StampTrigger));

        new CaptureInstaller(node.Connection).Remove();
        Assert.All(names, n => Assert.Equal(before[n], Source(node.Connection, n)));
    }

    [Fact]
    public async Task A_till_selling_through_the_server_while_its_package_is_applied_stamps_its_rows_and_takes_stock_out_once()
    {
        using var server = new FirebirdServer();
        using var world = EngineWorld.Customer(siteCount: 1, code => server.Settings(code + ".fdb"));
        CustomerSchema.AddArticles(world.Siege.Connection, 1, 2, stock: 100);
        world.InitializeAll();
        world.Night();
        world.Night();   // the Siège knows what the site applied: tonight's package holds only what follows
        var site = world.Sites[0];
        CustomerSchema.Sell(world.Siege.Connection, (int)world.Siege.KeyLow + 1, null, (1, 5));   // the site's package takes 5 off article 1
        world.Siege.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", (int)world.Siege.KeyLow + 1, CustomerSchema.Win1252("Zoé Siège"));

        // A user at the site's till, on its own attachment through the server, while the apply's transaction is open:
        // one sale of an article the apply does not hold, completed at once, and one of the article it holds, which
        // waits for the apply's commit and then goes through.
        using var till = FbConnection.Open(site.Connection.Settings);
        var neverForEver = new FbTransactionOptions { LockTimeoutSeconds = 30 };   // a lock the apply holds fails the test, never hangs it
        Task? contended = null;
        var firstDone = false;
        FaultPoints.Observer = point =>
        {
            if (point != "apply.inside-tx" || firstDone) return;
            firstDone = true;
            till.ExecuteInNewTransaction("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", (int)site.KeyLow + 1, CustomerSchema.Win1252("Léa au comptoir"));
            CustomerSchema.Sell(till, neverForEver, (int)site.KeyLow + 1, (int)site.KeyLow + 1, (2, 3));
            contended = Task.Run(() => CustomerSchema.Sell(till, neverForEver, (int)site.KeyLow + 2, null, (1, 2)));
        };
        try
        {
            site.ApplyFrom(world.Siege, world.Folder, world.NextCycle());
        }
        finally
        {
            FaultPoints.Observer = null;
        }
        Assert.True(firstDone, "the till sold while the apply's transaction was open");
        await contended!.WaitAsync(TimeSpan.FromSeconds(60));   // the sale that waited for the apply's lock went through

        Assert.NotNull(site.Scalar("SELECT DATE_MODIF FROM MEMBER WHERE ID = ?", (int)site.KeyLow + 1));   // stamped by its trigger
        Assert.Equal(100 - 5 - 2, Convert.ToInt32(site.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 1")));
        Assert.Equal(100 - 3, Convert.ToInt32(site.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 2")));
        Assert.Equal(2L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM TILL_LOG")));   // the till's two sales, not the Siège's

        world.Night();
        Assert.All(world.All, node => Assert.Equal(93, Convert.ToInt32(node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 1"))));
        Assert.All(world.All, node => Assert.Equal(97, Convert.ToInt32(node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 2"))));
        TableContent.AssertConverged(world, "after the till's sales", CustomerSchema.SynchronisedTables);
    }

    /// <summary>
    /// The Siège's till sells an article while the consolidation handles a site's change of it that loses (the Siège's
    /// own sale is later): the consolidation keeps the master's row, publishes it again (its version row) and adds the
    /// site's stock movement (the business row). A user's sale takes the business row first and the version row after
    /// (its capture trigger): the consolidation must take them in that order too, or the two wait on each other and
    /// Firebird kills one (seen in the customer's week: the sale failed with "deadlock"). Each side is held at the right
    /// instant by a lock the test takes on the consolidation's next row (the site's running total).
    /// </summary>
    [Fact]
    public async Task A_till_selling_the_article_whose_losing_change_the_siege_consolidates_does_not_deadlock_with_it()
    {
        using var server = new FirebirdServer();
        using var world = EngineWorld.Customer(siteCount: 1, code => server.Settings(code + ".fdb"));
        var (siege, site) = (world.Siege, world.Sites[0]);
        CustomerSchema.AddArticles(siege.Connection, 1, 2, stock: 100);
        world.InitializeAll();
        world.Night();
        CustomerSchema.Sell(site.Connection, (int)site.KeyLow + 1, null, (1, 1));   // the Siège keeps a running total of the site's for article 1
        world.Night();
        CustomerSchema.Sell(site.Connection, (int)site.KeyLow + 2, null, (1, 2));
        CustomerSchema.Sell(siege.Connection, (int)siege.KeyLow + 1, null, (1, 4));
        siege.SetChangeTime("ARTICLE", "ID", 1, DateTime.Now.AddMinutes(1));   // the Siège's edit of the row is the later one
        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extracted);

        var totals = "HZ$A_" + Convert.ToInt32(siege.Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = 'ARTICLE'"));
        using var holder = FbConnection.Open(siege.Connection.Settings);
        using var monitor = FbConnection.Open(siege.Connection.Settings);
        using var till = FbConnection.Open(siege.Connection.Settings);
        var held = holder.BeginTransaction();
        Assert.Equal(1, holder.Execute(held, $"UPDATE {totals} SET STOCK = STOCK WHERE ID = 1 AND HZ$ORIGIN = ?", site.Code));

        bool Waiting(string sqlStart)
        {
            using var tx = monitor.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            return Convert.ToInt64(monitor.ExecuteScalar(tx, "SELECT COUNT(*) FROM MON$STATEMENTS WHERE MON$STATE = 1 AND MON$ATTACHMENT_ID <> CURRENT_CONNECTION AND MON$SQL_TEXT STARTING WITH ?", sqlStart)) > 0;
        }
        async Task Until(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!condition())
            {
                Assert.True(DateTime.UtcNow < deadline, "waited 60 s for " + what);
                await Task.Delay(100);
            }
        }

        var consolidation = Task.Run(() => siege.Consolidate(file, extracted, cycle));
        Exception? refused = null;
        try
        {
            await Until(() => Waiting("EXECUTE BLOCK") || consolidation.IsCompleted, "the consolidation to wait for the site's running total");
            Assert.False(consolidation.IsCompleted, "the consolidation did not wait for the row the test holds");
            // The till does not wait (NO WAIT): a row the consolidation holds would fail the sale at once instead of stalling
            // it until one side's lock timeout (30 s) made the consolidation start the package over.
            CustomerSchema.Sell(till, new FbTransactionOptions { Wait = false }, (int)siege.KeyLow + 2, null, (1, 3));
        }
        catch (FbException ex)
        {
            refused = ex;
        }
        finally
        {
            held.Rollback();
        }
        var result = await consolidation.WaitAsync(TimeSpan.FromSeconds(90));   // the consolidation's own connection is in use until then
        Assert.Null(refused);
        Assert.Contains(result.Conflicts, c => c.Table == "ARTICLE" && c.Resolution == ConflictResolution.MasterKept);
        site.ApplyFrom(siege, world.Folder, cycle);
        Assert.All(world.All, node => Assert.Equal(100 - 1 - 2 - 4 - 3, Convert.ToInt32(node.Scalar("SELECT STOCK FROM ARTICLE WHERE ID = 1"))));
    }

    /// <summary>
    /// The same order when the losing change moves no stock (the site changed the price): the master's row is published
    /// again (its version row) with no business row written. Later in the same package a sale line's trigger that runs
    /// during applies (the local line count) updates that very article: had the consolidation taken the version row
    /// alone, a till holding the article's row and waiting for its version row would deadlock with it (seen in the
    /// customer's week). The consolidation takes the business row with the version row: at every instant it holds both
    /// or neither. Held at the instant in between by a sale key the test holds.
    /// </summary>
    [Fact]
    public async Task The_consolidation_never_holds_a_rows_version_without_the_row_itself()
    {
        using var server = new FirebirdServer();
        using var world = EngineWorld.Customer(siteCount: 1, code => server.Settings(code + ".fdb"));
        var (siege, site) = (world.Siege, world.Sites[0]);
        CustomerSchema.AddArticles(siege.Connection, 1, 2, stock: 100);
        world.InitializeAll();
        world.Night();
        site.Sql("UPDATE ARTICLE SET PRICE = 12.00 WHERE ID = 1");
        var heldSale = (int)site.KeyLow + 1;
        CustomerSchema.Sell(site.Connection, heldSale, null, (2, 1));
        siege.Sql("UPDATE ARTICLE SET PRICE = 13.00 WHERE ID = 1");
        siege.SetChangeTime("ARTICLE", "ID", 1, DateTime.Now.AddMinutes(1));   // the Siège's price is the later one
        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extracted);

        var versions = "HZ$V_" + Convert.ToInt32(siege.Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = 'ARTICLE'"));
        using var holder = FbConnection.Open(siege.Connection.Settings);
        using var probe = FbConnection.Open(siege.Connection.Settings);
        var held = holder.BeginTransaction();
        holder.Execute(held, "INSERT INTO SALE (ID) VALUES (?)", heldSale);   // the consolidation's insert of that sale waits for it

        bool Locked(string table)
        {
            using var tx = probe.BeginTransaction(new FbTransactionOptions { Wait = false });
            try
            {
                probe.ExecuteScalar(tx, $"SELECT 1 FROM {table} WHERE ID = 1 WITH LOCK");
                return false;
            }
            catch (FbException ex) when (Consolidator.IsLockConflict(ex))
            {
                return true;
            }
            finally
            {
                tx.Rollback();
            }
        }
        bool WaitingForTheSale()
        {
            using var tx = probe.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            return Convert.ToInt64(probe.ExecuteScalar(tx, "SELECT COUNT(*) FROM MON$STATEMENTS WHERE MON$STATE = 1 AND MON$ATTACHMENT_ID <> CURRENT_CONNECTION AND MON$SQL_TEXT CONTAINING 'INTO \"SALE\" '")) > 0;
        }

        var consolidation = Task.Run(() => siege.Consolidate(file, extracted, cycle));
        bool versionHeld, rowHeld;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!WaitingForTheSale() && !consolidation.IsCompleted)
            {
                Assert.True(DateTime.UtcNow < deadline, "waited 60 s for the consolidation to reach the held sale");
                await Task.Delay(100);
            }
            Assert.False(consolidation.IsCompleted, "the consolidation did not wait for the sale the test holds");
            versionHeld = Locked(versions);
            rowHeld = Locked("ARTICLE");
        }
        finally
        {
            held.Rollback();
        }
        var result = await consolidation.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(versionHeld, "the master's version of article 1 is published again (its version row written)");
        Assert.True(rowHeld, "the consolidation holds article 1's version row but not the row: a till would take the row and deadlock with it");
        Assert.Contains(result.Conflicts, c => c.Table == "ARTICLE" && c.Resolution == ConflictResolution.MasterKept);
    }
}
