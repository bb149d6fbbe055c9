using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class TypeTests : DatabaseTest
{
    public TypeTests(ServerFixture server) : base(server) { }

    private const string Table = @"CREATE TABLE T (
        ID INTEGER NOT NULL PRIMARY KEY, SM SMALLINT, BI BIGINT, NU NUMERIC(18,4), DE DECIMAL(9,2), FL FLOAT, DB DOUBLE PRECISION,
        CH CHAR(5) CHARACTER SET ISO8859_1, VC VARCHAR(40) CHARACTER SET WIN1252, U8 VARCHAR(40) CHARACTER SET UTF8, NN VARCHAR(40) CHARACTER SET NONE,
        DA DATE, TI TIME, TS TIMESTAMP, BO BOOLEAN, BB BLOB SUB_TYPE BINARY, TB BLOB SUB_TYPE TEXT CHARACTER SET WIN1252)";

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Every_type_round_trips_and_null_in_every_type(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction(Table);
        var values = new object?[]
        {
            1, (short)-32768, long.MaxValue, -99999999999999.9999m, 1234567.89m, 1.5f, Math.PI,
            "ab", "Hélène Lefèvre", "Zoë ✓ 東京", "plain", new DateTime(2024, 2, 29), new TimeSpan(0, 23, 59, 59, 999),
            new DateTime(1999, 12, 31, 23, 59, 59, 123).AddTicks(4000), true, new byte[] { 0, 1, 2, 255 }, "Crème brûlée",
        };
        db.ExecuteInNewTransaction("INSERT INTO T VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values);
        db.ExecuteInNewTransaction("INSERT INTO T (ID) VALUES (2)");
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT * FROM T ORDER BY ID");
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal((short)-32768, reader.GetInt16(1));
        Assert.Equal(long.MaxValue, reader.GetInt64(2));
        Assert.Equal(-99999999999999.9999m, reader.GetDecimal(3));
        Assert.Equal(1234567.89m, reader.GetDecimal(4));
        Assert.Equal(FbDbType.Numeric, reader.GetColumn(3).Type);
        Assert.Equal(1.5f, (float)reader.GetValue(5)!);
        Assert.Equal(Math.PI, reader.GetDouble(6));
        Assert.Equal("ab   ", reader.GetString(7));
        Assert.Equal("Hélène Lefèvre", reader.GetString(8));
        Assert.Equal("Zoë ✓ 東京", reader.GetString(9));
        Assert.Equal("plain", reader.GetString(10));
        Assert.Equal(new DateTime(2024, 2, 29), reader.GetDateTime(11));
        Assert.Equal(new TimeSpan(0, 23, 59, 59, 999), reader.GetTimeSpan(12));
        Assert.Equal(new DateTime(1999, 12, 31, 23, 59, 59, 123).AddTicks(4000), reader.GetDateTime(13));
        Assert.True(reader.GetBoolean(14));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, reader.GetBytes(15));
        Assert.Equal("Crème brûlée", reader.GetString(16));
        Assert.True(reader.Read());
        for (var i = 1; i < reader.FieldCount; i++)
        {
            Assert.True(reader.IsDBNull(i), $"column {reader.GetName(i)} should be NULL");
            Assert.Null(reader.GetValue(i));
        }
        Assert.False(reader.Read());
    }

    [Fact]
    public void Numeric_keeps_every_digit_and_refuses_to_lose_one()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE M (ID INTEGER NOT NULL PRIMARY KEY, A NUMERIC(18,4), B NUMERIC(4,2))");
        db.ExecuteInNewTransaction("INSERT INTO M VALUES (1, ?, ?)", 922337203685477.5807m, -99.99m);
        db.ExecuteInNewTransaction("INSERT INTO M VALUES (2, ?, ?)", -922337203685477.5808m, 0.01m);
        using var tx = db.BeginTransaction();
        Assert.Equal(922337203685477.5807m, db.ExecuteScalar(tx, "SELECT A FROM M WHERE ID = 1"));
        Assert.Equal(-922337203685477.5808m, db.ExecuteScalar(tx, "SELECT A FROM M WHERE ID = 2"));
        Assert.Equal(-99.99m, db.ExecuteScalar(tx, "SELECT B FROM M WHERE ID = 1"));
        var error = Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE M SET B = ? WHERE ID = 1", 1.234m));
        Assert.Contains("decimals", error.Message);
    }

    [Theory]
    [InlineData("WIN1252", "E9", "Hélène Lefèvre", "48E96CE86E65204C6566E8767265")]
    [InlineData("ISO8859_1", "E9", "Hélène Lefèvre", "48E96CE86E65204C6566E8767265")]
    [InlineData("UTF8", "C3A9", "Hélène Lefèvre", "48C3A96CC3A86E65204C6566C3A8767265")]
    public void Text_survives_byte_for_byte_in_every_charset(string charset, string eAcute, string text, string expectedHex)
    {
        using var db = Create(Mode.Embedded, charset: "NONE", name: charset + ".fdb");
        db.ExecuteInNewTransaction($"CREATE TABLE C (ID INTEGER NOT NULL PRIMARY KEY, S VARCHAR(40) CHARACTER SET {charset}, TB BLOB SUB_TYPE TEXT CHARACTER SET {charset})");
        db.ExecuteInNewTransaction("INSERT INTO C VALUES (1, ?, ?)", text, text);
        var raw = Convert.FromHexString(expectedHex);
        db.ExecuteInNewTransaction("INSERT INTO C VALUES (2, ?, ?)", new FbRawText(raw), new FbRawText(raw));
        using (var tx = db.BeginTransaction())
        using (var command = db.Prepare(tx, "SELECT S, TB FROM C ORDER BY ID"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                Assert.Equal(expectedHex, Convert.ToHexString(reader.GetBytes(0)));   // NONE connection: the column's own bytes
                Assert.Equal(expectedHex, Convert.ToHexString(reader.GetBytes(1)));
                Assert.Equal(text, reader.GetString(0));
                Assert.Equal(text, reader.GetString(1));
            }
        }
        Assert.Contains(eAcute, expectedHex);
        db.Dispose();

        using var utf8 = FbConnection.Open(Settings(Mode.Embedded, charset + ".fdb"));   // a UTF8 connection decodes the same rows
        using var tx2 = utf8.BeginTransaction();
        Assert.Equal(text, utf8.ExecuteScalar(tx2, "SELECT S FROM C WHERE ID = 2"));
        Assert.Equal(text, utf8.ExecuteScalar(tx2, "SELECT TB FROM C WHERE ID = 2"));
        Assert.Equal(Encoding.UTF8.GetBytes(text).Length, Convert.ToInt32(utf8.ExecuteScalar(tx2, "SELECT OCTET_LENGTH(CAST(S AS VARCHAR(40) CHARACTER SET UTF8)) FROM C WHERE ID = 2")));
    }

    [Fact]
    public void Composite_keys_and_quoted_identifiers_work()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE \"Sale Line\" (\"Sale Id\" BIGINT NOT NULL, \"line\" SMALLINT NOT NULL, \"Qty\" INTEGER, PRIMARY KEY (\"Sale Id\", \"line\"))");
        db.ExecuteInNewTransaction("INSERT INTO \"Sale Line\" VALUES (?, ?, ?)", 10L, (short)1, 3);
        db.ExecuteInNewTransaction("INSERT INTO \"Sale Line\" VALUES (?, ?, ?)", 10L, (short)2, 4);
        using var tx = db.BeginTransaction();
        Assert.Equal(4, db.ExecuteScalar(tx, $"SELECT {FbSql.QuoteIdentifier("Qty")} FROM {FbSql.QuoteIdentifier("Sale Line")} WHERE \"Sale Id\" = ? AND \"line\" = ?", 10L, (short)2));
        var table = db.Schema.GetTable(tx, "Sale Line")!;
        Assert.Equal(new[] { "Sale Id", "line" }, table.PrimaryKey);
        Assert.Equal("\"a\"\"b\"", FbSql.QuoteIdentifier("a\"b"));
    }
}
