using HeitzSync.Core.Capture;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "EndToEnd")]
public class ConvergenceTests
{
    private static void SeedExisting(EngineNode node, int members)
    {
        var photo = new byte[3000];
        new Random(node.Number).NextBytes(photo);
        for (var i = 1; i <= members; i++)
        {
            var id = node.KeyLow + i;
            node.Sql("INSERT INTO MEMBER (ID, NAME, SPONSOR_ID, PHOTO, NOTES, BALANCE, BORN, ACTIVE) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                id, new FbRawText(System.Text.Encoding.Latin1.GetBytes($"Hélène Lefèvre {node.Code} {i}")), i > 1 ? id - 1 : null,
                photo, $"Notes {i}: café crème", 10.5m * i, new DateTime(1980, 1, i % 28 + 1), i % 2 == 0);
            node.Sql("INSERT INTO SALE (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, ?, ?)", id, id, new DateTime(2025, 5, 1, 10, 30, 15, 250), 99.99m);
            node.Sql("INSERT INTO SALE_LINE (SALE_ID, LINE_NO, PRODUCT, QTY) VALUES (?, 1, ?, 2)", id, new FbRawText(System.Text.Encoding.Latin1.GetBytes("Crème brûlée")));
            node.Sql("INSERT INTO SALE_LINE (SALE_ID, LINE_NO, PRODUCT, QTY) VALUES (?, 2, 'Water', 1)", id);
            node.Sql("INSERT INTO \"Ledger Entry\" (\"Id\", AT_TIME, DEBIT, LABEL) VALUES (?, ?, ?, ?)", id, new TimeSpan(0, 9, 15, 30, 500), 1234.5678m, "Überweisung ✓");
        }
        // The same reference rows at every site.
        node.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('YEAR', 'Abonnement année', 420.00)");
        node.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('MONTH', 'Abonnement mois', 45.00)");
        node.Sql("INSERT INTO LOCAL_SETTINGS (WORKSTATION, VAL) VALUES (?, ?)", "PC-" + node.Code, "printer=" + node.Code);
        // A site that has worked for years has its generators past its own rows.
        node.Sql($"ALTER SEQUENCE GEN_MEMBER RESTART WITH {node.KeyLow + 1000}");
        node.Sql($"ALTER SEQUENCE GEN_SALE RESTART WITH {node.KeyLow + 1000}");
    }

    private static long Count(EngineNode node, string table) =>
        Convert.ToInt64(node.Scalar($"SELECT COUNT(*) FROM {FbSql.QuoteIdentifier(table)}"));

    [Fact]
    public void First_night_merges_every_sites_existing_data_everywhere()
    {
        using var world = new EngineWorld(siteCount: 3);
        foreach (var node in world.All) SeedExisting(node, members: 5);
        world.InitializeAll();

        world.Night();

        TableContent.AssertConverged(world, "after the first night");
        Assert.Equal(20, Count(world.Siege, "MEMBER"));
        Assert.Equal(2, Count(world.Sites[2], "PRICE"));
        Assert.Empty(world.Conflicts);   // identical reference rows merge silently
        foreach (var node in world.All)
        {
            Assert.Equal(1, Count(node, "LOCAL_SETTINGS"));   // local-only rows never travel
        }
    }

    [Fact]
    public void Three_nights_with_changes_everywhere_converge_after_each_night()
    {
        using var world = new EngineWorld(siteCount: 3);
        foreach (var node in world.All) SeedExisting(node, members: 3);
        world.InitializeAll();
        world.Night();
        TableContent.AssertConverged(world, "night 1");

        var shared = world.Sites[0].KeyLow + 1;          // a member every site edits
        var raced = world.Sites[1].KeyLow + 3;           // deleted at one site, updated at another
        for (var night = 2; night <= 4; night++)
        {
            foreach (var node in world.All)
            {
                var newId = Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 1) FROM RDB$DATABASE"));
                Assert.InRange(newId, node.KeyLow, node.KeyLow + EngineWorld.RangeSize - 1);
                node.Sql("INSERT INTO MEMBER (ID, NAME, BALANCE) VALUES (?, ?, ?)", newId, new FbRawText(System.Text.Encoding.Latin1.GetBytes($"Zoë {node.Code} n{night}")), 1m);
                node.Sql("UPDATE MEMBER SET BALANCE = ?, NOTES = ? WHERE ID = ?", 100m * night + node.Number, $"edited by {node.Code}", shared);
                node.Sql("UPDATE OR INSERT INTO LOCAL_SETTINGS (WORKSTATION, VAL) VALUES (?, ?) MATCHING (WORKSTATION)", "PC-" + node.Code, "night " + night);
            }
            if (night == 2)
            {
                world.Sites[0].Sql("DELETE FROM SALE_LINE WHERE SALE_ID = ?", raced);
                world.Sites[0].Sql("DELETE FROM SALE WHERE ID = ?", raced);
                world.Sites[2].Sql("UPDATE SALE SET TOTAL = 1.23 WHERE ID = ?", raced);
                world.Sites[1].Sql("DELETE FROM \"Ledger Entry\" WHERE \"Id\" = ?", world.Sites[1].KeyLow + 2);
            }
            world.Night();
            TableContent.AssertConverged(world, $"night {night}");
        }
        Assert.Contains(world.Conflicts, c => c.Table == "MEMBER" && c.Key == shared.ToString());
        foreach (var node in world.All)
        {
            Assert.Equal(1, Count(node, "LOCAL_SETTINGS"));
            Assert.Equal("night 4", ((string)node.Scalar("SELECT VAL FROM LOCAL_SETTINGS")!).Trim());
        }
    }

    [Fact]
    public void A_site_that_misses_two_nights_catches_up_on_the_third()
    {
        using var world = new EngineWorld(siteCount: 3);
        foreach (var node in world.All) SeedExisting(node, members: 2);
        world.InitializeAll();
        world.Night();
        var offline = world.Sites[1];
        var online = world.Sites.Where(s => s != offline).ToList();
        for (var night = 0; night < 2; night++)
        {
            foreach (var node in world.All)
            {
                var id = Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_SALE, 1) FROM RDB$DATABASE"));
                node.Sql("INSERT INTO SALE (ID, MEMBER_ID, TOTAL) VALUES (?, ?, ?)", id, node.KeyLow + 1, 5m + night);
            }
            world.Night(sending: online, receiving: online);
        }
        world.Night();
        TableContent.AssertConverged(world, "after the offline site came back");
        Assert.Equal(4 * 2 + 4 * 2, Count(offline, "SALE"));
    }

    [Fact]
    public void Applying_the_same_package_twice_changes_nothing()
    {
        using var world = new EngineWorld(siteCount: 1);
        foreach (var node in world.All) SeedExisting(node, members: 2);
        world.InitializeAll();
        var site = world.Sites[0];
        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extract);
        try
        {
            var first = world.Siege.Consolidate(file, extract, cycle);
            var before = TableContent.Read(world.Siege.Connection, "MEMBER");
            var seqBefore = world.Siege.Scalar("SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE");
            var second = world.Siege.Consolidate(file, extract, cycle);
            Assert.False(first.AlreadyConsolidated);
            Assert.True(second.AlreadyConsolidated);
            Assert.Equal(before, TableContent.Read(world.Siege.Connection, "MEMBER"));
            Assert.Equal(seqBefore, world.Siege.Scalar("SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE"));

            var down = site.PublishFrom(world.Siege, world.Folder, cycle, out var published);
            var applied = site.Apply(down, published, cycle);
            var again = site.Apply(down, published, cycle);
            Assert.False(applied.AlreadyApplied);
            Assert.True(again.AlreadyApplied);
            TableContent.AssertConverged(world, "after double application");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_change_made_after_the_extract_wins_next_night_instead_of_being_overwritten()
    {
        using var world = new EngineWorld(siteCount: 2);
        foreach (var node in world.All) SeedExisting(node, members: 2);
        world.InitializeAll();
        world.Night();
        var a = world.Sites[0];
        var b = world.Sites[1];
        var key = a.KeyLow + 1;
        b.Sql("UPDATE MEMBER SET BALANCE = 1 WHERE ID = ?", key);          // b's change goes up tonight
        var cycle = world.NextCycle();
        var files = new[] { a, b }.Select(s => (s, s.Extract(world.Folder, cycle, out var r), r)).ToList();
        a.Sql("UPDATE MEMBER SET BALANCE = 2 WHERE ID = ?", key);          // a user at site a, during the run
        foreach (var (s, f, r) in files) world.Siege.Consolidate(f, r, cycle);
        foreach (var s in world.Sites) s.ApplyFrom(world.Siege, world.Folder, cycle);
        Assert.Equal(2m, a.Scalar("SELECT BALANCE FROM MEMBER WHERE ID = ?", key));   // not overwritten by b's 1
        world.Night();
        TableContent.AssertConverged(world, "the night after");
        Assert.Equal(2m, world.Siege.Scalar("SELECT BALANCE FROM MEMBER WHERE ID = ?", key));
        foreach (var (_, f, _) in files) File.Delete(f);
    }

    [Fact]
    public void A_consolidation_that_dies_midway_leaves_nothing_and_the_rerun_gives_the_same_result()
    {
        using var world = new EngineWorld(siteCount: 2);
        foreach (var node in world.All) SeedExisting(node, members: 30);
        world.InitializeAll();
        var cycle = world.NextCycle();
        var site = world.Sites[0];
        var file = site.Extract(world.Folder, cycle, out var extract);
        var before = TableContent.Read(world.Siege.Connection, "MEMBER");
        var facts = new SitePackageFacts(extract.Site, extract.SiteNumber, extract.KeyLow, extract.KeyHigh, cycle, extract.Covered, extract.Acknowledging);
        var length = new FileInfo(file).Length;
        Assert.ThrowsAny<Exception>(() => new Consolidator(world.Siege.Connection, Array.Empty<string>())
            .Consolidate(facts, () => new FailingStream(File.OpenRead(file), length / 2), CancellationToken.None));
        Assert.Equal(before, TableContent.Read(world.Siege.Connection, "MEMBER"));

        world.Siege.Consolidate(file, extract, cycle);
        world.Siege.Consolidate(world.Sites[1].Extract(world.Folder, cycle, out var other), other, cycle);
        foreach (var s in world.Sites) s.ApplyFrom(world.Siege, world.Folder, cycle);
        TableContent.AssertConverged(world, "after the rerun");
        Assert.Equal(90, Count(world.Siege, "MEMBER"));
        File.Delete(file);
    }

    [Fact]
    public void A_package_from_another_schema_is_refused_naming_the_column_and_changes_nothing()
    {
        using var world = new EngineWorld(siteCount: 1);
        foreach (var node in world.All) SeedExisting(node, members: 2);
        world.InitializeAll();
        var site = world.Sites[0];
        site.Sql("ALTER TABLE PRICE ALTER LABEL TYPE VARCHAR(80) CHARACTER SET ISO8859_1");
        var cycle = world.NextCycle();
        var file = site.Extract(world.Folder, cycle, out var extract);
        var before = TableContent.Read(world.Siege.Connection, "MEMBER");
        var error = Assert.Throws<SchemaMismatchException>(() => world.Siege.Consolidate(file, extract, cycle));
        Assert.Contains("PRICE.LABEL", error.Message);
        Assert.Contains("VARCHAR(80)", error.Message);
        Assert.Equal(before, TableContent.Read(world.Siege.Connection, "MEMBER"));
        File.Delete(file);
    }

    [Fact]
    public void Overlapping_key_ranges_are_refused_and_nothing_is_consolidated()
    {
        using var world = new EngineWorld(siteCount: 2);
        world.InitializeAll();
        var impostor = world.Sites[1];
        impostor.Sql("UPDATE HZ$NODE SET SITE_NUMBER = 2, KEY_LOW = ?, KEY_HIGH = ?", 2 * EngineWorld.RangeSize + 10, 3 * EngineWorld.RangeSize);
        impostor.Sql("INSERT INTO PRICE (CODE, LABEL, AMOUNT) VALUES ('X', 'x', 1)");
        var cycle = world.NextCycle();
        var first = world.Sites[0].Extract(world.Folder, cycle, out var r1);
        world.Siege.Consolidate(first, r1, cycle);
        var second = impostor.Extract(world.Folder, cycle, out var r2);
        var error = Assert.Throws<KeyRangeOverlapException>(() => world.Siege.Consolidate(second, r2, cycle));
        Assert.Contains(world.Sites[0].Code, error.Message);
        Assert.Contains(impostor.Code, error.Message);
        Assert.Contains("run " + FrontCommands.Initialize + " there", error.Message);   // the fix, named for the front in use
        Assert.Equal(0L, Count(world.Siege, "PRICE"));
        File.Delete(first);
        File.Delete(second);
    }

    [Fact]
    public void A_table_without_primary_key_is_named_and_nothing_is_installed()
    {
        using var world = new EngineWorld(siteCount: 1);
        var site = world.Sites[0];
        site.Sql("CREATE TABLE AUDIT_TRAIL (AT_TIME TIMESTAMP, WHAT VARCHAR(100))");
        var error = Assert.Throws<CaptureSetupException>(() => site.Initialize(t => t != "LOCAL_SETTINGS"));
        Assert.Contains("AUDIT_TRAIL", error.Message);
        Assert.Contains("localOnly", error.Message);
        Assert.Equal(0L, Convert.ToInt64(site.Scalar("SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME STARTING WITH 'HZ$'")));
        var installed = site.Initialize(t => t != "LOCAL_SETTINGS" && t != "AUDIT_TRAIL");
        Assert.Contains("MEMBER", installed.TablesAdded);
        var again = site.Initialize(t => t != "LOCAL_SETTINGS" && t != "AUDIT_TRAIL");
        Assert.Empty(again.TablesAdded);
        Assert.Equal(0, again.RowsQueued);
    }

    /// <summary>Throws after a number of bytes, as a process dying mid-read would leave the transaction.</summary>
    private sealed class FailingStream : Stream
    {
        private readonly Stream _inner;
        private long _left;

        public FailingStream(Stream inner, long failAfter)
        {
            _inner = inner;
            _left = failAfter;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left <= 0) throw new IOException("simulated failure in the middle of consolidation");
            var read = _inner.Read(buffer, offset, (int)Math.Min(count, _left));
            _left -= read;
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
