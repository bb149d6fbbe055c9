using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Night;

[Trait("Category", "EndToEnd")]
public class FullPackageTests : IDisposable
{
    private const long Range = 1_000_000_000;
    private readonly TempFolder _temp = new("hz-full");

    private static CaptureOptions Identity(string code, int number, bool isSiege = false) => new()
    {
        Site = SiteCode.Parse(code),
        SiteNumber = number,
        IsSiege = isSiege,
        KeyLow = number * Range,
        KeyHigh = (number + 1) * Range - 1,
        IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
    };

    [Fact]
    public async Task A_new_site_is_seeded_from_the_master_then_syncs_like_the_others()
    {
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(_temp.File("drop"));
        var master = new FbConnectionSettings { Database = _temp.File("SIEGE.fdb"), Charset = "NONE" };
        using (var connection = FbConnection.CreateDatabase(master))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, 5, 5 * Range, 15, new Random(5));   // the Siège's number is above the new site's
            new CaptureInstaller(connection).Install(Identity("SIEGE", 5, isSiege: true));
        }
        var cycle = CycleId.Parse("20261101T020000Z");
        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), SiteCode.Parse("ANNECY03"), cycle, null, CancellationToken.None);

        var siteDb = new FbConnectionSettings { Database = _temp.File("ANNECY03.fdb"), Charset = "NONE" };   // does not exist yet
        var site = new SiteNight(siteDb, drop, key, _temp.File("work-site"), identity: Identity("ANNECY03", 3));
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.Equal("new database", received.FullRestoreNote);
        using (var a = FbConnection.Open(master))
        using (var b = FbConnection.Open(siteDb))
        {
            Assert.All(DatabaseComparer.Compare(a, b, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, t.Table));
            using var tx = b.BeginTransaction();
            Assert.Equal("ANNECY03", ((string)b.ExecuteScalar(tx, "SELECT SITE_CODE FROM HZ$NODE")!).Trim());
            var next = Convert.ToInt64(b.ExecuteScalar(tx, "SELECT GEN_ID(GEN_MEMBERS, 1) FROM RDB$DATABASE"));
            Assert.InRange(next, 3 * Range, 4 * Range - 1);   // generators moved into the site's own range
        }

        // The seeded site works like any other: its new member goes up, the master's new member comes down.
        using (var b = FbConnection.Open(siteDb)) b.ExecuteInNewTransaction("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Née à Annecy')");
        using (var a = FbConnection.Open(master)) a.ExecuteInNewTransaction("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Inscrite au siège')");
        var siege = new SiegeNight(master, drop, key, _temp.File("work-siege"), Array.Empty<string>());
        var cycle2 = CycleId.Parse("20261102T020000Z");
        var sent = await site.ExtractAsync(cycle2, null, CancellationToken.None);
        Assert.Equal(1, sent.Rows);   // only the new member: restored rows are not sent back
        await site.UploadAsync(sent, null, CancellationToken.None);
        await siege.ConsolidateAsync(new[] { SiteCode.Parse("ANNECY03") }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        await siege.PublishAsync(cycle2, null, CancellationToken.None);
        await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        using (var a = FbConnection.Open(master))
        using (var b = FbConnection.Open(siteDb))
        {
            Assert.All(DatabaseComparer.Compare(a, b, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, t.Table));
        }
    }

    [Fact]
    public async Task Recovering_a_site_keeps_its_previous_database_aside_and_a_bad_package_changes_nothing()
    {
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(_temp.File("drop"));
        var master = new FbConnectionSettings { Database = _temp.File("SIEGE.fdb"), Charset = "NONE" };
        using (var connection = FbConnection.CreateDatabase(master))
        {
            SampleSchema.Create(connection);
            new CaptureInstaller(connection).Install(Identity("SIEGE", 1, isSiege: true));
        }
        var siteDb = new FbConnectionSettings { Database = _temp.File("LYON02.fdb"), Charset = "NONE" };
        using (var connection = FbConnection.CreateDatabase(siteDb))
        {
            SampleSchema.Create(connection);
            connection.ExecuteInNewTransaction("INSERT INTO WORKSTATION_SETTINGS VALUES ('OLD', 'the damaged database')");
        }
        var original = File.ReadAllBytes(siteDb.Database);

        // A tampered full package: set aside (reported once, quarantined), the site's file untouched.
        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), SiteCode.Parse("LYON02"), CycleId.Parse("20261101T020000Z"), null, CancellationToken.None);
        var published = Directory.GetFiles(_temp.File("drop/LYON02/down")).Single();
        var bytes = File.ReadAllBytes(published);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(published, bytes);
        var site = new SiteNight(siteDb, drop, key, _temp.File("work-site"), identity: Identity("LYON02", 2));
        var tampered = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.False(tampered.Found);
        Assert.Contains(Path.GetFileName(published), Assert.Single(tampered.Refused));
        Assert.Single(Directory.GetFiles(_temp.File("work-site/quarantine"), "*.hzp.*"), f => !f.EndsWith(".reason.txt"));
        Assert.Equal(original, File.ReadAllBytes(siteDb.Database));

        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), SiteCode.Parse("LYON02"), CycleId.Parse("20261102T020000Z"), null, CancellationToken.None);
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.StartsWith("previous database kept as ", received.FullRestoreNote);
        var kept = received.FullRestoreNote!.Substring("previous database kept as ".Length);
        // The restore read the previous database (for changes of its own to keep), which touches its header only.
        using (var previous = FbConnection.Open(siteDb with { Database = kept }))
        using (var read = previous.BeginTransaction())
            Assert.Equal("the damaged database", ((string)previous.ExecuteScalar(read, "SELECT SETTING_VALUE FROM WORKSTATION_SETTINGS WHERE WORKSTATION = 'OLD'")!).Trim());
        using var restored = FbConnection.Open(siteDb);
        using var tx = restored.BeginTransaction();
        Assert.Equal("LYON02", ((string)restored.ExecuteScalar(tx, "SELECT SITE_CODE FROM HZ$NODE")!).Trim());
    }

    [Fact]
    public async Task A_site_recovered_from_a_full_package_whose_sequence_is_below_its_ack_still_sends_its_next_changes()
    {
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(_temp.File("drop"));
        var master = new FbConnectionSettings { Database = _temp.File("SIEGE.fdb"), Charset = "NONE" };
        var siteDb = new FbConnectionSettings { Database = _temp.File("LYON02.fdb"), Charset = "NONE" };
        foreach (var (settings, identity) in new[] { (master, Identity("SIEGE", 1, isSiege: true)), (siteDb, Identity("LYON02", 2)) })
        {
            using var connection = FbConnection.CreateDatabase(settings);
            SampleSchema.Create(connection);
            new CaptureInstaller(connection).Install(identity);
        }
        var lyon = SiteCode.Parse("LYON02");
        var site = new SiteNight(siteDb, drop, key, _temp.File("work-site"), identity: Identity("LYON02", 2));
        var siege = new SiegeNight(master, drop, key, _temp.File("work-siege"), Array.Empty<string>());

        // A busy site: one member edited 300 times takes 300 numbers of its sequence; the master's stays far below.
        using (var b = FbConnection.Open(siteDb))
        {
            b.ExecuteInNewTransaction("INSERT INTO MEMBERS (ID, LAST_NAME, BALANCE) VALUES (NULL, 'Souvent modifiée', 0)");
            b.ExecuteInNewTransaction("EXECUTE BLOCK AS DECLARE i INT = 0; BEGIN WHILE (i < 300) DO BEGIN UPDATE MEMBERS SET BALANCE = BALANCE + 1; i = i + 1; END END");
        }
        var cycle = CycleId.Parse("20261101T020000Z");
        var first = await site.ExtractAsync(cycle, null, CancellationToken.None);
        await site.UploadAsync(first, null, CancellationToken.None);
        await siege.ConsolidateAsync(new[] { lyon }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        long masterSequence;
        using (var a = FbConnection.Open(master))
        using (var tx = a.BeginTransaction())
        {
            masterSequence = Convert.ToInt64(a.ExecuteScalar(tx, "SELECT GEN_ID(HZ$SEQ, 0) FROM RDB$DATABASE"));
        }
        Assert.True(masterSequence < first.Covered.Sequence, $"the test needs the master's sequence ({masterSequence}) below the site's ack ({first.Covered.Sequence})");

        // The site is recovered from a full package of the master, then a user adds a member.
        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), lyon, CycleId.Parse("20261102T020000Z"), null, CancellationToken.None);
        var restored = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.NotNull(restored.FullRestoreNote);
        using (var b = FbConnection.Open(siteDb)) b.ExecuteInNewTransaction("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'Après la reprise')");

        var cycle3 = CycleId.Parse("20261103T020000Z");
        var sent = await site.ExtractAsync(cycle3, null, CancellationToken.None);
        Assert.Equal(1, sent.Rows);
        await site.UploadAsync(sent, null, CancellationToken.None);
        var run = await siege.ConsolidateAsync(new[] { lyon }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.Equal("Consolidated", Assert.Single(run.Deliveries).State);
        await siege.PublishAsync(cycle3, null, CancellationToken.None);
        await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        using (var a = FbConnection.Open(master))
        using (var b = FbConnection.Open(siteDb))
        {
            Assert.All(DatabaseComparer.Compare(a, b, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, t.Table));
            using var tx = a.BeginTransaction();
            Assert.Equal(1L, Convert.ToInt64(a.ExecuteScalar(tx, "SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME = 'Après la reprise'")));
        }
    }

    /// <summary>
    /// An identity column's generator (named by the engine, RDB$n) goes on, after a full restore, from where it stood in
    /// the database the restore replaced: the cards the site made and had not sent yet are kept across the restore, and
    /// the next card takes a new key, not one of theirs.
    /// </summary>
    [Fact]
    public async Task After_a_full_restore_an_identity_column_goes_on_past_the_keys_the_site_handed_out()
    {
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(_temp.File("drop"));
        var master = new FbConnectionSettings { Database = _temp.File("SIEGE.fdb"), Charset = "NONE" };
        var siteDb = new FbConnectionSettings { Database = _temp.File("LYON02.fdb"), Charset = "NONE" };
        CaptureOptions WithCards(CaptureOptions options) => options with { IsSynchronised = t => t == "CARDS" || SampleSchema.SynchronisedTables.Contains(t) };
        foreach (var (settings, identity) in new[] { (master, Identity("SIEGE", 1, isSiege: true)), (siteDb, Identity("LYON02", 2)) })
        {
            using var connection = FbConnection.CreateDatabase(settings);
            SampleSchema.Create(connection);
            connection.ExecuteInNewTransaction("CREATE TABLE CARDS (ID BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, LABEL VARCHAR(20) NOT NULL)");
            new CaptureInstaller(connection).Install(WithCards(identity));
        }
        var lyon = SiteCode.Parse("LYON02");
        var site = new SiteNight(siteDb, drop, key, _temp.File("work-site"), identity: WithCards(Identity("LYON02", 2)));
        using (var b = FbConnection.Open(siteDb))
        {
            for (var i = 1; i <= 3; i++) b.ExecuteInNewTransaction("INSERT INTO CARDS (LABEL) VALUES (?)", "unsent " + i);
        }

        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), lyon, CycleId.Parse("20261101T020000Z"), null, CancellationToken.None);
        var restored = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.NotNull(restored.FullRestoreNote);
        using var after = FbConnection.Open(siteDb);
        after.ExecuteInNewTransaction("INSERT INTO CARDS (LABEL) VALUES ('after the restore')");
        using var tx = after.BeginTransaction();
        using var command = after.Prepare(tx, "SELECT ID, LABEL FROM CARDS ORDER BY ID");
        using var reader = command.ExecuteReader();
        var cards = new List<(long Id, string Label)>();
        while (reader.Read()) cards.Add((reader.GetInt64(0), reader.GetString(1)));
        Assert.Equal(new[] { "unsent 1", "unsent 2", "unsent 3", "after the restore" }, cards.Select(c => c.Label));
        Assert.Equal(new[] { 2 * Range + 1, 2 * Range + 2, 2 * Range + 3, 2 * Range + 4 }, cards.Select(c => c.Id));
    }

    [Fact]
    public async Task The_first_send_after_a_full_restore_reads_no_more_than_the_next_one()
    {
        using var key = SyncKey.Generate();
        using var drop = new FolderDropTransport(_temp.File("drop"));
        var master = new FbConnectionSettings { Database = _temp.File("SIEGE.fdb"), Charset = "NONE" };
        long masterRows;
        using (var connection = FbConnection.CreateDatabase(master))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, 1, Range, 600, new Random(16));
            new CaptureInstaller(connection).Install(Identity("SIEGE", 1, isSiege: true));
            // Every row edited at the Siège since: the master has a version row for each.
            connection.ExecuteInNewTransaction("UPDATE MEMBERS SET BALANCE = COALESCE(BALANCE, 0) + 1");
            connection.ExecuteInNewTransaction("UPDATE ENTRIES SET GATE = COALESCE(GATE, 0) + 1");
            connection.ExecuteInNewTransaction("UPDATE SALE_LINES SET QTY = COALESCE(QTY, 0) + 1");
            using var tx = connection.BeginTransaction();
            masterRows = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT (SELECT COUNT(*) FROM MEMBERS) + (SELECT COUNT(*) FROM ENTRIES) + (SELECT COUNT(*) FROM SALE_LINES) FROM RDB$DATABASE"));
        }
        var lyon = SiteCode.Parse("LYON02");
        await FullPackage.PublishAsync(master, drop, key, _temp.File("work-siege"), lyon, CycleId.Parse("20261101T020000Z"), null, CancellationToken.None);
        var siteDb = new FbConnectionSettings { Database = _temp.File("LYON02.fdb"), Charset = "NONE" };
        var site = new SiteNight(siteDb, drop, key, _temp.File("work-site"), identity: Identity("LYON02", 2));
        Assert.NotNull((await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None)).FullRestoreNote);

        // Each send as a night makes it: its own attachment, the database closed in between.
        var (firstRows, firstReads) = Send(siteDb);
        var (nextRows, nextReads) = Send(siteDb);
        Assert.Equal(0, firstRows);
        Assert.Equal(0, nextRows);
        Assert.True(firstReads <= nextReads, $"the first send after the restore read {firstReads} records, the next one {nextReads} (the master has {masterRows} rows)");
        Assert.True(firstReads < masterRows, $"the first send read {firstReads} records for {masterRows} rows of the master");

        static (long Rows, long Reads) Send(FbConnectionSettings database)
        {
            using var connection = FbConnection.Open(database);
            var before = RecordsRead(connection);
            using var payload = new MemoryStream();
            var result = new Core.Sync.ChangeExtractor(connection).Extract(payload, null, CancellationToken.None);
            return (result.Rows, RecordsRead(connection) - before);
        }

        static long RecordsRead(FbConnection connection)
        {
            using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            return Convert.ToInt64(connection.ExecuteScalar(tx,
                "SELECT r.MON$RECORD_SEQ_READS + r.MON$RECORD_IDX_READS FROM MON$ATTACHMENTS a JOIN MON$RECORD_STATS r ON r.MON$STAT_ID = a.MON$STAT_ID " +
                "WHERE a.MON$ATTACHMENT_ID = CURRENT_CONNECTION"));
        }
    }

    public void Dispose() => _temp.Dispose();
}
