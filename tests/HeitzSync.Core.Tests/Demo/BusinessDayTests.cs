using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Demo;

[Trait("Category", "Firebird")]
public sealed class BusinessDayTests : IDisposable
{
    private const int Site = 2;
    private const long KeyLow = Site * SampleDatabase.Range;
    private static readonly DateTime Day = new(2026, 3, 14);
    private readonly TempFolder _temp = new("hz-demo-day");

    [Fact]
    public void A_day_writes_exactly_what_its_summary_says()
    {
        using var db = SampleDatabase.Seeded(_temp, "DAY", Site, 30, seed: 1);
        var before = db.CountAll();
        var summary = BusinessDay.Simulate(db.Connection, Site, KeyLow, new Random(2), new BusinessDayOptions
        {
            Day = Day, NewMembers = 5, Entries = 12, Sales = 4, MemberUpdates = 6, SaleDeletes = 2,
        });
        var after = db.CountAll();

        Assert.All(SampleSchema.AllTables, t => Assert.Equal(after[t] - before[t], summary.For(t).Inserted - summary.For(t).Deleted));
        Assert.Equal(5, summary.For("MEMBERS").Inserted);
        Assert.Equal(6, summary.For("MEMBERS").Updated);
        Assert.Equal(5, summary.For("SUBSCRIPTIONS").Inserted);
        Assert.Equal(12, summary.For("ENTRIES").Inserted);
        Assert.Equal((4, 2), (summary.For("SALES").Inserted, summary.For("SALES").Deleted));
        Assert.InRange(summary.For("SALE_LINES").Inserted, 4, 12);
        Assert.True(summary.For("SALE_LINES").Deleted >= 2 && summary.For("PAYMENTS").Deleted >= 2, summary.ToString());
        Assert.Equal(summary.For("SALES").Inserted + summary.For("PAYMENTS").Inserted + 1, summary.For("Accounting Entries").Inserted);   // + the till's closing
        Assert.Equal(1, summary.For("WORKSTATION_SETTINGS").Updated);
        Assert.Equal(0, summary.For("SUBSCRIPTION_TYPES").Inserted + summary.For("SUBSCRIPTION_TYPES").Updated + summary.For("SUBSCRIPTION_TYPES").Deleted);

        // Everything written is dated on the simulated day, never on today's clock.
        Assert.Equal(12, db.Long("SELECT COUNT(*) FROM ENTRIES WHERE CAST(ENTERED_AT AS DATE) = ?", Day));
        Assert.InRange(db.Long("SELECT COUNT(*) FROM SALES WHERE CAST(SOLD_AT AS DATE) = ?", Day), 2, 4);   // a cancelled sale may be one of the day's
        Assert.Equal(5, db.Long("SELECT COUNT(*) FROM MEMBERS WHERE CAST(CREATED_AT AS DATE) = ?", Day));
        Assert.Equal(1, db.Long("SELECT COUNT(*) FROM \"Accounting Entries\" WHERE ACCOUNT = '580000' AND ENTRY_DATE = ?", Day));
    }

    [Fact]
    public void New_keys_come_from_the_generators_in_the_sites_range()
    {
        using var db = SampleDatabase.Seeded(_temp, "KEYS", Site, 20, seed: 1);
        var lastMember = db.Long("SELECT MAX(ID) FROM MEMBERS");
        var lastSale = db.Long("SELECT MAX(ID) FROM SALES");
        BusinessDay.Simulate(db.Connection, Site, KeyLow, new Random(3), new BusinessDayOptions { Day = Day, NewMembers = 3, Sales = 3, SaleDeletes = 0 });

        Assert.Equal(new object?[] { lastMember + 1, lastMember + 2, lastMember + 3 }, db.Column("SELECT ID FROM MEMBERS WHERE ID > ? ORDER BY ID", lastMember));
        Assert.Equal(lastMember + 3, db.Long("SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE"));
        Assert.Equal(new object?[] { lastSale + 1, lastSale + 2, lastSale + 3 }, db.Column("SELECT ID FROM SALES WHERE ID > ? ORDER BY ID", lastSale));
        Assert.Equal(db.Long("SELECT GEN_ID(GEN_ENTRIES, 0) FROM RDB$DATABASE"), db.Long("SELECT MAX(ID) FROM ENTRIES"));
        Assert.Equal(db.Long("SELECT GEN_ID(GEN_ACCOUNTING, 0) FROM RDB$DATABASE"), db.Long("SELECT MAX(ID) FROM \"Accounting Entries\""));
    }

    [Fact]
    public void The_same_seed_on_the_same_database_gives_the_same_day()
    {
        using var a = SampleDatabase.Seeded(_temp, "A", Site, 25, seed: 4);
        using var b = SampleDatabase.Seeded(_temp, "B", Site, 25, seed: 4);
        var options = new BusinessDayOptions { Day = Day, ConflictMemberIds = new[] { KeyLow + 1 } };
        for (var day = 0; day < 2; day++)
        {
            var next = options with { Day = Day.AddDays(day) };
            var first = BusinessDay.Simulate(a.Connection, Site, KeyLow, new Random(100 + day), next);
            var second = BusinessDay.Simulate(b.Connection, Site, KeyLow, new Random(100 + day), next);
            Assert.Equal(first.Tables, second.Tables);
        }
        Assert.All(DatabaseComparer.Compare(a.Connection, b.Connection, SampleSchema.AllTables), t => Assert.True(t.Identical, t.ToString()));

        // A different seed makes a different day (the comparison above is not vacuous).
        BusinessDay.Simulate(b.Connection, Site, KeyLow, new Random(999), options with { Day = Day.AddDays(2) });
        BusinessDay.Simulate(a.Connection, Site, KeyLow, new Random(998), options with { Day = Day.AddDays(2) });
        Assert.Contains(DatabaseComparer.Compare(a.Connection, b.Connection, SampleSchema.AllTables), t => !t.Identical);
    }

    [Fact]
    public void Conflict_update_and_delete_lists_touch_exactly_the_members_named()
    {
        using var db = SampleDatabase.Seeded(_temp, "RACE", Site, 30, seed: 2);
        long conflict = KeyLow + 1, updated = KeyLow + 2, deleted = KeyLow + 3;
        // The member who leaves has history of every kind: an entry, a subscription, a sale, a member they sponsored.
        db.Sql("INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (GEN_ID(GEN_ENTRIES, 1), ?, ?, 1)", deleted, Day.AddDays(-3));
        db.Sql("INSERT INTO SUBSCRIPTIONS (ID, MEMBER_ID, TYPE_CODE, START_DATE, END_DATE, AMOUNT) VALUES (GEN_ID(GEN_SUBSCRIPTIONS, 1), ?, 'YEAR', ?, ?, 420)", deleted, Day.AddDays(-30), Day.AddDays(335));
        db.Sql("INSERT INTO SALES (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (GEN_ID(GEN_SALES, 1), ?, ?, 10)", deleted, Day.AddDays(-3));
        db.Sql("UPDATE MEMBERS SET SPONSOR_ID = ? WHERE ID = ?", deleted, KeyLow + 4);
        var saleOfTheLeaver = db.Long("SELECT GEN_ID(GEN_SALES, 0) FROM RDB$DATABASE");

        var summary = BusinessDay.Simulate(db.Connection, Site, KeyLow, new Random(8), new BusinessDayOptions
        {
            Day = Day, Entries = 300, Sales = 40, MemberUpdates = 40, NewMembers = 10, SaleDeletes = 0,
            ConflictMemberIds = new[] { conflict }, UpdateMemberIds = new[] { updated }, DeleteMemberIds = new[] { deleted },
        });

        Assert.Equal("Solde corrigé à l'accueil du club n° 2 le 14/03/2026.", db.Scalar("SELECT NOTES FROM MEMBERS WHERE ID = ?", conflict));
        Assert.InRange((decimal)db.Scalar("SELECT BALANCE FROM MEMBERS WHERE ID = ?", conflict)!, 200m, 299m);
        Assert.Equal($"nouvelle.adresse.{updated}@club2.example", db.Scalar("SELECT EMAIL FROM MEMBERS WHERE ID = ?", updated));
        Assert.Equal("Coordonnées mises à jour au club n° 2 le 14/03/2026.", db.Scalar("SELECT NOTES FROM MEMBERS WHERE ID = ?", updated));

        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM MEMBERS WHERE ID = ?", deleted));
        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM ENTRIES WHERE MEMBER_ID = ?", deleted));
        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM SUBSCRIPTIONS WHERE MEMBER_ID = ?", deleted));
        Assert.Null(db.Scalar("SELECT MEMBER_ID FROM SALES WHERE ID = ?", saleOfTheLeaver));
        Assert.Null(db.Scalar("SELECT SPONSOR_ID FROM MEMBERS WHERE ID = ?", KeyLow + 4));
        Assert.Equal(1, summary.For("MEMBERS").Deleted);

        // The random activity left the raced members alone, however busy the day.
        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM ENTRIES WHERE MEMBER_ID IN (?, ?) AND CAST(ENTERED_AT AS DATE) = ?", updated, deleted, Day));
        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM SALES WHERE MEMBER_ID IN (?, ?) AND CAST(SOLD_AT AS DATE) = ?", updated, deleted, Day));
        Assert.Equal(0, db.Long("SELECT COUNT(*) FROM MEMBERS WHERE SPONSOR_ID IN (?, ?) AND CAST(CREATED_AT AS DATE) = ?", updated, deleted, Day));
    }

    [Fact]
    public void Members_to_avoid_are_left_exactly_as_they_were()
    {
        using var a = SampleDatabase.Seeded(_temp, "AVOID", Site, 12, seed: 3);
        using var untouched = SampleDatabase.Seeded(_temp, "UNTOUCHED", Site, 12, seed: 3);
        var avoided = Enumerable.Range(1, 6).Select(i => KeyLow + i).ToArray();
        BusinessDay.Simulate(a.Connection, Site, KeyLow, new Random(5), new BusinessDayOptions
        {
            Day = Day, Entries = 100, Sales = 20, MemberUpdates = 30, NewMembers = 6, SaleDeletes = 3, AvoidMemberIds = avoided,
        });

        // Compared with an untouched copy, every member but the avoided ones may have changed; those are the same bytes.
        var changed = DatabaseComparer.DifferingKeys(a.Connection, untouched.Connection, "MEMBERS").Select(k => (long)k[0]!).ToList();
        Assert.True(changed.Count > avoided.Length, "the day changed members");
        Assert.Empty(changed.Intersect(avoided));
        Assert.Equal(0, a.Long($"SELECT COUNT(*) FROM ENTRIES WHERE MEMBER_ID BETWEEN {KeyLow + 1} AND {KeyLow + 6} AND CAST(ENTERED_AT AS DATE) = ?", Day));
        Assert.Equal(0, a.Long($"SELECT COUNT(*) FROM SALES WHERE MEMBER_ID BETWEEN {KeyLow + 1} AND {KeyLow + 6} AND CAST(SOLD_AT AS DATE) = ?", Day));
    }

    [Fact]
    public void A_day_works_on_members_that_came_from_another_site()
    {
        // This database holds site 2's rows only (as a new site does after its first night); it now works as site 3.
        using var db = SampleDatabase.Seeded(_temp, "SITE3", Site, 20, seed: 6);
        const long keyLow3 = 3 * SampleDatabase.Range;
        foreach (var generator in SampleSchema.Generators) db.Sql($"ALTER SEQUENCE {generator} RESTART WITH {keyLow3}");
        var site2Sales = db.Long("SELECT COUNT(*) FROM SALES");

        var summary = BusinessDay.Simulate(db.Connection, 3, keyLow3, new Random(9), new BusinessDayOptions
        {
            Day = Day, NewMembers = 2, Entries = 30, Sales = 5, SaleDeletes = 2, MemberUpdates = 10,
        });

        Assert.Equal(new object?[] { keyLow3 + 1, keyLow3 + 2 }, db.Column("SELECT ID FROM MEMBERS WHERE ID >= ? ORDER BY ID", keyLow3));
        Assert.True(db.Long("SELECT COUNT(*) FROM ENTRIES WHERE ID > ? AND MEMBER_ID < ?", keyLow3, keyLow3) > 0, "entries of members that came from site 2");
        Assert.True(summary.For("MEMBERS").Updated == 10);
        // Only this site's own sales are cancelled: site 2's are all there.
        Assert.Equal(site2Sales, db.Long("SELECT COUNT(*) FROM SALES WHERE ID < ?", keyLow3));
        Assert.Equal(2, summary.For("SALES").Deleted);
        Assert.Equal(3, db.Long("SELECT COUNT(*) FROM SALES WHERE ID > ?", keyLow3));
        Assert.Equal("printer=none", db.Scalar("SELECT SETTING_VALUE FROM WORKSTATION_SETTINGS WHERE WORKSTATION = 'POS2-2'"));
        Assert.NotNull(db.Scalar("SELECT SETTING_VALUE FROM WORKSTATION_SETTINGS WHERE WORKSTATION = 'POS3-1'"));
        Assert.Equal(1, summary.For("WORKSTATION_SETTINGS").Inserted);
    }

    public void Dispose() => _temp.Dispose();
}
