using HeitzSync.Firebird;
using HeitzSync.Firebird.Native;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class ErrorTests : DatabaseTest
{
    public ErrorTests(FirebirdServerFixture server) : base(server) { }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void Errors_carry_firebird_codes_and_text_and_no_parameter_values(Mode mode)
    {
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE E (ID INTEGER NOT NULL PRIMARY KEY, S VARCHAR(10))");
        db.ExecuteInNewTransaction("CREATE TABLE F (ID INTEGER NOT NULL PRIMARY KEY, E_ID INTEGER REFERENCES E (ID))");
        db.ExecuteInNewTransaction("INSERT INTO E VALUES (1, 'x')");
        var duplicate = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("INSERT INTO E VALUES (?, ?)", 1, "secretval"));
        Assert.True(duplicate.GdsCode == 335544665, $"GDS {duplicate.GdsCode} ({string.Join(",", duplicate.GdsCodes)}): {duplicate.Message}");
        Assert.Equal(-803, duplicate.SqlCode);
        Assert.Contains("violation of PRIMARY or UNIQUE KEY constraint", duplicate.Message);
        Assert.Contains("Problematic key value is (\"ID\" = 1)", duplicate.Message);   // Firebird's own lines, all of them
        Assert.Contains("Statement: INSERT INTO E VALUES (?, ?)", duplicate.Message);
        Assert.DoesNotContain("secretval", duplicate.Message);

        var orphan = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("INSERT INTO F VALUES (1, ?)", 42));
        Assert.Equal(335544466, orphan.GdsCode);   // isc_foreign_key
        Assert.Equal(-530, orphan.SqlCode);

        var tooLong = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("INSERT INTO E VALUES (2, ?)", "abcdefghijklmnop"));
        Assert.Contains("string truncation", tooLong.Message);
        Assert.DoesNotContain("abcdefghijklmnop", tooLong.Message);

        var syntax = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("SELEC 1 FROM RDB$DATABASE"));
        Assert.Equal(-104, syntax.SqlCode);
        Assert.Contains("Token unknown - line 1, column 1", syntax.Message);
        Assert.Contains("SELEC", syntax.Message);
        var unknown = Assert.Throws<FbException>(() => db.ExecuteInNewTransaction("SELECT NOPE FROM RDB$DATABASE"));
        Assert.Equal(-206, unknown.SqlCode);
        Assert.Contains("Column unknown", unknown.Message);
        Assert.Contains("NOPE", unknown.Message);
    }

    [Fact]
    public void A_wrong_server_password_is_a_clear_error_without_the_password()
    {
        using var db = Create(Mode.Server);
        var settings = db.Settings with { Password = "not-the-password-42" };
        var error = Assert.Throws<FbException>(() => FbConnection.Open(settings));
        Assert.Contains("Your user name and password are not defined", error.Message);
        Assert.Contains($"127.0.0.1/3050:{db.Settings.Database}", error.Message);
        Assert.Equal(335544472, error.GdsCode);   // isc_login
        Assert.DoesNotContain("not-the-password-42", error.Message);
        Assert.DoesNotContain(Server.Password, error.Message);
        Assert.DoesNotContain(Server.Password, settings.ToString());
        Assert.DoesNotContain(Server.Password, db.Settings.ToString());
        Assert.DoesNotContain("Password", db.Settings.ToString());
    }

    [Fact]
    public void Missing_databases_and_unreachable_servers_are_named()
    {
        var missing = Settings(Mode.Embedded, "missing.fdb");
        var error = Assert.Throws<FbException>(() => FbConnection.Open(missing));
        Assert.Contains(missing.Database, error.Message);
        Assert.Contains("No such file or directory", error.Message);

        var noServer = new FbConnectionSettings { Database = "/srv/none.fdb", Server = "127.0.0.1", Port = 1, Password = "pw-not-shown" };
        var refused = Assert.Throws<FbException>(() => FbConnection.Open(noServer));
        Assert.Contains("127.0.0.1/1:/srv/none.fdb", refused.Message);
        Assert.Contains("Unable to complete network request", refused.Message);
        Assert.DoesNotContain("pw-not-shown", refused.Message);

        using var db = Create(Mode.Embedded, name: "exists.fdb");
        var exists = Assert.Throws<FbException>(() => FbConnection.CreateDatabase(db.Settings with { Password = "pw-not-shown" }));
        Assert.Contains("exists", exists.Message);
        Assert.DoesNotContain("pw-not-shown", exists.Message);
    }

    [Fact]
    public void A_missing_client_library_names_what_was_tried_and_the_fix()
    {
        var error = Assert.Throws<FbException>(() => FbClientLibrary.Load(new[] { "/nowhere/libfbclient.so.2", "libfbclient-missing.so" }));
        Assert.Contains("/nowhere/libfbclient.so.2", error.Message);
        Assert.Contains("libfbclient-missing.so", error.Message);
        Assert.Contains("apt-get install libfbclient2", error.Message);
        Assert.Contains("HEITZSYNC_FBCLIENT", error.Message);
        Assert.Equal("libfbclient.so.2", FbClientLibrary.Instance.LoadedFrom);
    }
}
