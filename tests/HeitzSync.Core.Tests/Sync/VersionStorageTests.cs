using HeitzSync.Core.Capture;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// What each node keeps per key (docs/sync-engine.md, "What each node keeps"; issue 16, target 3): the initial load holds
/// rows instead of writing a version row each, a site keeps only its pending changes, the Siège folds what every site has
/// applied, and conflicts are decided as before.
/// </summary>
[Trait("Category", "EndToEnd")]
public class VersionStorageTests
{
    private static readonly DateTime Day = DateTime.Now.Date.AddDays(-1);

    private static long VersionRows(EngineNode node, string? table = null, object? id = null)
    {
        long total = 0;
        var tables = new List<(int Id, string Name)>();
        using (var tx = node.Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        using (var command = node.Connection.Prepare(tx, "SELECT ID, TABLE_NAME FROM HZ$TABLES"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tables.Add((reader.GetInt32(0), reader.GetString(1).Trim()));
        }
        foreach (var (tableId, name) in tables.Where(t => table is null || t.Name == table))
        {
            var versionTable = FbSql.QuoteIdentifier("HZ$V_" + tableId);
            total += Convert.ToInt64(id is null
                ? node.Scalar($"SELECT COUNT(*) FROM {versionTable}")
                : node.Scalar($"SELECT COUNT(*) FROM {versionTable} WHERE ID = ?", id));
        }
        return total;
    }

    private static long LoadRunCount(EngineNode node, string? origin = null) => Convert.ToInt64(origin is null
        ? node.Scalar("SELECT COUNT(*) FROM HZ$LOADS")
        : node.Scalar("SELECT COUNT(*) FROM HZ$LOADS WHERE ORIGIN = ?", origin));

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public void A_sites_initial_load_is_held_at_the_siege_in_runs_of_keys_and_reaches_every_other_site_but_not_itself(int? batchRows)
    {
        using var world = new EngineWorld(siteCount: 3) { BatchRows = batchRows };
        var (a, b, late) = (world.Sites[0], world.Sites[1], world.Sites[2]);
        // Site A's years of members: gaps where members were deleted, the last ones inserted out of key order, one sale.
        var aKeys = Enumerable.Range(1, 30).Where(i => i % 10 != 0).Concat(new[] { 45, 41, 43 }).Select(i => a.KeyLow + i).ToList();
        foreach (var id in aKeys) a.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", id, $"A {id - a.KeyLow}");
        a.Sql("INSERT INTO SALE (ID, MEMBER_ID, TOTAL) VALUES (?, ?, 12.5)", a.KeyLow + 1, a.KeyLow + 45);
        world.Siege.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'the Siège''s')", world.Siege.KeyLow + 1);
        b.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'B''s')", b.KeyLow + 1);
        // B holds a copy of one of A's members, another of them exactly: at the join, A's (consolidated first) stands.
        b.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'B''s copy')", a.KeyLow + 3);
        b.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'A 4')", a.KeyLow + 4);
        foreach (var node in new[] { world.Siege, a, b }) node.Initialize(world.IsSynchronised);

        var cycle = world.NextCycle();
        foreach (var site in new[] { a, b })
        {
            var file = site.Extract(world.Folder, cycle, out var load);
            world.Conflicts.AddRange(world.Siege.Consolidate(file, load, cycle).Conflicts);
        }
        Assert.Equal(0L, VersionRows(world.Siege, "MEMBER", a.KeyLow + 5));
        // A's members in runs: three of consecutive keys, the three out-of-order keys on their own (or with a neighbour,
        // as the site's extract reads them); its sale in one.
        var memberRuns = Runs(world.Siege, a, "MEMBER");
        Assert.True(memberRuns.Count is >= 3 and <= 6, string.Join(", ", memberRuns));
        Assert.Contains("11..19", memberRuns);
        Assert.Equal(new[] { "1..1" }, Runs(world.Siege, a, "SALE"));
        Assert.Contains(world.Conflicts, c => c.Key == (a.KeyLow + 3).ToString() && c.Resolution == ConflictResolution.JoinMasterKept && c.WinnerSite == a.Code && c.LoserSite == b.Code);
        Assert.DoesNotContain(world.Conflicts, c => c.Key == (a.KeyLow + 4).ToString());   // the same row: a silent merge

        // A is not sent its own load back: the Siège's member and B's. B gets A's load and the Siège's member.
        var toA = a.ApplyFrom(world.Siege, world.Folder, cycle);
        Assert.Equal(2L, toA.RowsApplied + toA.RowsSkipped);
        b.ApplyFrom(world.Siege, world.Folder, cycle);
        Assert.Equal("A 3", Name(b, a.KeyLow + 3));
        TableContent.AssertConverged(world, new[] { a, b }, "after the join");

        // B edits one of A's loaded members: a real edit wins over a load row, without a conflict.
        Edit(b, a.KeyLow + 21, "edited at B", Day.AddHours(9));
        world.Night(sending: new[] { a, b }, receiving: new[] { a, b });
        Assert.Equal("edited at B", Name(a, a.KeyLow + 21));
        Assert.DoesNotContain(world.Conflicts, c => c.Key == (a.KeyLow + 21).ToString());
        Assert.Equal(0L, LoadRunCount(world.Siege));   // both sites have applied them: folded

        // A site that joins later gets every row, A's load among them, and sends its own.
        late.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'late')", late.KeyLow + 1);
        late.Initialize(world.IsSynchronised);
        world.Night();
        world.Night();
        TableContent.AssertConverged(world, "after the late site joined");
        Assert.Equal(aKeys.Count + 3L, Convert.ToInt64(late.Scalar("SELECT COUNT(*) FROM MEMBER")));
        Assert.Equal(0L, LoadRunCount(world.Siege));
    }

    /// <summary>The load runs of <paramref name="site"/> in <paramref name="table"/> at the Siège, as "low..high" offsets in its key range.</summary>
    private static List<string> Runs(EngineNode siege, EngineNode site, string table)
    {
        using var tx = siege.Connection.BeginTransaction();
        using var command = siege.Connection.Prepare(tx,
            "SELECT l.LO, l.HI FROM HZ$LOADS l JOIN HZ$TABLES t ON t.ID = l.TABLE_ID WHERE l.ORIGIN = ? AND t.TABLE_NAME = ? ORDER BY l.LO");
        using var reader = command.ExecuteReader(site.Code, table);
        var runs = new List<string>();
        while (reader.Read()) runs.Add($"{reader.GetInt64(0) - site.KeyLow}..{reader.GetInt64(1) - site.KeyLow}");
        return runs;
    }

    [Fact]
    public void A_siege_installed_before_load_runs_writes_version_rows_until_init_makes_them_and_drops_the_old_indexes()
    {
        using var world = new EngineWorld(siteCount: 2);
        var (a, b) = (world.Sites[0], world.Sites[1]);
        for (var i = 1; i <= 10; i++) a.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", a.KeyLow + i, $"A {i}");
        world.InitializeAll();
        // As an earlier version left the Siège: no HZ$LOADS, SEQ and TX indexes on a version table.
        var member = Convert.ToInt32(world.Siege.Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = 'MEMBER'"));
        world.Siege.Sql("DROP TABLE HZ$LOADS");
        world.Siege.Sql($"CREATE INDEX HZ$IX_V_{member}_SEQ ON HZ$V_{member} (SEQ)");
        world.Siege.Sql($"CREATE INDEX HZ$IX_V_{member}_TX ON HZ$V_{member} (TX)");

        world.Night();
        Assert.Equal(10L, VersionRows(world.Siege, "MEMBER"));   // a version row per loaded row, as before
        TableContent.AssertConverged(world, "after the join on the old Siège");

        world.Siege.Initialize(world.IsSynchronised);
        Assert.Equal(0L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM RDB$INDICES WHERE RDB$INDEX_NAME STARTING WITH 'HZ$IX_V_'")));
        for (var i = 1; i <= 10; i++) b.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", b.KeyLow + 100 + i, $"B {i}");
        world.Night();
        world.Night();
        TableContent.AssertConverged(world, "after init upgraded the Siège");
        Assert.Equal(0L, VersionRows(world.Siege));
    }

    private static string Name(EngineNode node, long id) => ((string)node.Scalar("SELECT NAME FROM MEMBER WHERE ID = ?", id)!).Trim();

    private static void Edit(EngineNode node, long id, string name, DateTime at)
    {
        node.Sql("UPDATE MEMBER SET NAME = ? WHERE ID = ?", name, id);
        node.SetChangeTime("MEMBER", "ID", id, at);
    }

    [Fact]
    public void The_initial_load_writes_no_version_row_and_once_the_siege_has_it_a_site_keeps_none()
    {
        using var world = new EngineWorld(siteCount: 2);
        foreach (var node in world.All)
        {
            for (var i = 1; i <= 25; i++) node.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, ?)", node.KeyLow + i, $"{node.Code} {i}");
            node.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Year', 300)");   // the same reference row everywhere
        }
        world.Sites[1].Sql("UPDATE PRICE SET AMOUNT = 280 WHERE CODE = 'YEAR'");   // one site's copy differs

        var installed = world.Sites[0].Initialize(world.IsSynchronised);
        foreach (var node in world.All.Where(n => n != world.Sites[0])) node.Initialize(world.IsSynchronised);
        Assert.Equal(26, installed.RowsQueued);
        Assert.All(world.All, node => Assert.Equal(0L, VersionRows(node)));

        world.Night();
        TableContent.AssertConverged(world, "after the join");
        Assert.Equal(75L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER")));
        Assert.Equal(300m, world.Sites[1].Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
        Assert.Contains(world.Conflicts, c => c.Table == "PRICE" && c.Resolution == ConflictResolution.JoinMasterKept && c.LoserSite == world.Sites[1].Code);
        Assert.All(world.Sites, site => Assert.Equal(0L, VersionRows(site)));   // their load is acknowledged, nothing is pending
        // The Siège holds the sites' loads of members as runs of keys (one per site here), not a version row per row,
        // until every site has applied them; the text-keyed prices keep version rows.
        Assert.Equal(0L, VersionRows(world.Siege, "MEMBER"));
        Assert.Equal(2L, LoadRunCount(world.Siege));
        Assert.True(VersionRows(world.Siege, "PRICE") >= 1, "a load row of a table not keyed by one integer keeps its version row until every site has applied it");

        world.Night();
        Assert.Equal(0L, VersionRows(world.Siege));   // every site applied them: folded
        Assert.Equal(0L, LoadRunCount(world.Siege));
        Assert.All(world.Sites, site => Assert.Equal(0L, VersionRows(site)));
        world.Sites[0].Extract(world.Folder, world.NextCycle(), out var nothing);
        Assert.Equal(0, nothing.Rows);
        TableContent.AssertConverged(world, "a night later");
    }

    [Fact]
    public void A_key_whose_version_rows_are_gone_everywhere_still_conflicts_when_two_nodes_edit_it_the_same_night()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        var (a, b) = (world.Sites[0], world.Sites[1]);
        var (siegeLater, siteLater, twoSites) = (a.KeyLow + 1, a.KeyLow + 2, a.KeyLow + 3);
        foreach (var id in new[] { siegeLater, siteLater, twoSites }) a.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'first')", id);
        world.Night();
        world.Night();
        Assert.All(world.All, node => Assert.Equal(0L, VersionRows(node)));   // compacted at the sites, folded at the Siège

        Edit(a, siegeLater, "site A", Day.AddHours(9));
        Edit(world.Siege, siegeLater, "Siège", Day.AddHours(10));
        Edit(world.Siege, siteLater, "Siège", Day.AddHours(9));
        Edit(a, siteLater, "site A", Day.AddHours(10));
        Edit(a, twoSites, "site A", Day.AddHours(9));
        Edit(b, twoSites, "site B", Day.AddHours(10));
        world.Night();

        foreach (var node in world.All)
        {
            Assert.Equal("Siège", Name(node, siegeLater));
            Assert.Equal("site A", Name(node, siteLater));
            Assert.Equal("site B", Name(node, twoSites));
        }
        Assert.Contains(world.Conflicts, c => c.Key == siegeLater.ToString() && c.Resolution == ConflictResolution.MasterKept && c.WinnerSite == world.Siege.Code && c.LoserSite == a.Code);
        Assert.Contains(world.Conflicts, c => c.Key == siteLater.ToString() && c.Resolution == ConflictResolution.IncomingWon && c.WinnerSite == a.Code && c.LoserSite == world.Siege.Code);
        Assert.Contains(world.Conflicts, c => c.Key == twoSites.ToString() && c.Resolution == ConflictResolution.IncomingWon && c.WinnerSite == b.Code && c.LoserSite == a.Code);
        TableContent.AssertConverged(world, "after the same night's edits");
    }

    [Fact]
    public void A_site_offline_for_days_holds_the_siege_versions_back_and_its_changes_made_meanwhile_still_conflict()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        var (online, offline) = (world.Sites[0], world.Sites[1]);
        var (onlineLater, offlineLater) = (online.KeyLow + 1, online.KeyLow + 2);
        online.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'first')", onlineLater);
        online.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'first')", offlineLater);
        world.Night();
        world.Night();

        // The link of one site is down for three nights; both sites change the same members meanwhile.
        Edit(offline, onlineLater, "offline", Day.AddHours(9));
        Edit(offline, offlineLater, "offline", Day.AddDays(2).AddHours(9));
        Edit(online, onlineLater, "online", Day.AddHours(10));
        Edit(online, offlineLater, "online", Day.AddHours(10));
        for (var night = 0; night < 3; night++)
        {
            world.Night(sending: new[] { online }, receiving: new[] { online });
            online.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'new')", online.KeyLow + 10 + night);
        }
        // What the offline site has not applied keeps its version at the Siège (it is still to go there).
        Assert.Equal(1L, VersionRows(world.Siege, "MEMBER", onlineLater));
        Assert.Equal(1L, VersionRows(world.Siege, "MEMBER", online.KeyLow + 10));

        world.Night();   // back: its changes go up with the base they had, so both are compared with the online site's
        foreach (var node in world.All)
        {
            Assert.Equal("online", Name(node, onlineLater));
            Assert.Equal("offline", Name(node, offlineLater));
        }
        Assert.Contains(world.Conflicts, c => c.Key == onlineLater.ToString() && c.Resolution == ConflictResolution.MasterKept && c.LoserSite == offline.Code);
        Assert.Contains(world.Conflicts, c => c.Key == offlineLater.ToString() && c.Resolution == ConflictResolution.IncomingWon && c.WinnerSite == offline.Code);
        TableContent.AssertConverged(world, "after the offline site came back");

        world.Night();
        Assert.All(world.All, node => Assert.Equal(0L, VersionRows(node)));   // caught up: nothing kept anywhere
    }

    [Fact]
    public void A_site_that_applies_a_package_before_its_initial_load_is_acknowledged_keeps_its_load_and_the_base_of_its_edits()
    {
        using var world = new EngineWorld(siteCount: 1);
        var site = world.Sites[0];
        world.Siege.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Year', 300)");
        world.Siege.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'from the Siège')", world.Siege.KeyLow + 1);
        site.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Year', 250)");
        for (var i = 1; i <= 5; i++) site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'own')", site.KeyLow + i);
        world.InitializeAll();
        // Registered by its init against the drop, as a site is before its first package arrives.
        world.Siege.Sql("INSERT INTO HZ$SITES (SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH) VALUES (?, ?, ?, ?)", site.Code, site.Number, site.KeyLow, site.KeyLow + EngineWorld.RangeSize - 1);
        world.Siege.Sql("UPDATE PRICE SET AMOUNT = 320 WHERE CODE = 'YEAR'");   // a real edit at the Siège
        world.Siege.SetChangeTime("PRICE", "CODE", "YEAR", Day.AddHours(11));

        // The site's first upload did not arrive; the Siège's package comes all the same.
        world.Night(sending: Array.Empty<EngineNode>());
        Assert.Equal(250m, site.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));   // its own row, still to go up
        Assert.Equal(1L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM MEMBER WHERE ID = ?", world.Siege.KeyLow + 1)));
        site.Sql("UPDATE PRICE SET AMOUNT = 260 WHERE CODE = 'YEAR'");
        site.SetChangeTime("PRICE", "CODE", "YEAR", Day.AddHours(10));   // before the Siège's edit, which it never had

        site.Extract(world.Folder, world.NextCycle(), out var load);
        Assert.Equal(6, load.Rows);   // its five members and its price; not the Siège's member it applied
        world.Night();
        foreach (var node in world.All) Assert.Equal(320m, node.Scalar("SELECT AMOUNT FROM PRICE WHERE CODE = 'YEAR'"));
        Assert.Contains(world.Conflicts, c => c.Table == "PRICE" && c.Resolution == ConflictResolution.MasterKept && c.LoserSite == site.Code);
        TableContent.AssertConverged(world, "after the load went up");
        Assert.Equal(0L, VersionRows(site));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Init_upgrades_a_database_of_an_earlier_capture_version_and_its_pending_changes_still_go(int version)
    {
        using var world = new EngineWorld(siteCount: 1);
        var site = world.Sites[0];
        for (var i = 1; i <= 4; i++) site.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (?, 'own')", site.KeyLow + i);
        world.InitializeAll();
        MakeEarlierVersion(site, version);
        var refused = Assert.Throws<CaptureSetupException>(() => site.Extract(world.Folder, world.NextCycle(), out _));
        Assert.Contains($"capture version {version}", refused.Message);
        Assert.Contains("Run Initialize-HzSite", refused.Message);   // the fix, named for the front in use (PowerShell here)

        site.Initialize(world.IsSynchronised);
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM RDB$INDICES WHERE RDB$INDEX_NAME STARTING WITH 'HZ$IX_V_'")));
        site.Sql("UPDATE MEMBER SET NAME = 'edited' WHERE ID = ?", site.KeyLow + 1);
        world.Night();
        Assert.Equal(4L, Convert.ToInt64(world.Siege.Scalar("SELECT COUNT(*) FROM MEMBER")));
        Assert.Equal("edited", Name(world.Siege, site.KeyLow + 1));
        Assert.Equal(0L, VersionRows(site));
        TableContent.AssertConverged(world, "after the upgraded site's night");
    }

    /// <summary>Makes a version-4 site database look as an earlier version left it: a version row per row of its initial
    /// load, SEQ and TX indexes, no HELD_SEQ, no base generator, and for version 2 no open-transaction columns either.</summary>
    private static void MakeEarlierVersion(EngineNode node, int version)
    {
        var ids = new List<int>();
        using (var tx = node.Connection.BeginTransaction())
        using (var command = node.Connection.Prepare(tx, "SELECT ID FROM HZ$TABLES"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) ids.Add(reader.GetInt32(0));
        }
        foreach (var id in ids) node.Sql($"DROP TRIGGER HZ$T_{id}");
        var memberTable = Convert.ToInt32(node.Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = 'MEMBER'"));
        node.Sql($"INSERT INTO HZ$V_{memberTable} (ID, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
                 "SELECT ID, GEN_ID(HZ$SEQ, 1), CURRENT_TRANSACTION, 'I', CAST('1900-01-01' AS TIMESTAMP), ?, 0 FROM MEMBER", node.Code);
        node.Sql($"CREATE INDEX HZ$IX_V_{memberTable}_SEQ ON HZ$V_{memberTable} (SEQ)");
        node.Sql($"CREATE INDEX HZ$IX_V_{memberTable}_TX ON HZ$V_{memberTable} (TX)");
        node.Sql("ALTER TABLE HZ$TABLES DROP HELD_SEQ");
        node.Sql($"DROP SEQUENCE {CaptureObjects.BaseSequence}");
        if (version < 3)
        {
            foreach (var (table, column, _) in CaptureObjects.AddedColumns.Where(c => c.Column.EndsWith("_OPEN", StringComparison.Ordinal)))
            {
                node.Sql($"ALTER TABLE {table} DROP {column}");
            }
        }
        node.Sql("UPDATE HZ$NODE SET CAPTURE_VERSION = ?", version);
    }
}
