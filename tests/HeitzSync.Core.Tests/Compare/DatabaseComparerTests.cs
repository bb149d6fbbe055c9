using System.Text;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Tests.Demo;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Compare;

/// <summary>Two real databases seeded identically, then changed on one side by one byte, one row, one column.</summary>
[Trait("Category", "Firebird")]
public sealed class DatabaseComparerTests : IDisposable
{
    private const long KeyLow = 2 * SampleDatabase.Range;
    private readonly TempFolder _temp = new("hz-compare");
    private readonly SampleDatabase _left;
    private readonly SampleDatabase _right;

    public DatabaseComparerTests()
    {
        _left = SampleDatabase.Seeded(_temp, "LEFT", 2, 30, seed: 7);
        _right = SampleDatabase.Seeded(_temp, "RIGHT", 2, 30, seed: 7);
    }

    private IReadOnlyList<TableComparison> CompareAll() => DatabaseComparer.Compare(_left.Connection, _right.Connection, SampleSchema.AllTables);

    private TableComparison CompareOne(string table) => DatabaseComparer.Compare(_left.Connection, _right.Connection, new[] { table }).Single();

    /// <summary>Only <paramref name="table"/> differs, and by exactly one row.</summary>
    private RowDifference SingleDifference(string table)
    {
        var all = CompareAll();
        Assert.All(all.Where(t => t.Table != table), t => Assert.True(t.Identical, t.ToString()));
        var comparison = all.Single(t => t.Table == table);
        Assert.False(comparison.Identical);
        Assert.Equal(1, comparison.DifferingRows);
        Assert.NotEqual(comparison.ChecksumLeft, comparison.ChecksumRight);
        var difference = Assert.Single(comparison.Differences);
        Assert.Equal(table, difference.Table);
        return difference;
    }

    [Fact]
    public void Identically_seeded_databases_are_identical_row_for_row()
    {
        var all = CompareAll();
        Assert.Equal(SampleSchema.AllTables, all.Select(t => t.Table));
        foreach (var table in all)
        {
            Assert.True(table.Identical, table.ToString());
            Assert.Equal(_left.Count(table.Table), table.RowsLeft);
            Assert.Equal(table.RowsLeft, table.RowsRight);
            Assert.Matches("^[0-9a-f]{64}$", table.ChecksumLeft);
            Assert.Equal(table.ChecksumLeft, table.ChecksumRight);
            Assert.Null(table.SchemaDifference);
            Assert.Empty(table.Differences);
        }
        Assert.NotEqual(all[0].ChecksumLeft, all[1].ChecksumLeft);
    }

    [Fact]
    public void One_changed_byte_in_a_WIN1252_name_is_found()
    {
        var (id, name) = FirstMemberWith("FIRST_NAME", b => b.Contains((byte)0xE9));   // é
        name[Array.IndexOf(name, (byte)0xE9)] = 0xEA;                                   // ê: one byte, same length
        _right.Sql("UPDATE MEMBERS SET FIRST_NAME = ? WHERE ID = ?", new FbRawText(name), id);

        var difference = SingleDifference("MEMBERS");
        Assert.Equal($"ID={id}", difference.Key);
        Assert.Equal(RowDifferenceKind.ColumnsDiffer, difference.Kind);
        Assert.Equal("FIRST_NAME", difference.Columns);
        Assert.Equal("columns differ: FIRST_NAME", difference.What);
    }

    [Fact]
    public void One_changed_byte_in_a_100_KB_photo_is_found()
    {
        var id = _left.Long("SELECT MIN(ID) FROM MEMBERS WHERE OCTET_LENGTH(PHOTO) >= 100000");
        var photo = _right.Bytes("SELECT PHOTO FROM MEMBERS WHERE ID = ?", id);
        photo[60_000] ^= 0x01;
        _right.Sql("UPDATE MEMBERS SET PHOTO = ? WHERE ID = ?", photo, id);

        var difference = SingleDifference("MEMBERS");
        Assert.Equal($"ID={id}", difference.Key);
        Assert.Equal("PHOTO", difference.Columns);
    }

    [Fact]
    public void Notes_a_tenth_of_a_millisecond_and_a_cent_are_differences_too()
    {
        var (id, notes) = FirstMemberWith("NOTES", b => b.Length > 10);
        notes[3] ^= 0x20;
        _right.Sql("UPDATE MEMBERS SET NOTES = ?, CREATED_AT = DATEADD(MILLISECOND, 0.1, CREATED_AT), BALANCE = BALANCE + 0.01 WHERE ID = ?", new FbRawText(notes), id);
        Assert.NotEqual(_left.Scalar("SELECT CREATED_AT FROM MEMBERS WHERE ID = ?", id), _right.Scalar("SELECT CREATED_AT FROM MEMBERS WHERE ID = ?", id));

        var difference = SingleDifference("MEMBERS");
        Assert.Equal("BALANCE, CREATED_AT, NOTES", difference.Columns);
    }

    [Fact]
    public void A_missing_line_of_a_sale_is_found_by_its_composite_key()
    {
        var saleId = _left.Long("SELECT MIN(SALE_ID) FROM SALE_LINES WHERE LINE_NO = 2");
        _right.Sql("DELETE FROM SALE_LINES WHERE SALE_ID = ? AND LINE_NO = 2", saleId);

        var difference = SingleDifference("SALE_LINES");
        Assert.Equal($"SALE_ID={saleId}, LINE_NO=2", difference.Key);
        Assert.Equal(RowDifferenceKind.OnlyLeft, difference.Kind);
        Assert.Equal("only in the first database", difference.What);
        var comparison = CompareOne("SALE_LINES");
        Assert.Equal(comparison.RowsLeft - 1, comparison.RowsRight);

        var key = Assert.Single(DatabaseComparer.DifferingKeys(_left.Connection, _right.Connection, "SALE_LINES"));
        Assert.Equal(new object?[] { saleId, (short)2 }, key);
    }

    [Fact]
    public void Extra_and_missing_rows_of_the_quoted_accounting_table_are_found_in_key_order()
    {
        var missing = _left.Long("SELECT MIN(ID) FROM \"Accounting Entries\"") + 1;
        _right.Sql("DELETE FROM \"Accounting Entries\" WHERE ID = ?", missing);
        _right.Sql("INSERT INTO \"Accounting Entries\" (ID, ENTRY_DATE, ENTRY_TIME, ACCOUNT, DEBIT, CREDIT, LABEL) VALUES (?, '2026-01-02', '10:11:12.1234', '471000', 1.5, 0, ?)", KeyLow + 999_000, "Écart à justifier");

        var comparison = CompareAll().Single(t => t.Table == "Accounting Entries");
        Assert.False(comparison.Identical);
        Assert.Equal(comparison.RowsLeft, comparison.RowsRight);   // same count, different rows: counts alone would miss it
        Assert.Equal(2, comparison.DifferingRows);
        Assert.Equal(new[] { ($"ID={missing}", RowDifferenceKind.OnlyLeft), ($"ID={KeyLow + 999_000}", RowDifferenceKind.OnlyRight) },
            comparison.Differences.Select(d => (d.Key, d.Kind)));
        Assert.All(comparison.Differences, d => Assert.Equal("Accounting Entries", d.Table));
    }

    [Fact]
    public void Text_keys_are_shown_decoded_and_matched_by_their_bytes()
    {
        _left.Sql("INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES (?, ?, 99, 2)", "ÉTÉ", "Été");
        var label = _right.Bytes("SELECT LABEL FROM SUBSCRIPTION_TYPES WHERE CODE = 'STUDENT'");
        label[0] = (byte)'e';   // 'É' (0xC9) becomes 'e'
        _right.Sql("UPDATE SUBSCRIPTION_TYPES SET LABEL = ? WHERE CODE = 'STUDENT'", new FbRawText(label));

        var comparison = CompareOne("SUBSCRIPTION_TYPES");
        Assert.Equal(new[] { ("CODE='STUDENT'", RowDifferenceKind.ColumnsDiffer, "LABEL"), ("CODE='ÉTÉ'", RowDifferenceKind.OnlyLeft, "") },
            comparison.Differences.Select(d => (d.Key, d.Kind, d.Columns)));
        var keys = DatabaseComparer.DifferingKeys(_left.Connection, _right.Connection, "SUBSCRIPTION_TYPES");
        Assert.Equal(new[] { "STUDENT", "ÉTÉ" }, keys.Select(k => Encoding.Latin1.GetString(((FbRawText)k[0]!).Bytes)));
    }

    [Fact]
    public void The_merge_follows_stored_bytes_whatever_the_collation_of_the_key()
    {
        // PXW_INTL orders like a French dictionary (a, b, B, éclair, Éric, z), not by bytes: the merge must not care.
        const string ddl = "CREATE TABLE PRODUCTS (NAME VARCHAR(20) CHARACTER SET WIN1252 NOT NULL COLLATE PXW_INTL, PRICE NUMERIC(9,2), PRIMARY KEY (NAME))";
        _left.Sql(ddl);
        _right.Sql(ddl);
        foreach (var name in new[] { "a", "b", "B", "éclair", "Éric", "z", "fraise" }) _left.Sql("INSERT INTO PRODUCTS VALUES (?, 1)", name);
        foreach (var name in new[] { "a", "b", "B", "éclair", "Éric", "z", "écrou" }) _right.Sql("INSERT INTO PRODUCTS VALUES (?, 1)", name);
        _right.Sql("UPDATE PRODUCTS SET PRICE = 2 WHERE NAME = ?", "Éric");   // a parameter: literals in SQL text have no character set on a NONE attachment

        var comparison = CompareOne("PRODUCTS");
        Assert.Equal(3, comparison.DifferingRows);
        Assert.Equal(new[] { "NAME='fraise'", "NAME='Éric'", "NAME='écrou'" }, comparison.Differences.Select(d => d.Key));
        Assert.Equal(new[] { RowDifferenceKind.OnlyLeft, RowDifferenceKind.ColumnsDiffer, RowDifferenceKind.OnlyRight }, comparison.Differences.Select(d => d.Kind));
    }

    [Fact]
    public void Reading_through_UTF8_attachments_compares_the_same_bytes()
    {
        // 0x81 has no Unicode character in WIN1252: a UTF8 attachment could not even read it; the comparer reads through NONE.
        var id = _left.Long("SELECT MIN(ID) FROM MEMBERS");
        var unmapped = new FbRawText(new byte[] { 0x41, 0x81, 0x42 });
        _left.Sql("UPDATE MEMBERS SET LAST_NAME = ? WHERE ID = ?", unmapped, id);
        _right.Sql("UPDATE MEMBERS SET LAST_NAME = ? WHERE ID = ?", unmapped, id);
        var throughNone = CompareAll();

        using var leftUtf8 = FbConnection.Open(_left.Settings with { Charset = "UTF8" });
        using var rightUtf8 = FbConnection.Open(_right.Settings with { Charset = "UTF8" });
        var throughUtf8 = DatabaseComparer.Compare(leftUtf8, rightUtf8, SampleSchema.AllTables);
        Assert.All(throughUtf8, t => Assert.True(t.Identical, t.ToString()));
        Assert.Equal(throughNone.Select(t => t.ChecksumLeft), throughUtf8.Select(t => t.ChecksumLeft));

        _right.Sql("UPDATE MEMBERS SET LAST_NAME = ? WHERE ID = ?", new FbRawText(new byte[] { 0x41, 0x8D, 0x42 }), id);
        var difference = Assert.Single(DatabaseComparer.Compare(leftUtf8, rightUtf8, new[] { "MEMBERS" }).Single().Differences);
        Assert.Equal(("LAST_NAME", $"ID={id}"), (difference.Columns, difference.Key));
    }

    [Fact]
    public void The_list_of_differences_is_capped_but_every_differing_row_is_counted()
    {
        _right.Sql("UPDATE ENTRIES SET GATE = GATE + 10 WHERE ID <= ?", KeyLow + 25);
        var comparison = CompareOne("ENTRIES");
        Assert.Equal(25, comparison.DifferingRows);
        Assert.Equal(DatabaseComparer.MaxDifferencesPerTable, comparison.Differences.Count);
        Assert.Equal($"ID={KeyLow + 1}", comparison.Differences[0].Key);
        Assert.All(comparison.Differences, d => Assert.Equal("GATE", d.Columns));

        var five = DatabaseComparer.Compare(_left.Connection, _right.Connection, new[] { "ENTRIES" }, maxDifferencesPerTable: 5).Single();
        Assert.Equal((25L, 5), (five.DifferingRows, five.Differences.Count));
        Assert.Equal(25, DatabaseComparer.DifferingKeys(_left.Connection, _right.Connection, "ENTRIES").Count);
    }

    [Fact]
    public void Schema_differences_are_reported_not_thrown()
    {
        _right.Sql("ALTER TABLE WORKSTATION_SETTINGS ADD UPDATED_BY VARCHAR(30)");
        _left.Sql("CREATE TABLE ONLY_LEFT (ID INTEGER NOT NULL PRIMARY KEY)");
        _left.Sql("INSERT INTO ONLY_LEFT VALUES (1)");
        _left.Sql("CREATE TABLE NO_KEY (A INTEGER)");
        _right.Sql("CREATE TABLE NO_KEY (A INTEGER)");
        _left.Sql("INSERT INTO NO_KEY VALUES (1)");
        _right.Sql("INSERT INTO NO_KEY VALUES (1)");

        var results = DatabaseComparer.Compare(_left.Connection, _right.Connection, new[] { "WORKSTATION_SETTINGS", "ONLY_LEFT", "NO_KEY", "NOWHERE" }).ToDictionary(t => t.Table);

        var extraColumn = results["WORKSTATION_SETTINGS"];
        Assert.False(extraColumn.Identical);
        Assert.Equal("columns only in the second database: UPDATED_BY", extraColumn.SchemaDifference);
        Assert.Equal(0, extraColumn.DifferingRows);   // the shared columns hold the same values

        var onlyLeft = results["ONLY_LEFT"];
        Assert.Equal("the table does not exist in the second database", onlyLeft.SchemaDifference);
        Assert.Equal((1L, 0L), (onlyLeft.RowsLeft, onlyLeft.RowsRight));
        Assert.Equal(RowDifferenceKind.OnlyLeft, Assert.Single(onlyLeft.Differences).Kind);

        var noKey = results["NO_KEY"];
        Assert.False(noKey.Identical);
        Assert.Equal((1L, 1L), (noKey.RowsLeft, noKey.RowsRight));
        Assert.Contains("no primary key", noKey.SchemaDifference);
        var error = Assert.Throws<InvalidOperationException>(() => DatabaseComparer.DifferingKeys(_left.Connection, _right.Connection, "NO_KEY"));
        Assert.Contains("NO_KEY", error.Message);

        Assert.Equal("the table does not exist in either database", results["NOWHERE"].SchemaDifference);
        Assert.False(results["NOWHERE"].Identical);
    }

    [Fact]
    public void A_cancelled_comparison_stops()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => DatabaseComparer.Compare(_left.Connection, _right.Connection, new[] { "MEMBERS" }, cancellationToken: cancelled.Token));
    }

    /// <summary>The first member (by id) whose column's stored bytes match, and those bytes.</summary>
    private (long Id, byte[] Bytes) FirstMemberWith(string column, Func<byte[], bool> match)
    {
        foreach (var id in _left.Column($"SELECT ID FROM MEMBERS WHERE {column} IS NOT NULL ORDER BY ID").Cast<long>())
        {
            var bytes = _left.Bytes($"SELECT {column} FROM MEMBERS WHERE ID = ?", id);
            if (match(bytes)) return (id, bytes);
        }
        throw new InvalidOperationException($"The seed has no member whose {column} matches: change the seed.");
    }

    public void Dispose()
    {
        _left.Dispose();
        _right.Dispose();
        _temp.Dispose();
    }
}
