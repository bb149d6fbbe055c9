using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HeitzSync.Core.Checks;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Checks;

[Trait("Category", "Ftp")]
public class SiegeChecksTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-checks");

    private HzSyncConfig Node(string code, int number, NodeRole role, DropConfig drop, bool initialise = true)
    {
        var folder = Path.Combine(_temp.Path, code);
        Directory.CreateDirectory(folder);
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = drop,
            KeyFile = _temp.File("group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_SETTINGS" } },
            Schedule = new ScheduleConfig { ReceptionMinutes = 0, PackageWaitMinutes = 0, PollSeconds = 1, Sites = new[] { "LYON01", "NICE02" } },
            BaseFolder = folder,
        };
        if (!File.Exists(config.Resolve(config.Database.Path)))
        {
            using var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = config.Resolve(config.Database.Path) });
            SampleSchema.Create(connection);
        }
        if (drop.Kind == DropKind.Ftp) NodeContext.SecretsFor(config).Set("ftp", VsftpdServer.Password);
        if (initialise) Assert.Equal(HeitzSync.Core.Reports.ReportState.OK, NodeRunner.InitializeAsync(config, null, CancellationToken.None).GetAwaiter().GetResult().State);
        return config;
    }

    private static DropConfig Ftp(VsftpdServer server) => new()
    {
        Kind = DropKind.Ftp, Host = "127.0.0.1", Port = server.Port, User = VsftpdServer.User, PasswordSecret = "ftp",
        CertificateThumbprint = server.Thumbprint, TimeoutSeconds = 10, Retries = 1,
    };

    private (VsftpdServer Server, HzSyncConfig Siege, HzSyncConfig Site) World()
    {
        var server = new VsftpdServer(tls: true);
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege, new DropConfig { Kind = DropKind.Folder, Path = server.Root });
        var site = Node("LYON01", 2, NodeRole.Site, Ftp(server));
        NodeRunner.SendAsync(site, null, CancellationToken.None).GetAwaiter().GetResult();
        NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None).GetAwaiter().GetResult();   // writes siege.json
        return (server, siege, site);
    }

    [Fact]
    public async Task A_healthy_site_and_siege_pass_every_check()
    {
        var (server, siege, site) = World();
        using (server)
        {
            var progress = new List<SyncProgress>();
            var results = await SiegeChecks.RunAsync(site, new InlineProgress<SyncProgress>(progress.Add), CancellationToken.None);
            Assert.All(results, r => Assert.True(r.Status == CheckStatus.Passed, $"{r.Check}: {r.Status} {r.Detail}"));
            Assert.Equal(new[] { "GroupKey", "Database", "Reachability", "Tls", "Login", "SiteFolder", "WriteRight", "ClockSkew", "ModuleVersion", "Schema", "KeyRange", "KeyMatch", "Permissions" }, results.Select(r => r.Check));
            Assert.Contains("LYON01/up", results.Single(r => r.Check == "WriteRight").Detail);
            Assert.Contains($"the pinned certificate (SHA-256 {server.Thumbprint})", results.Single(r => r.Check == "Tls").Detail);
            Assert.Contains("LYON01's folder is LYON01/ in the drop (drop.scope Drop), as the Siège publishes it", results.Single(r => r.Check == "SiteFolder").Detail);
            Assert.Contains("ack.json of cycle", results.Single(r => r.Check == "SiteFolder").Detail);
            // One progress report per group of checks, in order, ending at 100 %.
            Assert.Equal(new[] { "Group key", "Database", $"Reachability of 127.0.0.1:{server.Port}", "Drop: login, write right, clock, Siège document", "Done" }, progress.Select(p => p.Status));
            Assert.Equal(progress.Select(p => p.PercentComplete).OrderBy(p => p), progress.Select(p => p.PercentComplete));
            var atSiege = await SiegeChecks.RunAsync(siege, CancellationToken.None);
            Assert.Contains("the drop's root", atSiege.Single(r => r.Check == "WriteRight").Detail);
            Assert.Contains(atSiege, r => r.Check == "Site LYON01" && r.Status == CheckStatus.Passed);
            Assert.Contains(atSiege, r => r.Check == "KeyRanges" && r.Status == CheckStatus.Passed);
            Assert.Empty(Directory.GetFiles(server.Root, "probe-*", SearchOption.AllDirectories));   // the probe file is gone
        }
    }

    [Fact]
    public async Task A_version_mismatch_and_an_overlapping_key_range_are_reported_with_their_fix()
    {
        var (server, _, site) = World();
        using (server)
        {
            var path = Path.Combine(server.Root, "siege.json");
            var document = JsonNode.Parse(File.ReadAllText(path))!;
            document["moduleVersion"] = "9.9.9";
            File.WriteAllText(path, document.ToJsonString());
            var impostor = Node("NICE02", 2, NodeRole.Site, Ftp(server), initialise: false);   // the same number as LYON01
            var refused = await NodeRunner.InitializeAsync(impostor, null, CancellationToken.None);
            Assert.Equal(HeitzSync.Core.Reports.ReportState.Failed, refused.State);   // init refuses a number the Siège registered
            Assert.Contains("LYON01", refused.Summary);
            var results = await SiegeChecks.RunAsync(impostor, CancellationToken.None);
            var version = results.Single(r => r.Check == "ModuleVersion");
            Assert.Equal(CheckStatus.Failed, version.Status);
            Assert.Contains("9.9.9", version.Detail);
            var range = results.Single(r => r.Check == "KeyRange");
            Assert.Equal(CheckStatus.Failed, range.Status);
            Assert.Contains("LYON01", range.Detail);
            Assert.Contains("site.number", range.Fix);
            // NICE02 has no folder in the drop yet, so no copy of siege.json: said, and the drop's own copy still checked.
            var folder = results.Single(r => r.Check == "SiteFolder");
            Assert.Equal(CheckStatus.Warning, folder.Status);
            Assert.Contains("the Siège has not written NICE02's copy of siege.json", folder.Detail);
        }
    }

    [Fact]
    public async Task No_write_right_and_a_wrong_password_are_each_their_own_failed_check()
    {
        var (server, _, site) = World();
        using (server)
        {
            var up = Path.Combine(server.Root, "LYON01", "up");
            Process.Start("chown", $"root {up}")!.WaitForExit();
            Process.Start("chmod", $"755 {up}")!.WaitForExit();
            var results = await SiegeChecks.RunAsync(site, CancellationToken.None);
            Assert.Equal(CheckStatus.Failed, results.Single(r => r.Check == "WriteRight").Status);
            Assert.Equal(CheckStatus.Passed, results.Single(r => r.Check == "Login").Status);

            NodeContext.SecretsFor(site).Set("ftp", "not-the-password");
            results = await SiegeChecks.RunAsync(site, CancellationToken.None);
            var login = results.Single(r => r.Check == "Login");
            Assert.Equal(CheckStatus.Failed, login.Status);
            Assert.DoesNotContain("not-the-password", JsonSerializer.Serialize(results));
        }
    }

    [Fact]
    public async Task A_site_whose_account_sees_the_whole_drop_but_says_scope_Site_fails_SiteFolder_and_writes_nothing()
    {
        var (server, _, site) = World();
        using (server)
        {
            var scoped = site with { Drop = site.Drop with { Scope = DropScope.Site } };
            var results = await SiegeChecks.RunAsync(scoped, CancellationToken.None);
            var folder = results.Single(r => r.Check == "SiteFolder");
            Assert.Equal(CheckStatus.Failed, folder.Status);
            Assert.Contains("this account sees the whole drop", folder.Detail);
            Assert.Contains("Set drop.scope to Drop", folder.Fix);
            Assert.Equal(CheckStatus.Failed, results.Single(r => r.Check == "WriteRight").Status);
            Assert.False(Directory.Exists(Path.Combine(server.Root, "up")), "the probe's folder was made where the Siège never looks");
        }
    }

    [Fact]
    public async Task A_site_that_cannot_find_its_ack_json_though_the_Siege_consolidated_it_fails_SiteFolder()
    {
        var (server, _, site) = World();
        using (server)
        {
            File.Delete(Path.Combine(server.Root, "LYON01", "ack.json"));
            var results = await SiegeChecks.RunAsync(site, CancellationToken.None);
            var folder = results.Single(r => r.Check == "SiteFolder");
            Assert.Equal(CheckStatus.Failed, folder.Status);
            Assert.Contains("the Siège has consolidated LYON01", folder.Detail);
            Assert.Contains("no ack.json", folder.Detail);
            Assert.Contains("drop.scope", folder.Fix);
        }
    }

    [Fact]
    public async Task Plain_ftp_is_a_Tls_warning_and_a_site_account_rooted_in_another_site_folder_is_named()
    {
        using var server = new VsftpdServer(tls: false);
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        foreach (var code in new[] { "LYON01", "NICE02" }) Directory.CreateDirectory(Path.Combine(server.Root, code));   // as the Siège's admin does
        var siege = Node("SIEGE", 1, NodeRole.Siege, new DropConfig { Kind = DropKind.Folder, Path = server.Root });   // its init writes siege.json into both
        Assert.Equal("NICE02", JsonNode.Parse(File.ReadAllText(Path.Combine(server.Root, "NICE02", "siege.json")))!["forSite"]!.GetValue<string>());
        // LYON01's account, rooted (as if chrooted) in NICE02's folder.
        var plain = new DropConfig { Kind = DropKind.Ftp, Host = "127.0.0.1", Port = server.Port, User = VsftpdServer.User, PasswordSecret = "ftp", Security = "None", Path = "/NICE02", Scope = DropScope.Site, TimeoutSeconds = 10, Retries = 1 };
        var site = Node("LYON01", 2, NodeRole.Site, plain, initialise: false);
        // Its init cannot register (the account may not write in NICE02's folder): Partial, the capture installed all the same.
        Assert.Equal(HeitzSync.Core.Reports.ReportState.Partial, (await NodeRunner.InitializeAsync(site, null, CancellationToken.None)).State);
        var results = await SiegeChecks.RunAsync(site, CancellationToken.None);
        Assert.Equal(CheckStatus.Warning, results.Single(r => r.Check == "Tls").Status);
        var folder = results.Single(r => r.Check == "SiteFolder");
        Assert.Equal(CheckStatus.Failed, folder.Status);
        Assert.Contains("written for NICE02, not for LYON01", folder.Detail);
    }

    public void Dispose() => _temp.Dispose();
}
