using System.Text;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Configuration;

/// <summary>Named secrets beside the configuration: round trip, owner-only files, valid names, nothing leaked.</summary>
public class SecretStoreTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-secrets");

    private SecretStore Store() => new(Path.Combine(_temp.Path, "secrets"));

    [Fact]
    public void A_secret_comes_back_as_it_was_stored_and_can_be_replaced_and_removed()
    {
        var store = Store();
        const string password = "Hélène Lefèvre: p@ss \"word\" ✓ \n second line";

        store.Set("ftp", password);
        Assert.Equal(password, store.Get("ftp"));
        Assert.True(store.Contains("ftp"));

        store.Set("ftp", "another");
        Assert.Equal("another", store.Get("ftp"));
        Assert.Equal("another", new SecretStore(store.Folder).Get("ftp")); // a new instance reads the same file

        Assert.True(store.Remove("ftp"));
        Assert.Null(store.Get("ftp"));
        Assert.False(store.Remove("ftp"));
    }

    [Fact]
    public void A_missing_secret_is_null_and_Require_says_how_to_store_it()
    {
        var store = Store();
        Assert.Null(store.Get("database"));
        var error = Assert.Throws<InvalidOperationException>(() => store.Require("database", "the database"));
        Assert.Contains("Set-HzSyncCredential -Name database", error.Message);
    }

    [Fact]
    public void The_secret_file_is_readable_by_its_owner_only()
    {
        var store = Store();
        store.Set("database", "masterkey");
        var file = Path.Combine(store.Folder, "database.secret");
        Assert.True(File.Exists(file));
        if (OperatingSystem.IsWindows())
        {
            // DPAPI: the file holds a protected blob, never the text.
            Assert.DoesNotContain("masterkey", Encoding.UTF8.GetString(File.ReadAllBytes(file)));
        }
        else
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Folder));
        }
    }

    [Fact]
    public void Replacing_a_secret_keeps_the_file_owner_only_even_after_a_leftover_part_file()
    {
        var store = Store();
        store.Set("smtp", "one");
        var part = Path.Combine(store.Folder, "smtp.secret.part");
        File.WriteAllText(part, "left by a crash");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(part, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        store.Set("smtp", "two");

        Assert.Equal("two", store.Get("smtp"));
        Assert.False(File.Exists(part));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(store.Folder, "smtp.secret")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("with space")]
    [InlineData("x:y")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Names_that_are_not_plain_file_names_are_refused(string name)
    {
        var store = Store();
        Assert.False(SecretStore.IsValidName(name));
        Assert.Throws<ArgumentException>(() => store.Set(name, "x"));
        Assert.Throws<ArgumentException>(() => store.Get(name));
        Assert.False(Directory.Exists(store.Folder) && Directory.EnumerateFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Any(f => f.EndsWith(".secret", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("ftp")]
    [InlineData("db.main")]
    [InlineData("backup-server_2")]
    public void Plain_names_are_accepted(string name) => Assert.True(SecretStore.IsValidName(name));

    [Fact]
    public void Names_lists_the_stored_secrets_and_nothing_shows_a_value()
    {
        var store = Store();
        Assert.Empty(store.Names());
        store.Set("smtp", "s3cret-smtp");
        store.Set("ftp", "s3cret-ftp");

        Assert.Equal(new[] { "ftp", "smtp" }, store.Names());
        Assert.DoesNotContain("s3cret", store.ToString());
        var error = Assert.Throws<ArgumentException>(() => store.Set("bad name", "s3cret-value"));
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public void A_nodes_store_is_the_secrets_folder_beside_its_configuration()
    {
        var config = new HzSyncConfig { BaseFolder = Path.Combine(_temp.Path, "etc") };
        var store = SecretStore.ForConfig(config);
        Assert.Equal(Path.Combine(_temp.Path, "etc", "secrets"), store.Folder);
        store.Set("ftp", "x");
        Assert.True(File.Exists(Path.Combine(_temp.Path, "etc", "secrets", "ftp.secret")));
    }

    public void Dispose() => _temp.Dispose();
}
