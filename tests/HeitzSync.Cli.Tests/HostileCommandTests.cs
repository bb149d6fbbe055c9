using System.Runtime.Versioning;
using System.Text.Json;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>
/// Issue 14, the operator's commands as a new user (or a careless one) meets them: every mistake ends with one
/// 'hzsync: ...' line naming the thing and the fix, exit code 2, no stack trace, and nothing changed or lost; hzsync
/// names its own commands, and sets a node up alone (configuration, secrets). No database is needed here: each case
/// fails (or succeeds) before one would be opened.
/// </summary>
[Trait("Category", "Hostile")]
[UnsupportedOSPlatform("windows")] // file modes, /proc: the console's Linux setting
public class HostileCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-hostile-cli");

    /// <summary>A valid site configuration whose database does not exist (nothing here gets that far).</summary>
    private string Config(Func<HzSyncConfig, HzSyncConfig>? change = null, NodeRole role = NodeRole.Siege)
    {
        var folder = Path.Combine(_temp.Path, "node");
        Directory.CreateDirectory(Path.Combine(_temp.Path, "drop"));
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = role == NodeRole.Siege ? "SIEGE" : "LYON01", Number = role == NodeRole.Siege ? 1 : 2 },
            Database = new DatabaseConfig { Path = "node.fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(_temp.Path, "drop") },
            BaseFolder = folder,
        };
        config = change?.Invoke(config) ?? config;
        var path = Path.Combine(folder, "heitzsync.json");
        HzSyncConfigStore.Save(config, path);
        return path;
    }

    /// <summary>Exit 2, one 'hzsync: ' line on standard error containing <paramref name="expected"/>, no trace, nothing on stdout.</summary>
    private static void AssertOneLineFailure(HzsyncResult result, params string[] expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("hzsync: ", StringComparison.Ordinal), $"not one 'hzsync:' line: {result}");
        foreach (var text in expected) Assert.True(lines[0].Contains(text, StringComparison.Ordinal), $"the error does not say '{text}': {result}");
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.Equal("", result.Stdout.Trim());
    }

    [Fact]
    public void Command_lines_that_cannot_be_understood_exit_2_with_one_line()
    {
        AssertOneLineFailure(Hzsync.Run("frobnicate"), "frobnicate", "hzsync --help");
        AssertOneLineFailure(Hzsync.Run("sync", "--frob"), "--frob", "hzsync --help");
        AssertOneLineFailure(Hzsync.Run("full", "--config", Config(), "--site", "bad/../x"), "'bad/../x' is not a site code", "LYON01");
    }

    [Fact]
    public void Key_new_refuses_an_existing_key_a_folder_and_an_unwritable_place_and_changes_nothing()
    {
        var existing = _temp.File("group.key");
        File.WriteAllText(existing, "the key every node holds");
        AssertOneLineFailure(Hzsync.Run("key", "new", "--path", existing), existing, "already exists", "hzsync key new --force");
        Assert.Equal("the key every node holds", File.ReadAllText(existing));

        var folder = Path.Combine(_temp.Path, "keys");
        Directory.CreateDirectory(folder);
        AssertOneLineFailure(Hzsync.Run("key", "new", "--path", folder), folder, "is a folder");
        Assert.Empty(Directory.GetFileSystemEntries(folder));

        AssertOneLineFailure(Hzsync.Run("key", "new", "--path", "/proc/x"), "/proc/x", "cannot be written");
        Assert.Equal(new[] { existing, folder }, Directory.GetFileSystemEntries(_temp.Path).Order());
    }

    [Fact]
    public void A_site_number_beyond_a_whole_number_of_32_bits_is_out_of_range_and_the_range_is_given()
    {
        var path = Config();
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"number\": 1", "\"number\": 2147483648", StringComparison.Ordinal));
        var result = Hzsync.Run("test", "--config", path);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("site.number 2147483648 is out of range: it must be a whole number from 1 to 999", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Demo_never_deletes_a_folder_it_did_not_make()
    {
        // A real node's folder: what the demo used to take for one of its own (a group.key and a drop/) and delete.
        var node = Path.Combine(_temp.Path, "real-node");
        Directory.CreateDirectory(Path.Combine(node, "drop", "LYON01", "up"));
        Directory.CreateDirectory(Path.Combine(node, "backups"));
        File.WriteAllText(Path.Combine(node, "group.key"), "key");
        File.WriteAllText(Path.Combine(node, "master.fdb"), "members");
        File.WriteAllText(Path.Combine(node, "backups", "master_20261122-020000.fbk"), "backup");
        var before = Directory.GetFileSystemEntries(node, "*", SearchOption.AllDirectories).Order().ToList();

        var result = Hzsync.Run("demo", "--workdir", node, "--sites", "1", "--nights", "1");
        AssertOneLineFailure(result, node, "was not made by hzsync demo", "nothing was deleted");
        Assert.Equal(before, Directory.GetFileSystemEntries(node, "*", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public void A_reports_folder_that_is_a_file_stops_the_run_before_it_starts_with_one_line()
    {
        var path = Config(c => c with { Reports = new ReportConfig { Folder = "reports" } });
        var reports = Path.Combine(Path.GetDirectoryName(path)!, "reports");
        File.WriteAllText(reports, "not a folder");
        AssertOneLineFailure(Hzsync.Run("sync", "--config", path), reports, "it is a file, not a folder", "nothing was run", "reports.folder");
        Assert.Equal("not a folder", File.ReadAllText(reports));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, "backups")), "the night went on without a report");
    }

    [Fact]
    public void Hzsync_names_its_own_commands_never_a_cmdlet()
    {
        var missing = Path.Combine(_temp.Path, "none", "heitzsync.json");
        var noConfig = Hzsync.Run("sync", "--config", missing);
        Assert.Contains("create it with hzsync config new", noConfig.Stderr);

        var ftp = Config(c => c with
        {
            Role = NodeRole.Site,
            Site = new SiteIdentity { Code = "LYON01", Number = 2 },
            Drop = new DropConfig { Kind = DropKind.Ftp, Host = "127.0.0.1", User = "lyon01", PasswordSecret = "ftp" },
        }, NodeRole.Site);
        var noSecret = Hzsync.Run("send", "--config", ftp);
        Assert.True(noSecret.ExitCode == 2, noSecret.ToString());
        Assert.Contains("store it with hzsync secret set ftp", noSecret.Stderr);

        var outputs = noConfig.Stderr + noSecret.Stderr + noSecret.Stdout;
        foreach (var cmdlet in new[] { "New-HzSyncConfig", "Set-HzSyncCredential", "New-HzSyncKey", "Initialize-HzSite", "-Hz" })
            Assert.DoesNotContain(cmdlet, outputs);
    }

    [Fact]
    public void A_node_is_set_up_with_hzsync_alone_configuration_and_secrets_as_the_cmdlets_write_them()
    {
        var path = Path.Combine(_temp.Path, "etc", "heitzsync.json");
        var made = Hzsync.Run("config", "new", "--config", path, "--role", "Site", "--site-code", "LYON01", "--site-number", "2",
            "--database-path", "/var/lib/club/club.fdb", "--ftp-host", "siege.example", "--ftp-user", "lyon01",
            "--ftp-certificate-thumbprint", new string('a', 64));
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.Contains($"hzsync secret set ftp --config {path}", made.Stdout);
        var config = HzSyncConfigStore.Load(path);
        var expected = new NewNodeConfig
        {
            Role = NodeRole.Site, SiteCode = "LYON01", SiteNumber = 2, DatabasePath = "/var/lib/club/club.fdb",
            FtpHost = "siege.example", FtpUser = "lyon01", FtpCertificateThumbprint = new string('a', 64),
        }.Build(path);
        Assert.Equal(JsonSerializer.Serialize(expected, HzSyncConfigStore.Json), JsonSerializer.Serialize(config, HzSyncConfigStore.Json));

        var again = Hzsync.Run("config", "new", "--config", path, "--role", "Site", "--site-code", "NICE03", "--site-number", "3",
            "--database-path", "x.fdb", "--drop-path", "/mnt/drop");
        AssertOneLineFailure(again, path, "already exists", "--force");
        Assert.Equal("LYON01", HzSyncConfigStore.Load(path).Site.Code);

        // The password comes on standard input, never as an argument (ps would show it).
        var stored = Hzsync.RunWithInput("s3cret-ftp\n", "secret", "set", "ftp", "--config", path);
        Assert.True(stored.ExitCode == 0, stored.ToString());
        Assert.DoesNotContain("s3cret-ftp", stored.Stdout + stored.Stderr);
        var secrets = SecretStore.ForConfig(config);
        Assert.Equal("s3cret-ftp", secrets.Get("ftp"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(secrets.Folder, "ftp.secret")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(secrets.Folder));

        AssertOneLineFailure(Hzsync.RunWithInput("", "secret", "set", "ftp", "--config", path), "no password was given", "nothing was stored");
        Assert.Equal("s3cret-ftp", secrets.Get("ftp"));
        AssertOneLineFailure(Hzsync.RunWithInput("x\n", "secret", "set", "../ftp", "--config", path), "'../ftp' is not a valid secret name");
    }

    public void Dispose() => _temp.Dispose();
}
