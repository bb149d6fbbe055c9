using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Night;

/// <summary>Three sites and a Siège on one machine; the sites reach the Siège's drop through a real vsftpd over FTPS.</summary>
[Trait("Category", "Ftp")]
[Trait("Category", "EndToEnd")]
public class FtpNightTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-ftpnight");

    [Fact]
    public async Task Three_nights_over_ftps_converge_every_database()
    {
        using var server = new VsftpdServer(tls: true);
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege, new DropConfig { Kind = DropKind.Folder, Path = server.Root });
        var ftp = new DropConfig
        {
            Kind = DropKind.Ftp, Host = "127.0.0.1", Port = server.Port, User = VsftpdServer.User, PasswordSecret = "ftp",
            CertificateThumbprint = server.Thumbprint, TimeoutSeconds = 20, Retries = 3,
        };
        // METZ03 uses active mode (drop.passive false: the server connects back for data), the others passive.
        var sites = new[] { Node("LYON01", 2, NodeRole.Site, ftp), Node("NICE02", 3, NodeRole.Site, ftp), Node("METZ03", 4, NodeRole.Site, ftp with { Passive = false }) };
        foreach (var site in sites) NodeContext.SecretsFor(site).Set("ftp", VsftpdServer.Password);
        foreach (var node in sites.Prepend(siege)) Assert.Equal(ReportState.OK, (await NodeRunner.InitializeAsync(node, null, CancellationToken.None)).State);

        var random = new Random(11);
        for (var night = 1; night <= 3; night++)
        {
            if (night > 1)
            {
                foreach (var node in sites.Prepend(siege))
                {
                    using var connection = FbConnection.Open(new FbConnectionSettings { Database = node.Resolve(node.Database.Path) });
                    BusinessDay.Simulate(connection, node.Site.Number, node.KeyRange.Low, random, new BusinessDayOptions { ConflictMemberIds = new[] { 2 * 1_000_000_000L + 1 } });
                }
            }
            foreach (var site in sites)
            {
                var sent = await NodeRunner.SendAsync(site, null, CancellationToken.None);
                Assert.True(sent.State == ReportState.OK, $"{site.Site.Code} send: {sent.Summary}");
            }
            var consolidated = await NodeRunner.SyncAsync(siege, null, CancellationToken.None);
            Assert.True(consolidated.State == ReportState.OK, consolidated.Summary + string.Join("; ", consolidated.Errors.Select(e => e.Message)));
            foreach (var site in sites)
            {
                var received = await NodeRunner.ReceiveAsync(site, TimeSpan.FromSeconds(10), null, CancellationToken.None);
                Assert.True(received.State == ReportState.OK, $"{site.Site.Code} receive: {received.Summary}");
            }
            using var master = FbConnection.Open(new FbConnectionSettings { Database = siege.Resolve(siege.Database.Path) });
            foreach (var site in sites)
            {
                using var other = FbConnection.Open(new FbConnectionSettings { Database = site.Resolve(site.Database.Path) });
                Assert.All(DatabaseComparer.Compare(master, other, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, $"night {night}, {site.Site.Code}, {t.Table}"));
            }
        }
        Assert.DoesNotContain(VsftpdServer.Password, string.Concat(Directory.GetFiles(_temp.Path, "*.json", SearchOption.AllDirectories).Select(File.ReadAllText)));
        // drop.passive reaches the transport: the server saw both kinds of data connection.
        Assert.False(HzSyncConfigStore.Load(Path.Combine(_temp.Path, "METZ03", "heitzsync.json")).Drop.Passive);
        Assert.Matches("\"(PORT|EPRT) ", server.Log);
        Assert.Matches("\"(PASV|EPSV)\"", server.Log);
    }

    private HzSyncConfig Node(string code, int number, NodeRole role, DropConfig drop)
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
            Schedule = new ScheduleConfig { ReceptionMinutes = 1, PackageWaitMinutes = 1, PollSeconds = 1, Sites = new[] { "LYON01", "NICE02", "METZ03" } },
            BaseFolder = folder,
        };
        HzSyncConfigStore.Save(config, Path.Combine(folder, "heitzsync.json"));
        var loaded = HzSyncConfigStore.Load(Path.Combine(folder, "heitzsync.json"));
        using var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = loaded.Resolve(loaded.Database.Path) });
        SampleSchema.Create(connection);
        SampleData.SeedExisting(connection, number, loaded.KeyRange.Low, 15, new Random(number));
        return loaded;
    }

    public void Dispose() => _temp.Dispose();
}
