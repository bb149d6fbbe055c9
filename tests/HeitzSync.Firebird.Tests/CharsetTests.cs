using System.Text;
using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

/// <summary>
/// "Hélène Lefèvre" must come back byte for byte in every column charset: over a NONE attachment text moves as the
/// column's own bytes (what the sync engine does), over a UTF8 (or WIN1252) attachment it decodes to the right string.
/// </summary>
[Collection("firebird")]
[Trait("Category", "Firebird")]
public class CharsetTests : DatabaseTest
{
    public CharsetTests(FirebirdServerFixture server) : base(server) { }

    private const string Name = "Hélène Lefèvre";

    [Theory]
    [InlineData(Mode.Embedded, "WIN1252", "48E96CE86E65204C6566E8767265")]
    [InlineData(Mode.Embedded, "ISO8859_1", "48E96CE86E65204C6566E8767265")]
    [InlineData(Mode.Embedded, "UTF8", "48C3A96CC3A86E65204C6566C3A8767265")]
    [InlineData(Mode.Embedded, "NONE", "48C3A96CC3A86E65204C6566C3A8767265")]
    [InlineData(Mode.Server, "WIN1252", "48E96CE86E65204C6566E8767265")]
    [InlineData(Mode.Server, "ISO8859_1", "48E96CE86E65204C6566E8767265")]
    [InlineData(Mode.Server, "UTF8", "48C3A96CC3A86E65204C6566C3A8767265")]
    [InlineData(Mode.Server, "NONE", "48C3A96CC3A86E65204C6566C3A8767265")]
    public void Text_survives_byte_for_byte_in_every_column_charset(Mode mode, string charset, string expectedHex)
    {
        var raw = Convert.FromHexString(expectedHex);
        FbConnectionSettings settings;
        using (var none = Create(mode, charset: "NONE", name: charset + ".fdb"))
        {
            settings = none.Settings;
            none.ExecuteInNewTransaction($"CREATE TABLE C (ID INTEGER NOT NULL PRIMARY KEY, S VARCHAR(40) CHARACTER SET {charset}, " +
                $"F CHAR(20) CHARACTER SET {charset}, TB BLOB SUB_TYPE TEXT CHARACTER SET {charset})");
            none.ExecuteInNewTransaction("INSERT INTO C VALUES (1, ?, ?, ?)", Name, Name, Name);                                         // as text
            none.ExecuteInNewTransaction("INSERT INTO C VALUES (2, ?, ?, ?)", new FbRawText(raw), new FbRawText(raw), new FbRawText(raw));   // as exact bytes
            none.ExecuteInNewTransaction("INSERT INTO C VALUES (3, ?, ?, ?)", raw, raw, new MemoryStream(raw));                              // byte[] and Stream: bytes too

            using var tx = none.BeginTransaction();
            using var command = none.Prepare(tx, "SELECT S, F, TB FROM C ORDER BY ID");
            Assert.Equal(Charsets(charset), command.Columns[0].CharsetId);   // a NONE attachment describes the column's own charset
            using var reader = command.ExecuteReader();
            var rows = 0;
            while (reader.Read())
            {
                rows++;
                Assert.Equal(expectedHex, Convert.ToHexString(reader.GetBytes(0)));
                Assert.Equal(expectedHex, Convert.ToHexString(reader.GetBytes(1)).Substring(0, expectedHex.Length));
                Assert.Equal(expectedHex, Convert.ToHexString(reader.GetBytes(2)));
                Assert.Equal(Name, reader.GetString(0));
                // CHAR(20) holds 20 characters; in NONE a "character" is a byte, and the UTF-8 name takes 17 of them.
                Assert.Equal(charset == "NONE" ? Name + "   " : Name.PadRight(20), reader.GetString(1));
                Assert.Equal(Name, reader.GetString(2));
                Assert.Equal(Name, reader.GetValue(2));
            }
            Assert.Equal(3, rows);
        }

        // A UTF8 attachment gets the same rows as the right strings (Firebird transliterates, blobs included).
        using var utf8 = FbConnection.Open(settings with { Charset = "UTF8" });
        using var tx2 = utf8.BeginTransaction();
        using var select = utf8.Prepare(tx2, "SELECT S, TB FROM C WHERE ID = 2");
        using (var reader = select.ExecuteReader())
        {
            Assert.True(reader.Read());
            Assert.Equal(Name, reader.GetString(0));
            Assert.Equal(Name, reader.GetString(1));
            Assert.Equal(Encoding.UTF8.GetBytes(Name), reader.GetBytes(0));
        }
        // ... and text written over UTF8 lands as the same stored bytes.
        utf8.Execute(tx2, "INSERT INTO C (ID, S, TB) VALUES (4, ?, ?)", Name, Name);
        tx2.Commit();
        using var check = FbConnection.Open(settings with { Charset = "NONE" });
        using var tx3 = check.BeginTransaction();
        using var stored = check.Prepare(tx3, "SELECT S, TB FROM C WHERE ID = 4");
        using var storedRow = stored.ExecuteReader();
        Assert.True(storedRow.Read());
        Assert.Equal(expectedHex, Convert.ToHexString(storedRow.GetBytes(0)));
        Assert.Equal(expectedHex, Convert.ToHexString(storedRow.GetBytes(1)));
    }

    private static int Charsets(string name) => name switch { "NONE" => 0, "UTF8" => 4, "ISO8859_1" => 21, "WIN1252" => 53, _ => -1 };

    [Fact]
    public void A_win1252_column_gives_E9_E8_over_none_and_the_string_over_utf8_and_win1252()
    {
        using var db = Create(Mode.Embedded, name: "w.fdb");
        db.ExecuteInNewTransaction("CREATE TABLE W (S VARCHAR(20) CHARACTER SET WIN1252)");
        db.ExecuteInNewTransaction("INSERT INTO W VALUES (?)", "éè");
        foreach (var (charset, hex) in new[] { ("NONE", "E9E8"), ("UTF8", "C3A9C3A8"), ("WIN1252", "E9E8") })
        {
            using var connection = FbConnection.Open(db.Settings with { Charset = charset });
            using var tx = connection.BeginTransaction();
            using var command = connection.Prepare(tx, "SELECT S FROM W");
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(hex, Convert.ToHexString(reader.GetBytes(0)));
            Assert.Equal("éè", reader.GetString(0));
        }
    }

    [Fact]
    public void None_columns_decode_as_utf8_or_latin1_and_octets_and_char_padding_are_kept()
    {
        using var db = Create(Mode.Embedded, charset: "NONE");
        db.ExecuteInNewTransaction("CREATE TABLE P (ID INTEGER NOT NULL PRIMARY KEY, N VARCHAR(20) CHARACTER SET NONE, O CHAR(4) CHARACTER SET OCTETS, " +
            "C CHAR(5) CHARACTER SET WIN1252, U CHAR(3) CHARACTER SET UTF8)");
        db.ExecuteInNewTransaction("INSERT INTO P VALUES (1, ?, ?, ?, ?)", new FbRawText(Encoding.UTF8.GetBytes(Name)), new byte[] { 0x61, 0x62 }, "é", "é😀");
        db.ExecuteInNewTransaction("INSERT INTO P VALUES (2, ?, ?, ?, ?)", new FbRawText(Encoding.Latin1.GetBytes(Name)), new byte[] { 0, 255, 1, 2 }, "abcde", "ab");
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT N, O, C, U FROM P ORDER BY ID");
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(Name, reader.GetString(0));                                   // NONE holding UTF-8 bytes
        Assert.Equal("61620000", Convert.ToHexString(reader.GetBytes(1)));         // OCTETS pads with zero bytes
        Assert.Equal("E920202020", Convert.ToHexString(reader.GetBytes(2)));       // CHAR pads with spaces
        Assert.Equal("é    ", reader.GetString(2));
        Assert.Equal(12, reader.GetBytes(3).Length);                               // CHAR(3) UTF8: 3 x 4 bytes on the wire
        Assert.Equal("é😀 ", reader.GetString(3));                                 // ... and 3 characters as text (😀 is one)
        Assert.True(reader.Read());
        Assert.Equal(Name, reader.GetString(0));                                   // NONE holding Latin-1 bytes: not UTF-8, read as Latin-1
        Assert.Equal("00FF0102", Convert.ToHexString(reader.GetBytes(1)));
        Assert.Equal("abcde", reader.GetString(2));
        Assert.Equal("ab ", reader.GetString(3));
    }
}
