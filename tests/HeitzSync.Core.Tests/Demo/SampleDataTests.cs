using System.Text;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Demo;

[Trait("Category", "Firebird")]
public sealed class SampleDataTests : IDisposable
{
    private static readonly Encoding Win1252;
    private readonly TempFolder _temp = new("hz-demo-seed");

    static SampleDataTests()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        Win1252 = Encoding.GetEncoding(1252);
    }

    [Fact]
    public void A_seed_writes_years_of_a_sites_own_rows_and_says_how_many()
    {
        const int site = 3;
        const long keyLow = site * SampleDatabase.Range;
        using var db = SampleDatabase.Create(_temp, "SITE3");
        var summary = SampleData.SeedExisting(db.Connection, site, keyLow, 40, new Random(3));

        var counts = db.CountAll();
        Assert.All(SampleSchema.AllTables, t => Assert.Equal(counts[t], summary.For(t).Inserted));
        Assert.Equal(0, summary.Updated);
        Assert.Equal(0, summary.Deleted);
        Assert.Equal(40, counts["MEMBERS"]);
        Assert.Equal(5, counts["SUBSCRIPTION_TYPES"]);
        Assert.Equal(20, counts["SALES"]);
        Assert.Equal(2, counts["WORKSTATION_SETTINGS"]);
        Assert.InRange(counts["SALE_LINES"], 20, 60);
        Assert.InRange(counts["PAYMENTS"], 20, 40);
        Assert.Equal(counts["PAYMENTS"] + counts["SALES"] + 12, counts["Accounting Entries"]);   // a credit per sale, a debit per payment, 12 rents
        Assert.True(counts["ENTRIES"] > 0 && counts["SUBSCRIPTIONS"] > 0);

        // Every key in the site's own range, from keyLow + 1.
        foreach (var (table, key) in new[] { ("MEMBERS", "ID"), ("SUBSCRIPTIONS", "ID"), ("ENTRIES", "ID"), ("SALES", "ID"), ("PAYMENTS", "ID"), ("Accounting Entries", "ID"), ("SALE_LINES", "SALE_ID") })
        {
            Assert.Equal(keyLow + 1, db.Long($"SELECT MIN({key}) FROM \"{table}\""));
            Assert.InRange(db.Long($"SELECT MAX({key}) FROM \"{table}\""), keyLow + 1, keyLow + 100_000);
        }

        // Photos: one in five members, the first of every fifty about 100 KB; sponsors are members of the same site.
        Assert.Equal(8, db.Long("SELECT COUNT(*) FROM MEMBERS WHERE PHOTO IS NOT NULL"));
        Assert.Equal(1, db.Long("SELECT COUNT(*) FROM MEMBERS WHERE OCTET_LENGTH(PHOTO) >= 100000"));
        Assert.True(db.Long("SELECT COUNT(*) FROM MEMBERS WHERE SPONSOR_ID IS NOT NULL") > 0);
        Assert.True(db.Long("SELECT COUNT(*) FROM SALES WHERE MEMBER_ID IS NULL") > 0, "walk-in sales have no member");
        Assert.Equal(new object?[] { "POS3-1", "POS3-2" }, db.Column("SELECT WORKSTATION FROM WORKSTATION_SETTINGS ORDER BY 1"));
    }

    [Fact]
    public void Accented_names_and_notes_are_stored_as_WIN1252_bytes()
    {
        using var db = SampleDatabase.Seeded(_temp, "ACCENTS", 2, 30, seed: 11);
        var ids = db.Column("SELECT ID FROM MEMBERS ORDER BY ID").Cast<long>().ToList();
        var expectedNames = ClubActivity.FirstNames.Select(n => Win1252.GetBytes(n)).ToList();
        var expectedNotes = ClubActivity.Notes.Select(n => Win1252.GetBytes(n)).ToList();
        var accented = 0;
        foreach (var id in ids)
        {
            var first = db.Bytes("SELECT FIRST_NAME FROM MEMBERS WHERE ID = ?", id);
            Assert.Contains(expectedNames, n => n.SequenceEqual(first));
            if (first.Any(b => b >= 0x80)) accented++;
            if (db.Scalar("SELECT NOTES FROM MEMBERS WHERE ID = ?", id) is not null)
            {
                var notes = db.Bytes("SELECT NOTES FROM MEMBERS WHERE ID = ?", id);
                Assert.Contains(expectedNotes, n => n.SequenceEqual(notes));
            }
        }
        Assert.True(accented > 10, $"only {accented} accented first names");
        // "Hélène" is 6 bytes in WIN1252 (8 in UTF-8).
        Assert.Equal(new byte[] { 0x48, 0xE9, 0x6C, 0xE8, 0x6E, 0x65 }, Win1252.GetBytes("Hélène"));
        Assert.Equal("Étudiant (mensuel)", db.Scalar("SELECT LABEL FROM SUBSCRIPTION_TYPES WHERE CODE = 'STUDENT'"));
        Assert.Equal(Encoding.Latin1.GetBytes("Étudiant (mensuel)"), db.Bytes("SELECT LABEL FROM SUBSCRIPTION_TYPES WHERE CODE = 'STUDENT'"));
    }

    [Fact]
    public void The_same_seed_gives_the_same_rows_and_every_site_holds_the_same_reference_rows()
    {
        using var a = SampleDatabase.Create(_temp, "A");
        using var b = SampleDatabase.Create(_temp, "B");
        using var other = SampleDatabase.Create(_temp, "OTHER");
        SampleData.SeedExisting(a.Connection, 2, 2 * SampleDatabase.Range, new Random(5));      // the default: 200 members
        SampleData.SeedExisting(b.Connection, 2, 2 * SampleDatabase.Range, new Random(5));
        SampleData.SeedExisting(other.Connection, 4, 4 * SampleDatabase.Range, 30, new Random(6));
        Assert.Equal(200, a.Count("MEMBERS"));

        var same = DatabaseComparer.Compare(a.Connection, b.Connection, SampleSchema.AllTables);
        Assert.All(same, t => Assert.True(t.Identical, t.ToString()));

        var across = DatabaseComparer.Compare(a.Connection, other.Connection, SampleSchema.AllTables).ToDictionary(t => t.Table);
        Assert.True(across["SUBSCRIPTION_TYPES"].Identical, "the reference rows are the same at every site");
        // The sites' own rows never share a key: every row is on one side only.
        foreach (var table in SampleSchema.AllTables.Where(t => t != "SUBSCRIPTION_TYPES"))
        {
            var c = across[table];
            Assert.Equal(c.RowsLeft + c.RowsRight, c.DifferingRows);
        }
        Assert.Equal(4, across["WORKSTATION_SETTINGS"].DifferingRows);
    }

    [Fact]
    public void A_negative_number_of_members_is_refused()
    {
        using var db = SampleDatabase.Create(_temp, "NEG");
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleData.SeedExisting(db.Connection, 1, SampleDatabase.Range, -1, new Random(1)));
    }

    public void Dispose() => _temp.Dispose();
}
