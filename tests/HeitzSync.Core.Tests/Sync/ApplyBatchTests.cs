using System.Globalization;
using System.Security.Cryptography;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// Applies in batches (UpsertBatch, docs/sync-engine.md "Applying in batches", issue 16): several upserts per call,
/// decided engine-side when the policy's fast path allows, row by row otherwise. The batches must change nothing of what
/// an apply does: the same rows, version rows and conflicts as row by row, across batch boundaries, with a conflicting
/// row, a row a foreign key refuses and blobs inside a batch.
/// </summary>
[Trait("Category", "EndToEnd")]
public class ApplyBatchTests
{
    [Fact]
    public void Batches_and_row_by_row_leave_the_same_rows_version_rows_and_conflicts()
    {
        using var batched = EngineWorld.Customer(siteCount: 2);
        using var rowByRow = EngineWorld.Customer(siteCount: 2);
        foreach (var node in rowByRow.All) node.BatchRows = 1;

        for (var night = 1; night <= 3; night++)
        {
            Day(batched, night);
            Day(rowByRow, night);
            batched.Night();
            rowByRow.Night();
            foreach (var (a, b) in batched.All.Zip(rowByRow.All))
            {
                Assert.Equal(Rows(b), Rows(a));
                Assert.Equal(Versions(b), Versions(a));
            }
            Assert.Equal(rowByRow.Conflicts.Select(Describe).Order(StringComparer.Ordinal), batched.Conflicts.Select(Describe).Order(StringComparer.Ordinal));
        }
        // The scenario does meet every path: conflicts both ways, a refused delete with its cascaded child, an orphan.
        Assert.Contains(batched.Conflicts, c => c.Resolution == ConflictResolution.IncomingWon);
        Assert.Contains(batched.Conflicts, c => c.Resolution == ConflictResolution.MasterKept);
        Assert.Contains(batched.Conflicts, c => c.Resolution == ConflictResolution.DeleteRefused && c.Table == "SUBSCRIPTION");
        Assert.Contains(batched.Conflicts, c => c.Resolution == ConflictResolution.OrphanRemoved);
        TableContent.AssertConverged(batched, "after three nights in batches", CustomerSchema.SynchronisedTables);
    }

    [Fact]
    public void A_nights_later_packages_reuse_the_batch_statements_the_first_one_prepared()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        world.Night();   // the site registers
        var site = world.Sites[0];
        using var consolidator = new Consolidator(world.Siege.Connection, Array.Empty<string>());
        var prepared = new List<long>();
        for (var package = 0; package < 2; package++)
        {
            for (var i = 1; i <= 40; i++)
            {
                var id = site.KeyLow + package * 100 + i;
                site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", id, $"member {id}");
                site.Sql("INSERT INTO SALE (ID, MEMBER_ID, TOTAL) VALUES (?, ?, 10)", id, id);
            }
            var cycle = world.NextCycle();
            var file = site.Extract(world.Folder, cycle, out var extract);
            var before = world.Siege.Connection.StatementsPrepared;
            var result = consolidator.Consolidate(
                new SitePackageFacts(extract.Site, extract.SiteNumber, extract.KeyLow, extract.KeyHigh, cycle, extract.Covered, extract.Acknowledging),
                () => File.OpenRead(file), CancellationToken.None);
            prepared.Add(world.Siege.Connection.StatementsPrepared - before);
            Assert.Equal(80, result.RowsApplied);
            site.ApplyFrom(world.Siege, world.Folder, cycle);
        }
        // The second package prepares all the first did but the batch statements of MEMBER and SALE, taken again.
        Assert.Equal(prepared[0] - 2, prepared[1]);
        Assert.Equal(80L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM SALE")));
        TableContent.AssertConverged(world, "after two packages through one consolidator");
    }

    [Fact]
    public void Rows_arrive_whole_across_batch_boundaries_in_one_call_per_batch()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        world.Night();   // every site registers
        var (sender, receiver) = (world.Sites[0], world.Sites[1]);
        var next = (int)sender.KeyLow;
        // The first package (one row) tells how many rows a call takes at the Siège, which tries new keys first: fewer
        // than a site's calls take (more table references per row), and fewer still for a wide table (statement length).
        var counts = new List<int> { 1 };
        var siegeSlots = 0;
        for (var round = 0; round < counts.Count; round++)
        {
            var count = counts[round];
            using (var tx = sender.Connection.BeginTransaction())
            {
                for (var i = 0; i < count; i++)
                {
                    next++;
                    sender.Connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, ?)", next, CustomerSchema.Win1252($"Zoë Brontë n°{next}"), next % 1000 / 10m);
                }
                tx.Commit();
            }
            var cycle = world.NextCycle();
            var file = sender.Extract(world.Folder, cycle, out var extract);
            var acknowledgement = receiver.Extract(world.Folder, cycle, out var nothing);   // what it applied last night
            var consolidated = world.Siege.Consolidate(file, extract, cycle);
            var empty = world.Siege.Consolidate(acknowledgement, nothing, cycle);
            var applied = receiver.ApplyFrom(world.Siege, world.Folder, cycle);
            var echo = sender.ApplyFrom(world.Siege, world.Folder, cycle);   // its own rows do not come back: nothing to apply

            Assert.Equal(count, consolidated.RowsApplied);
            Assert.Equal(count, applied.RowsApplied);
            Assert.Equal(0, echo.RowsApplied);
            TableContent.AssertConverged(world, $"after {count} members");
            if (round == 0)
            {
                siegeSlots = consolidated.BatchSlots["MEMBER"];
                Assert.InRange(siegeSlots, 2, UpsertBatch.MaxSlotsInsertingFirst);
                counts.AddRange(new[] { siegeSlots - 1, siegeSlots, siegeSlots + 1, UpsertBatch.MaxSlots - 1, UpsertBatch.MaxSlots, UpsertBatch.MaxSlots + 1, 2 * UpsertBatch.MaxSlots + 1 }.Distinct());
            }
            // Row by row, each row takes three statements (version read, upsert, version write); in batches, one call per
            // batch on top of what an empty package takes. Every new key went in as such at the Siège.
            Assert.Equal(count, consolidated.RowsInsertedFirst);
            Assert.Equal((count + siegeSlots - 1) / siegeSlots, consolidated.Statements - empty.Statements);
            Assert.Equal((count + UpsertBatch.MaxSlots - 1) / UpsertBatch.MaxSlots, applied.Statements - echo.Statements);
        }
    }

    [Fact]
    public void A_conflicting_row_inside_a_batch_goes_to_the_policy_while_the_rest_of_its_batch_applies()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        var (first, second) = (world.Sites[0], world.Sites[1]);
        var ids = Enumerable.Range(1, 20).Select(i => (int)first.KeyLow + i).ToList();
        foreach (var id in ids) first.Sql("INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, 0)", id, CustomerSchema.Win1252("Hélène"));
        world.Night();

        // Both sites edit member 10 the same day, the second one later; the first site edits all twenty.
        var contested = ids[9];
        var day = new DateTime(2026, 11, 20, 10, 0, 0);
        foreach (var id in ids) first.Sql("UPDATE MEMBER SET BALANCE = 1 WHERE ID = ?", id);
        second.Sql("UPDATE MEMBER SET BALANCE = 2 WHERE ID = ?", contested);
        foreach (var id in ids) first.SetChangeTime("MEMBER", "ID", id, day);
        second.SetChangeTime("MEMBER", "ID", contested, day.AddMinutes(1));
        world.Night(sending: new[] { second });
        world.Night();

        var conflict = Assert.Single(world.Conflicts);
        Assert.Equal((ConflictResolution.MasterKept, second.Code, first.Code, contested.ToString(CultureInfo.InvariantCulture)),
            (conflict.Resolution, conflict.WinnerSite, conflict.LoserSite, conflict.Key));
        foreach (var node in world.All)
        {
            Assert.Equal(2m, node.Scalar("SELECT BALANCE FROM MEMBER WHERE ID = ?", contested));
            Assert.Equal(19L, Convert.ToInt64(node.Scalar("SELECT COUNT(*) FROM MEMBER WHERE BALANCE = 1")));
        }
        TableContent.AssertConverged(world, "after the conflict inside a batch");
    }

    [Fact]
    public void A_row_a_foreign_key_refuses_inside_a_batch_waits_for_its_parent_later_in_the_same_batch()
    {
        using var world = new EngineWorld(siteCount: 1);
        world.InitializeAll();
        var site = world.Sites[0];
        var (sponsored, sponsor) = ((int)site.KeyLow + 1, (int)site.KeyLow + 2);
        site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'sponsored')", sponsored);
        site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'sponsor')", sponsor);
        // The first member's version row comes first in the package, but now refers to the second one.
        site.Sql("UPDATE MEMBER SET SPONSOR_ID = ? WHERE ID = ?", sponsor, sponsored);
        site.Sql("INSERT INTO SALE (ID, MEMBER_ID, TOTAL) VALUES (?, ?, 12.5)", (int)site.KeyLow + 3, sponsored);

        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extract);
        var result = world.Siege.Consolidate(file, extract, cycle);

        Assert.Empty(result.Conflicts);
        Assert.Equal(3, result.RowsApplied);
        Assert.Equal((long)sponsor, Convert.ToInt64(world.Siege.Scalar("SELECT SPONSOR_ID FROM MEMBER WHERE ID = ?", sponsored)));
        var members = FbSql.QuoteIdentifier("HZ$V_" + world.Siege.Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = 'MEMBER'"));
        Assert.Equal(site.Code, world.Siege.Scalar($"SELECT ORIGIN FROM {members} WHERE ID = ?", sponsored)?.ToString()?.Trim());
        site.ApplyFrom(world.Siege, world.Folder, cycle);
        TableContent.AssertConverged(world, "after the forward reference");
    }

    [Fact]
    public void Blobs_in_batches_arrive_byte_for_byte_beyond_the_memory_budget_and_the_in_memory_limit()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        var site = world.Sites[0];
        var random = new Random(16);
        var photos = new List<byte[]>();
        using (var tx = site.Connection.BeginTransaction())
        {
            for (var i = 1; i <= 34; i++)
            {
                // 33 photos of 300 KB (more than the batch's 8 MB blob budget together) and one of 5 MB (beyond the 4 MB a
                // change stream keeps in memory: it waits in a temporary file); notes in WIN1252.
                var photo = new byte[i == 17 ? 5 * 1024 * 1024 : 300 * 1024];
                random.NextBytes(photo);
                photos.Add(photo);
                site.Connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, PHOTO, NOTES) VALUES (?, ?, ?, ?)",
                    (int)site.KeyLow + i, CustomerSchema.Win1252($"Anaïs n°{i}"), photo, i % 3 == 0 ? CustomerSchema.Win1252($"Allergie aux arachides — casier n°{i}") : null);
            }
            tx.Commit();
        }
        world.Night();

        TableContent.AssertConverged(world, "after the photos");
        var received = (byte[])world.Sites[1].Scalar("SELECT PHOTO FROM MEMBER WHERE ID = ?", (int)site.KeyLow + 17)!;
        Assert.Equal(SHA256.HashData(photos[16]), SHA256.HashData(received));
    }

    [Fact]
    public void Every_kind_of_apply_prepares_a_batch_statement_for_every_table()
    {
        // A batch statement the engine refuses leaves its table row by row: nothing wrong shows but the rate. Each kind
        // of apply binds only the fields its SQL reads, so each must still prepare, for every table of the schema (wide,
        // blobs, additive columns, a two-column key, a quoted name).
        using var world = EngineWorld.Customer(siteCount: 1);
        world.InitializeAll();
        var (siege, site) = (world.Siege.Connection, world.Sites[0].Connection);
        var kinds = new (string Name, FbConnection Database, bool MasterVersions, Func<SyncSchema, FastPath> FastPath)[]
        {
            ("the Siège", siege, true, _ => new FastPath(FastPathTest.NoConcurrentEdit, VersionStamp.FromSender) { Sender = "CLUB01" }),
            ("the Siège holding a site's load", siege, true, _ => new FastPath(FastPathTest.NoConcurrentEdit, VersionStamp.FromSender) { Sender = "CLUB01", HoldsLoads = true }),
            ("a site, its loads acknowledged", site, false, _ => new FastPath(FastPathTest.NothingPendingHere, VersionStamp.CarriedOriginMasterBase)),
            ("a site, its loads pending", site, false, schema => new FastPath(FastPathTest.NothingPendingHere, VersionStamp.CarriedOriginMasterBase)
                { LoadPendingTables = schema.Tables.Select(t => t.Id).ToHashSet() }),
            ("a full restore", site, false, _ => new FastPath(FastPathTest.Always, VersionStamp.CarriedOriginAndBase)),
        };
        var tables = 0;
        foreach (var kind in kinds)
        {
            using var tx = kind.Database.BeginTransaction();
            var schema = CaptureInstaller.ReadInstalledSchema(kind.Database, tx);
            foreach (var table in schema.Tables)
            {
                using var applier = new TableApplier(kind.Database, tx, table, kind.MasterVersions, "CLUB01");
                var batch = applier.Batch(kind.FastPath(schema), UpsertBatch.MaxSlots);
                Assert.True(batch is { Slots: >= 2 }, $"{kind.Name}: no batch statement for {table.Name} ({batch?.Slots ?? 0} rows per call).");
                tables++;
            }
        }
        Assert.Equal(kinds.Length * CustomerSchema.SynchronisedTables.Count, tables);
    }

    [Fact]
    public void Changes_tried_as_new_keys_leave_the_same_rows_version_rows_and_conflicts_whether_new_or_not()
    {
        using var batched = EngineWorld.Customer(siteCount: 2);
        using var rowByRow = EngineWorld.Customer(siteCount: 2);
        foreach (var node in rowByRow.All) node.BatchRows = 1;

        foreach (var world in new[] { batched, rowByRow }) NewKeysOrNot(world);

        foreach (var (a, b) in batched.All.Zip(rowByRow.All))
        {
            Assert.Equal(Rows(b), Rows(a));
            Assert.Equal(Versions(b), Versions(a));
        }
        Assert.Equal(rowByRow.Conflicts.Select(Describe).Order(StringComparer.Ordinal), batched.Conflicts.Select(Describe).Order(StringComparer.Ordinal));
        // The second site's later edits win: the entry it deleted stays deleted (the first site's update meets a deleted
        // key at the master, a key with a version row and no row), the entry it updated keeps its gate.
        var (first, second) = (batched.Sites[0], batched.Sites[1]);
        Assert.Contains(batched.Conflicts, c => c.Table == "ENTRY" && c.Key == Key(first.KeyLow + 201) && c.WinnerSite == second.Code);
        Assert.Contains(batched.Conflicts, c => c.Table == "ENTRY" && c.Key == Key(first.KeyLow + 202) && c.WinnerSite == second.Code);
        foreach (var node in batched.All)
        {
            Assert.Null(node.Scalar("SELECT ID FROM ENTRY WHERE ID = ?", (int)first.KeyLow + 201));
            Assert.Equal(9, Convert.ToInt32(node.Scalar("SELECT GATE FROM ENTRY WHERE ID = ?", (int)first.KeyLow + 202), CultureInfo.InvariantCulture));
        }
        // New keys went in as such; keys that existed were tried (the gate then let batches go the ordinary way) and
        // ended as row by row has them. Row by row never tries.
        Assert.Equal(120, batched.Consolidations[0].RowsInsertedFirst);
        Assert.Equal(0, batched.Consolidations[0].InsertFirstMisses);
        var night3 = batched.Consolidations[^2];   // the first site's updates of its 88 entries, then its 20 new ones
        Assert.Equal(batched.Sites[0].Code, night3.Site);
        Assert.InRange(night3.InsertFirstMisses, 1, 87);
        var night2 = batched.Consolidations[3];   // the first site's 60 updates with 30 new entries among them
        Assert.Equal(batched.Sites[0].Code, night2.Site);
        Assert.InRange(night2.RowsInsertedFirst, 1, 30);
        Assert.InRange(night2.InsertFirstMisses, 1, 60);
        Assert.Equal(40, batched.Consolidations[^1].RowsInsertedFirst);   // the second site's new entries
        Assert.All(rowByRow.Consolidations, c => Assert.Equal((0L, 0L), (c.RowsInsertedFirst, c.InsertFirstMisses)));
        TableContent.AssertConverged(batched, "after new and existing keys tried as new", CustomerSchema.SynchronisedTables);

        static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_trigger_that_objects_to_inserting_a_key_that_exists_lets_the_update_go_the_ordinary_way()
    {
        // The customer's own trigger, run during applies (tables.triggersRunDuringApply), refuses an INSERT of a key that
        // exists with its own exception, before the primary key would: a change tried as a new key must not fail on it.
        using var world = new EngineWorld(siteCount: 1, connection => RunScript(connection,
            "CREATE TABLE ITEM (ID INTEGER NOT NULL PRIMARY KEY, LABEL VARCHAR(20))",
            "CREATE EXCEPTION ITEM_EXISTS 'this item exists already'",
            "CREATE TRIGGER ITEM_BI FOR ITEM ACTIVE BEFORE INSERT POSITION 0 AS BEGIN IF (EXISTS (SELECT 1 FROM ITEM WHERE ID = NEW.ID)) THEN EXCEPTION ITEM_EXISTS; END"))
        {
            Configure = o => o with { TriggersRunDuringApply = new[] { "ITEM_BI" } },
        };
        world.InitializeAll();
        var site = world.Sites[0];
        var first = (int)site.KeyLow + 1;
        for (var id = first; id < first + 30; id++) site.Sql("INSERT INTO ITEM (ID, LABEL) VALUES (?, 'new')", id);
        world.Night();
        Assert.Equal(30, world.Consolidations[^1].RowsInsertedFirst);

        site.Sql("UPDATE ITEM SET LABEL = 'renamed'");
        world.Night();

        var updates = world.Consolidations[^1];
        Assert.Equal(30, updates.RowsApplied);
        Assert.True(updates.InsertFirstMisses > 0, "the updates were tried as new keys, and the trigger refused them");
        Assert.Equal(30L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM ITEM WHERE LABEL = 'renamed'")));
        TableContent.AssertConverged(world, "after the updates the trigger refused to insert", new[] { "ITEM" });
    }

    private static void RunScript(FbConnection connection, params string[] statements)
    {
        foreach (var statement in statements) connection.ExecuteInNewTransaction(statement);
    }

    [Fact]
    public void The_insert_first_gate_pauses_longer_while_batches_keep_missing_and_tries_every_batch_once_they_are_new_again()
    {
        var gate = new InsertFirstGate();
        var tried = new List<int>();
        for (var batch = 0; batch < 200; batch++)
        {
            if (!gate.TryNow()) continue;
            tried.Add(batch);
            gate.Ran(26, 26);
        }
        // Pauses of 1, 2, 4 … 64 batches, then 64 again.
        Assert.Equal(new[] { 0, 2, 5, 10, 19, 36, 69, 134, 199 }, tried);

        // One change in eight missing keeps trying; more pauses; a good batch after a pause tries every batch again.
        gate = new InsertFirstGate();
        gate.Ran(24, 3);
        Assert.True(gate.TryNow());
        gate.Ran(24, 4);
        Assert.False(gate.TryNow());
        Assert.True(gate.TryNow());
        gate.Ran(24, 0);
        Assert.True(gate.TryNow());
        gate.Ran(24, 24);
        Assert.False(gate.TryNow());   // the pause starts at one batch again
        Assert.True(gate.TryNow());
    }

    /// <summary>Three nights of the insert-first scenario: new keys; updates of existing keys with new keys among them, a
    /// key the other site deleted and one it updated later; then the first site updates every entry again.</summary>
    private static void NewKeysOrNot(EngineWorld world)
    {
        world.InitializeAll();
        var (a, b) = (world.Sites[0], world.Sites[1]);
        var m = (int)a.KeyLow;
        var before = Sequences(world);
        using (var tx = a.Connection.BeginTransaction())
        {
            for (var i = 1; i <= 60; i++)
            {
                a.Connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, ?)", m + i, CustomerSchema.Win1252($"Loïc n°{i}"), i / 4m);
                a.Connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 1)", m + 200 + i, m + i, new DateTime(2026, 2, 1, 8, i % 60, 0));
            }
            tx.Commit();
        }
        FixChangeTimes(world, before, 1);
        world.Night();   // the second site's first package, empty, registers it

        before = Sequences(world);
        using (var tx = a.Connection.BeginTransaction())
        {
            for (var i = 1; i <= 60; i++)
            {
                a.Connection.Execute(tx, "UPDATE ENTRY SET GATE = 2 WHERE ID = ?", m + 200 + i);
                if (i % 2 == 0) a.Connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 3)", m + 300 + i, m + i, new DateTime(2026, 2, 2, 8, i % 60, 0));
            }
            tx.Commit();
        }
        b.Sql("DELETE FROM ENTRY WHERE ID = ?", m + 201);
        b.Sql("UPDATE ENTRY SET GATE = 9 WHERE ID = ?", m + 202);
        FixChangeTimes(world, before, 2);
        world.Night(sending: new[] { b });   // the master has the delete before the first site's update of that entry
        world.Night();

        before = Sequences(world);
        using (var tx = a.Connection.BeginTransaction())
        {
            a.Connection.Execute(tx, "UPDATE ENTRY SET GATE = 4 WHERE ID BETWEEN ? AND ? AND ID <> ?", m + 200, m + 400, m + 202);
            for (var i = 1; i <= 20; i++) a.Connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 5)", m + 400 + i, m + i, new DateTime(2026, 2, 3, 8, i, 0));
            tx.Commit();
        }
        for (var i = 1; i <= 40; i++) b.Sql("INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 6)", (int)b.KeyLow + i, m + i, new DateTime(2026, 2, 4, 8, i, 0));
        FixChangeTimes(world, before, 3);
        world.Night();
    }

    /// <summary>One business day of the equivalence scenario (deterministic: explicit keys, times and change times).</summary>
    private static void Day(EngineWorld world, int night)
    {
        var (a, b) = (world.Sites[0], world.Sites[1]);
        var m = (int)a.KeyLow;   // the first site's members
        if (night == 1)
        {
            CustomerSchema.SeedArticles(world.Siege.Connection, 1, 40, stock: 100, price: 9.90m, new DateTime(2024, 1, 1));
            world.InitializeAll();
        }
        var before = Sequences(world);
        switch (night)
        {
            case 1:
                using (var tx = a.Connection.BeginTransaction())
                {
                    for (var i = 1; i <= 70; i++)
                    {
                        a.Connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, ?)", m + i, CustomerSchema.Win1252($"Hélène Lefèvre n°{i}"), i / 4m);
                        a.Connection.Execute(tx, "INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND, STARTS) VALUES (?, ?, ?, ?)", m + 100 + i, m + i, CustomerSchema.Win1252("Année"), new DateTime(2026, 1, i % 28 + 1));
                        if (i <= 20) a.Connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, ?)", m + 200 + i, m + i, new DateTime(2026, 2, 1, 8, i, 0), (short)(i % 3));
                    }
                    // Forward references: members whose sponsor comes later in the package.
                    for (var i = 1; i <= 10; i++) a.Connection.Execute(tx, "UPDATE MEMBER SET SPONSOR_ID = ? WHERE ID = ?", m + 60 + i, m + i);
                    tx.Commit();
                }
                break;
            case 2:
                Sell(a, (int)a.KeyLow + 500, m + 1, (1, 2), (2, 1), (3, 5));
                Sell(b, (int)b.KeyLow + 500, null, (1, 1), (4, 3));
                a.Sql("UPDATE MEMBER SET BALANCE = 11 WHERE ID = ?", m + 5);
                b.Sql("UPDATE MEMBER SET BALANCE = 22 WHERE ID = ?", m + 5);              // later: wins
                world.Siege.Sql("UPDATE ARTICLE SET PRICE = 12.50 WHERE ID = 3");        // later than the site's: stays
                a.Sql("UPDATE ARTICLE SET PRICE = 8.00 WHERE ID = 3");
                a.Sql("INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 1)", m + 300, m + 31, new DateTime(2026, 3, 1, 9, 0, 0));
                b.Sql("DELETE FROM MEMBER WHERE ID = ?", m + 31);                        // refused: the first site's entry
                a.Sql("DELETE FROM MEMBER WHERE ID = ?", m + 32);
                b.Sql("INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 2)", (int)b.KeyLow + 300, m + 32, new DateTime(2026, 3, 1, 9, 5, 0));   // an orphan
                b.Sql("DELETE FROM MEMBER WHERE ID = ?", m + 40);
                Sell(a, (int)a.KeyLow + 501, m + 2, (1, 1));
                Sell(b, (int)b.KeyLow + 501, m + 3, (1, 4), (2, 2));
                break;
            default:
                a.Sql("UPDATE MEMBER SET NAME = ? WHERE ID BETWEEN ? AND ?", CustomerSchema.Win1252("Zoë"), m + 41, m + 69);
                b.Sql("DELETE FROM SALE WHERE ID = ?", (int)a.KeyLow + 500);              // its lines go by cascade
                break;
        }
        FixChangeTimes(world, before, night);
    }

    private static Dictionary<string, long> Sequences(EngineWorld world) =>
        world.All.ToDictionary(n => n.Code, n => Convert.ToInt64(n.Scalar("SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE")));

    /// <summary>Every change of the day at each node gets a fixed time: the first site's before the second's, the Siège's last.</summary>
    private static void FixChangeTimes(EngineWorld world, Dictionary<string, long> before, int night)
    {
        foreach (var node in world.All)
        {
            var at = new DateTime(2026, 11, night, 10, 0, node.IsSiege ? 5 : node.Number);
            foreach (var table in VersionTables(node)) node.Sql($"UPDATE {table} SET CHANGED_AT = ? WHERE SEQ > ?", at, before[node.Code]);
        }
    }

    private static void Sell(EngineNode node, int sale, int? member, params (int Article, int Quantity)[] lines)
    {
        using var tx = node.Connection.BeginTransaction();
        node.Connection.Execute(tx, "INSERT INTO SALE (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, ?, ?)", sale, member, new DateTime(2026, 4, 1, 12, 0, 0), 9.90m * lines.Sum(l => l.Quantity));
        for (var i = 0; i < lines.Length; i++)
        {
            node.Connection.Execute(tx, "INSERT INTO SALE_LINE (SALE_ID, LINE_NO, ARTICLE_ID, QTY, PRICE) VALUES (?, ?, ?, ?, 9.90)", sale, (short)(i + 1), lines[i].Article, lines[i].Quantity);
        }
        tx.Commit();
    }

    private static string Describe(Conflict c) => $"{c.Table} {c.Key} {c.Resolution} {c.WinnerSite} {c.WinnerTimeUtc:O} {c.LoserSite} {c.LoserTimeUtc:O}";

    private static IEnumerable<string> VersionTables(EngineNode node)
    {
        using var tx = node.Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = node.Connection.Prepare(tx, "SELECT ID FROM HZ$TABLES ORDER BY ID");
        using var reader = command.ExecuteReader();
        var tables = new List<string>();
        while (reader.Read()) tables.Add(FbSql.QuoteIdentifier("HZ$V_" + reader.GetInt32(0)));
        return tables;
    }

    /// <summary>Every synchronised table's rows (the date-stamping triggers' DATE_MODIF left out: each world has its own clock).</summary>
    private static List<string> Rows(EngineNode node) =>
        CustomerSchema.SynchronisedTables.SelectMany(t => Read(node, FbSql.QuoteIdentifier(t), skip: c => c == "DATE_MODIF").Select(r => t + " " + r)).ToList();

    /// <summary>Every version row but its sequence and transaction (numbers that depend on the order of the calls); BASE_SEQ
    /// only as whether it is set (a re-published version at the Siège, a received one at a site).</summary>
    private static List<string> Versions(EngineNode node) =>
        VersionTables(node).SelectMany(t => Read(node, t, skip: c => c is "SEQ" or "TX", flag: c => c == "BASE_SEQ").Select(r => t + " " + r)).ToList();

    private static List<string> Read(EngineNode node, string table, Func<string, bool> skip, Func<string, bool>? flag = null)
    {
        using var tx = node.Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = node.Connection.Prepare(tx, $"SELECT * FROM {table}");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new List<string>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = reader.GetName(i);
                if (skip(name)) continue;
                if (flag?.Invoke(name) == true) cells.Add(Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture) > 0 ? "set" : "0");
                else if (reader.IsDBNull(i)) cells.Add("NULL");
                else if (reader.GetColumn(i).Type is FbDbType.Char or FbDbType.VarChar) cells.Add(Convert.ToHexString(reader.GetBytes(i)));
                else cells.Add(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "");
            }
            rows.Add(string.Join(" | ", cells));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
