using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class TypeTests : DatabaseTest
{
    public TypeTests(FirebirdServerFixture server) : base(server) { }

    private const string EveryType = @"CREATE TABLE T (
        ID INTEGER NOT NULL PRIMARY KEY, SM SMALLINT, IN4 INTEGER, BI BIGINT, NU NUMERIC(18,4), DE DECIMAL(9,2), N4 NUMERIC(4,1),
        FL FLOAT, DB DOUBLE PRECISION, CH CHAR(5) CHARACTER SET ISO8859_1, VC VARCHAR(40) CHARACTER SET WIN1252,
        U8 VARCHAR(40) CHARACTER SET UTF8, NN VARCHAR(40) CHARACTER SET NONE, DA DATE, TI TIME, TS TIMESTAMP, BO BOOLEAN,
        BB BLOB SUB_TYPE BINARY, TB BLOB SUB_TYPE TEXT CHARACTER SET WIN1252)";

    private const string InsertEveryType = "INSERT INTO T VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    public static TheoryData<Mode, object?[]> Rows()
    {
        var data = new TheoryData<Mode, object?[]>();
        foreach (var mode in new[] { Mode.Embedded, Mode.Server })
        {
            data.Add(mode, new object?[]
            {
                1, short.MinValue, int.MinValue, long.MinValue, -922337203685477.5808m, -9999999.99m, -999.9m, float.MinValue, double.MinValue,
                "ab", "Hélène Lefèvre", "Zoë ✓ 東京 😀", "plain", new DateTime(1, 1, 1), TimeSpan.Zero,
                new DateTime(1, 1, 1, 0, 0, 0), false, Array.Empty<byte>(), "",
            });
            data.Add(mode, new object?[]
            {
                2, short.MaxValue, int.MaxValue, long.MaxValue, 922337203685477.5807m, 9999999.99m, 999.9m, float.MaxValue, double.MaxValue,
                "abcde", new string('x', 40), new string('é', 40), "Crème", new DateTime(9999, 12, 31), new TimeSpan(0, 23, 59, 59, 999).Add(TimeSpan.FromTicks(9000)),
                new DateTime(9999, 12, 31, 23, 59, 59, 999).AddTicks(9000), true, new byte[] { 0, 1, 2, 255 }, "Crème brûlée",
            });
            data.Add(mode, new object?[]
            {
                3, (short)0, 0, 0L, 0.0001m, -0.01m, 0.1m, 1.5f, Math.PI,
                " a", "  ", "\u00a0", "", new DateTime(2024, 2, 29), new TimeSpan(0, 12, 34, 56).Add(TimeSpan.FromTicks(1230)),
                new DateTime(1999, 12, 31, 23, 59, 59, 123).AddTicks(4000), true, new byte[70000], new string('ç', 70000),
            });
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Every_type_round_trips_exactly(Mode mode, object?[] row)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction(EveryType);
        db.ExecuteInNewTransaction(InsertEveryType, row);
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT * FROM T");
        Assert.Equal(
            new[] { FbDbType.Integer, FbDbType.SmallInt, FbDbType.Integer, FbDbType.BigInt, FbDbType.Numeric, FbDbType.Numeric, FbDbType.Numeric,
                FbDbType.Float, FbDbType.Double, FbDbType.Char, FbDbType.VarChar, FbDbType.VarChar, FbDbType.VarChar, FbDbType.Date,
                FbDbType.Time, FbDbType.Timestamp, FbDbType.Boolean, FbDbType.Blob, FbDbType.TextBlob },
            command.Columns.Select(c => c.Type));
        Assert.Equal(-4, command.Columns[4].Scale);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        for (var i = 0; i < row.Length; i++)
        {
            var expected = row[i] switch
            {
                // CHAR(5) comes back padded; TIME/TIMESTAMP keep 1/10000 s (the 100 ns tick below is Firebird's limit).
                string s when i == 9 => s.PadRight(5),
                TimeSpan t => TimeSpan.FromTicks(t.Ticks - t.Ticks % 1000),
                DateTime d => new DateTime(d.Ticks - d.Ticks % 1000),
                var other => other,
            };
            Assert.True(Equals(expected, reader.GetValue(i)) || (expected is byte[] e && reader.GetValue(i) is byte[] a && e.SequenceEqual(a)),
                $"column {reader.GetName(i)}: sent {row[i]}, read {reader.GetValue(i)}");
        }
        Assert.Equal(row[4], reader.GetDecimal(4));
        Assert.Equal(row[16], reader.GetBoolean(16));
        Assert.Equal(DateTimeKind.Unspecified, reader.GetDateTime(15).Kind);
        Assert.False(reader.Read());
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Null_round_trips_in_every_type(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction(EveryType);
        var nulls = new object?[19];
        nulls[0] = 1;
        nulls[5] = DBNull.Value;
        db.ExecuteInNewTransaction(InsertEveryType, nulls);
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT * FROM T");
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        for (var i = 1; i < reader.FieldCount; i++)
        {
            Assert.True(reader.IsDBNull(i), $"column {reader.GetName(i)} should be NULL");
            Assert.Null(reader.GetValue(i));
            Assert.Throws<InvalidCastException>(() => reader.GetBytes(i));
        }
    }

    [Fact]
    public void Numeric_keeps_every_digit_and_refuses_to_lose_one()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE M (ID INTEGER NOT NULL PRIMARY KEY, A NUMERIC(18,4), B NUMERIC(4,2), C INTEGER)");
        db.ExecuteInNewTransaction("INSERT INTO M VALUES (1, ?, ?, ?)", 922337203685477.5807m, -99.99m, 7m);
        db.ExecuteInNewTransaction("INSERT INTO M VALUES (2, ?, ?, ?)", -922337203685477.5808m, 0.01m, -7.000m);
        db.ExecuteInNewTransaction("INSERT INTO M VALUES (3, ?, ?, ?)", 12.5m, 1.5m, null);   // fewer decimals than the scale: exact
        using var tx = db.BeginTransaction();
        Assert.Equal(922337203685477.5807m, db.ExecuteScalar(tx, "SELECT A FROM M WHERE ID = 1"));
        Assert.Equal(-922337203685477.5808m, db.ExecuteScalar(tx, "SELECT A FROM M WHERE ID = 2"));
        Assert.Equal(-99.99m, db.ExecuteScalar(tx, "SELECT B FROM M WHERE ID = 1"));
        Assert.Equal("12.5000", ((decimal)db.ExecuteScalar(tx, "SELECT A FROM M WHERE ID = 3")!).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(-7, db.ExecuteScalar(tx, "SELECT C FROM M WHERE ID = 2"));
        Assert.Equal(-12.25m, db.ExecuteScalar(tx, "SELECT CAST(-12.25 AS NUMERIC(9,2)) FROM RDB$DATABASE"));

        var lost = Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE M SET B = ? WHERE ID = 1", 1.234m));
        Assert.Contains("decimals", lost.Message);
        Assert.Contains("UPDATE M SET B", lost.Message);
        Assert.DoesNotContain("1.234", lost.Message);   // values stay out of messages
        Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE M SET C = ? WHERE ID = 1", 1.5m));
        var overflow = Assert.Throws<FbException>(() => db.Execute(tx, "UPDATE M SET B = ? WHERE ID = 1", 1000m));
        Assert.Contains("overflow", overflow.Message);
    }

    [Fact]
    public void Values_convert_to_the_described_parameter_type_or_fail_clearly()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE V (ID BIGINT NOT NULL PRIMARY KEY, I INTEGER, S SMALLINT, D DATE, TS TIMESTAMP, TI TIME, DB DOUBLE PRECISION)");
        using var tx = db.BeginTransaction();
        db.Execute(tx, "INSERT INTO V (ID, I, S, DB) VALUES (?, ?, ?, ?)", 1, 2L, 3, 4);   // int into BIGINT, long into INTEGER, int into SMALLINT/DOUBLE
        Assert.Equal(1L, db.ExecuteScalar(tx, "SELECT ID FROM V"));
        Assert.Equal(2, db.ExecuteScalar(tx, "SELECT I FROM V"));
        Assert.Equal((short)3, db.ExecuteScalar(tx, "SELECT S FROM V"));
        Assert.Equal(4d, db.ExecuteScalar(tx, "SELECT DB FROM V"));

        var tooBig = Assert.Throws<FbException>(() => db.Execute(tx, "UPDATE V SET I = ?", long.MaxValue));
        Assert.Contains("overflow", tooBig.Message);
        var text = Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET D = ?", "2024-01-01"));
        Assert.Contains("DateTime", text.Message);
        Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET TS = ?", "2024-01-01 10:00"));
        Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET TI = ?", TimeSpan.FromHours(25)));
        Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET TI = ?", TimeSpan.FromMinutes(-1)));
        var count = Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET I = ? WHERE ID = ?", 1));
        Assert.Contains("2 parameter(s) but 1", count.Message);
        Assert.Throws<ArgumentException>(() => db.Execute(tx, "UPDATE V SET I = ?", new object()));

        // A DateTime fills DATE (its date), TIME (its time of day) and TIMESTAMP.
        var moment = new DateTime(2023, 7, 14, 21, 30, 15, 250);
        db.Execute(tx, "UPDATE V SET D = ?, TS = ?, TI = ?", moment, moment, moment);
        Assert.Equal(moment.Date, db.ExecuteScalar(tx, "SELECT D FROM V"));
        Assert.Equal(moment, db.ExecuteScalar(tx, "SELECT TS FROM V"));
        Assert.Equal(moment.TimeOfDay, db.ExecuteScalar(tx, "SELECT TI FROM V"));
        // "? IS NULL" parameters (SQL_NULL) take NULL or any value.
        Assert.Equal(1L, db.ExecuteScalar(tx, "SELECT COUNT(*) FROM V WHERE ? IS NULL OR I = ?", null, 99));
        Assert.Equal(0L, db.ExecuteScalar(tx, "SELECT COUNT(*) FROM V WHERE ? IS NULL OR I = ?", 5, 99));
    }

    [Fact]
    public void A_prepared_command_is_reused_with_values_of_changing_kinds()
    {
        using var db = Create(Mode.Embedded, charset: "NONE");
        db.ExecuteInNewTransaction("CREATE TABLE R (ID INTEGER NOT NULL PRIMARY KEY, W VARCHAR(20) CHARACTER SET WIN1252, N NUMERIC(9,2), B BLOB SUB_TYPE TEXT CHARACTER SET WIN1252)");
        using var tx = db.BeginTransaction();
        using var insert = db.Prepare(tx, "INSERT INTO R VALUES (?, ?, ?, ?)");
        insert.ExecuteNonQuery(1, null, null, null);
        insert.ExecuteNonQuery(2, new FbRawText(new byte[] { 0xE9 }), 1, new byte[] { 0xE8 });
        // The described types survive earlier bindings: a string after raw bytes is still encoded as WIN1252.
        insert.ExecuteNonQuery(3, "é", 2.5m, "è");
        insert.ExecuteNonQuery(4, "Hélène", null, new MemoryStream(new byte[] { 0x48, 0xE9 }));
        using var select = db.Prepare(tx, "SELECT W, N, B FROM R WHERE ID = ?");
        string Row(int id)
        {
            using var reader = select.ExecuteReader(id);
            Assert.True(reader.Read());
            return string.Join("|", Enumerable.Range(0, 3).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i) is decimal d
                ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : Convert.ToHexString(reader.GetBytes(i))));
        }
        Assert.Equal("null|null|null", Row(1));
        Assert.Equal("E9|1.00|E8", Row(2));
        Assert.Equal("E9|2.50|E8", Row(3));
        Assert.Equal("48E96CE86E65|null|48E9", Row(4));
    }

    [Fact]
    public void Returning_and_procedures_give_one_row_and_rows_affected_count_changes_only()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE G (ID INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, NAME VARCHAR(10))");
        db.ExecuteInNewTransaction("CREATE PROCEDURE TWICE (X INTEGER) RETURNS (Y INTEGER, Z VARCHAR(5)) AS BEGIN Y = X * 2; Z = 'ok'; END");
        using var tx = db.BeginTransaction();
        using (var insert = db.Prepare(tx, "INSERT INTO G (NAME) VALUES (?) RETURNING ID, NAME"))
        {
            Assert.Equal(new[] { "ID", "NAME" }, insert.Columns.Select(c => c.Name));
            using var reader = insert.ExecuteReader("first");
            Assert.True(reader.Read());
            Assert.Equal(1, reader.GetInt32(0));
            Assert.Equal("first", reader.GetString(reader.GetOrdinal("name")));
            Assert.False(reader.Read());
        }
        using (var procedure = db.Prepare(tx, "EXECUTE PROCEDURE TWICE(?)"))
        using (var reader = procedure.ExecuteReader(21))
        {
            Assert.True(reader.Read());
            Assert.Equal((42, "ok"), (reader.GetInt32(0), reader.GetString(1)));
        }
        db.Execute(tx, "INSERT INTO G (NAME) VALUES ('b')");
        db.Execute(tx, "INSERT INTO G (NAME) VALUES ('c')");
        Assert.Equal(3, db.Execute(tx, "UPDATE G SET NAME = NAME || '!'"));
        Assert.Equal(0, db.Execute(tx, "UPDATE G SET NAME = 'x' WHERE ID < 0"));
        Assert.Equal(2, db.Execute(tx, "DELETE FROM G WHERE ID > 1"));
        Assert.Equal(1, db.Execute(tx, "UPDATE OR INSERT INTO G (ID, NAME) VALUES (1, 'z') MATCHING (ID)"));
        Assert.Null(db.ExecuteScalar(tx, "SELECT NAME FROM G WHERE ID = 99"));
    }

    [Fact]
    public void Composite_keys_and_quoted_identifiers_work()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE \"Sale Line\" (\"Sale Id\" BIGINT NOT NULL, \"line\" SMALLINT NOT NULL, \"Qty\" INTEGER, PRIMARY KEY (\"Sale Id\", \"line\"))");
        db.ExecuteInNewTransaction("INSERT INTO \"Sale Line\" VALUES (?, ?, ?)", 10L, (short)1, 3);
        db.ExecuteInNewTransaction("INSERT INTO \"Sale Line\" VALUES (?, ?, ?)", 10L, (short)2, 4);
        var duplicate = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("INSERT INTO \"Sale Line\" VALUES (?, ?, ?)", 10L, (short)2, 5));
        Assert.Equal(335544665, duplicate.GdsCode);
        using var tx = db.BeginTransaction();
        using var select = db.Prepare(tx, $"SELECT {FbSql.QuoteIdentifier("Qty")} FROM {FbSql.QuoteIdentifier("Sale Line")} WHERE \"Sale Id\" = ? AND \"line\" = ?");
        Assert.Equal("Qty", select.Columns[0].Name);
        Assert.Equal("Sale Line", select.Columns[0].Relation);
        Assert.Equal(4, select.ExecuteScalar(10L, (short)2));
        var table = db.Schema.GetTable(tx, "Sale Line")!;
        Assert.Equal(new[] { "Sale Id", "line" }, table.PrimaryKey);
        Assert.Equal("\"a\"\"b\"", FbSql.QuoteIdentifier("a\"b"));
        Assert.Equal("\"Member Photo\"", FbSql.QuoteIdentifier("Member Photo"));
    }

    [Fact]
    public void Types_beyond_firebird_3_are_refused_by_name()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE A (ID INTEGER NOT NULL PRIMARY KEY, SCORES INTEGER[3])");
        using var tx = db.BeginTransaction();
        var error = Assert.Throws<FbException>(() => db.Prepare(tx, "SELECT SCORES FROM A"));
        Assert.Contains("SCORES", error.Message);
        Assert.Contains("ARRAY", error.Message);
        var schema = Assert.Throws<FbException>(() => db.Schema.GetTable(tx, "A"));
        Assert.Contains("SCORES", schema.Message);
    }

    [Fact]
    public void Dialect_1_numerics_stored_as_double_read_as_exact_decimals()
    {
        // Dialect 1 databases (old business software) keep NUMERIC(15,2) as a DOUBLE with a scale; isql makes one.
        var path = Temp.File("dialect1.fdb");
        var script = Temp.File("dialect1.sql");
        File.WriteAllText(script, $"SET SQL DIALECT 1;\nCREATE DATABASE '{path}' USER 'SYSDBA';\n" +
            "CREATE TABLE D (ID INTEGER NOT NULL PRIMARY KEY, N NUMERIC(15,2), M NUMERIC(9,3));\n" +
            "INSERT INTO D VALUES (1, 1234567890123.45, -0.125);\nINSERT INTO D VALUES (2, 0.1, 0.3);\nCOMMIT;\n");
        const string isql = "/usr/bin/isql-fb";
        Assert.True(File.Exists(isql), $"{isql} is missing: install firebird3.0-utils");
        using (var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(isql, $"-q -i {script}") { UseShellExecute = false, RedirectStandardError = true })!)
        {
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0 && errors.Length == 0, $"isql failed: {errors}");
        }
        using var db = FbConnection.Open(new FbConnectionSettings { Database = path });
        using var tx = db.BeginTransaction();
        using var select = db.Prepare(tx, "SELECT N, M FROM D ORDER BY ID");
        Assert.Equal((FbDbType.Numeric, -2, 8), (select.Columns[0].Type, select.Columns[0].Scale, select.Columns[0].Size));   // a DOUBLE underneath
        using var reader = select.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("1234567890123.45|-0.125", Text(reader));
        Assert.True(reader.Read());
        Assert.Equal("0.10|0.300", Text(reader));
        reader.Dispose();
        db.Execute(tx, "UPDATE D SET N = ? WHERE ID = 2", 98765.43m);
        Assert.Equal("98765.43", ((decimal)db.ExecuteScalar(tx, "SELECT N FROM D WHERE ID = 2")!).ToString(System.Globalization.CultureInfo.InvariantCulture));

        static string Text(FbDataReader r) => string.Join("|", r.GetDecimal(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.GetDecimal(1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
