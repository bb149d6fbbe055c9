using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Night;

/// <summary>A site's night against a real vsftpd that goes away: during the wait for the Siège's package, and mid-upload.</summary>
[Trait("Category", "Ftp")]
[Trait("Category", "EndToEnd")]
public class FtpOutageNightTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-ftpout");

    public void Dispose() => _temp.Dispose();

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
            Schedule = new ScheduleConfig { RestartHour = DateTime.Now.AddHours(-1).ToString("HH:mm"), ReceptionMinutes = 1, PackageWaitMinutes = 1, PollSeconds = 1 },
            BaseFolder = folder,
        };
        HzSyncConfigStore.Save(config, Path.Combine(folder, "heitzsync.json"));
        var loaded = HzSyncConfigStore.Load(Path.Combine(folder, "heitzsync.json"));
        using (var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = loaded.Resolve(loaded.Database.Path) }))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, number, loaded.KeyRange.Low, 5, new Random(number));
        }
        if (drop.Kind == DropKind.Ftp) NodeContext.SecretsFor(loaded).Set("ftp", VsftpdServer.Password);
        Assert.Equal(ReportState.OK, NodeRunner.InitializeAsync(loaded, null, CancellationToken.None).GetAwaiter().GetResult().State);
        return loaded;
    }

    private (HzSyncConfig Siege, HzSyncConfig Site) World(VsftpdServer server, int retries)
    {
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        var siege = Node("SIEGE", 1, NodeRole.Siege, new DropConfig { Kind = DropKind.Folder, Path = server.Root });
        var site = Node("LYON01", 2, NodeRole.Site, new DropConfig
        {
            Kind = DropKind.Ftp, Host = "127.0.0.1", Port = server.Port, User = VsftpdServer.User, PasswordSecret = "ftp", Security = "None",
            TimeoutSeconds = 5, Retries = retries,
        });
        return (siege, site);
    }

    private static void Photos(HzSyncConfig node, int members, int bytes)
    {
        using var connection = FbConnection.Open(new FbConnectionSettings { Database = node.Resolve(node.Database.Path) });
        var random = new Random(members * 7 + bytes);
        for (var i = 0; i < members; i++)
        {
            var photo = new byte[bytes];
            random.NextBytes(photo);   // random bytes do not compress: the package is as large as the photos
            using var tx = connection.BeginTransaction();
            connection.Execute(tx, "INSERT INTO MEMBERS (ID, LAST_NAME, PHOTO) VALUES (NULL, ?, ?)", $"Photo {i}", photo);
            tx.Commit();
        }
    }

    [Fact]
    public async Task A_site_waiting_for_its_package_keeps_waiting_through_an_ftp_outage_and_says_so()
    {
        using var server = new VsftpdServer(new VsftpdOptions { Tls = false, ForceTlsLogins = false });
        var (siege, site) = World(server, retries: 1);
        Assert.Equal(ReportState.OK, (await NodeRunner.SendAsync(site, null, CancellationToken.None)).State);

        server.Stop();
        var unreachable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = NodeRunner.ReceiveAsync(site, TimeSpan.FromMinutes(2),
            new InlineProgress<SyncProgress>(p => { if (p.Status.Contains("cannot be reached")) unreachable.TrySetResult(); }), CancellationToken.None);
        Assert.Same(unreachable.Task, await Task.WhenAny(unreachable.Task, waiting));   // it noticed the outage and still waits
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);
        server.Start();

        var received = await waiting;
        Assert.True(received.State == ReportState.OK, received.Summary + " | " + string.Join(" | ", received.Errors.Select(e => e.Message)));
        Assert.True(received.RowsApplied > 0);
        Assert.Contains("could not be reached", received.Summary);
    }

    [Fact]
    public async Task A_rerun_resumes_an_upload_cut_by_the_server_or_supersedes_it_and_leaves_no_fragment()
    {
        using var server = new VsftpdServer(new VsftpdOptions { Tls = false, ForceTlsLogins = false, MaxRateBytesPerSecond = 256 * 1024 });
        var (siege, site) = World(server, retries: 0);
        var up = Path.Combine(server.Root, "LYON01", "up");

        async Task<string> CutUpload()
        {
            Photos(site, 3, 200_000);
            var stopped = false;
            var cut = await NodeRunner.SendAsync(site, new InlineProgress<SyncProgress>(p =>
            {
                if (!stopped && p.Activity == "Send" && p.PercentComplete >= 25) { stopped = true; server.Stop(); }
            }), CancellationToken.None);
            Assert.True(stopped, "the upload was never seen in progress");
            Assert.Equal(ReportState.Failed, cut.State);
            server.Start();
            var fragment = Assert.Single(Directory.GetFiles(up, "*.part"));
            return Path.GetFileName(fragment)[..^".part".Length];
        }

        // Nothing changed since the cut: the rerun sends the same package, from where it stopped.
        var first = await CutUpload();
        var resumed = await NodeRunner.SendAsync(site, null, CancellationToken.None);
        Assert.True(resumed.State == ReportState.OK, resumed.Summary);
        Assert.Equal(first, Assert.Single(resumed.SiteLines).PackageName);
        Assert.Contains("resumed", resumed.Summary);
        Assert.Empty(Directory.GetFiles(up, "*.part"));
        var upload = server.Transfers().Last(t => t.Ok && t.Kind == "UPLOAD");
        Assert.True(upload.Bytes < new FileInfo(Path.Combine(up, first)).Length, $"the rerun sent {upload.Bytes} bytes again");
        Assert.Equal(ReportState.OK, (await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None)).State);

        // A change after the cut: a new package supersedes the cut one, whose fragment goes.
        var second = await CutUpload();
        using (var connection = FbConnection.Open(new FbConnectionSettings { Database = site.Resolve(site.Database.Path) }))
            connection.ExecuteInNewTransaction("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, 'After the cut')");
        var superseding = await NodeRunner.SendAsync(site, null, CancellationToken.None);
        Assert.True(superseding.State == ReportState.OK, superseding.Summary);
        Assert.NotEqual(second, superseding.SiteLines.Single(l => l.State == "Sent").PackageName);
        Assert.Empty(Directory.GetFiles(up, "*.part"));
        var consolidated = await NodeRunner.ConsolidateAsync(siege, TimeSpan.Zero, null, CancellationToken.None);
        Assert.Equal(ReportState.OK, consolidated.State);
        using var master = FbConnection.Open(new FbConnectionSettings { Database = siege.Resolve(siege.Database.Path) });
        using var tx = master.BeginTransaction();
        Assert.Equal(6L, Convert.ToInt64(master.ExecuteScalar(tx, "SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME STARTING WITH 'Photo'")));
        Assert.Equal(1L, Convert.ToInt64(master.ExecuteScalar(tx, "SELECT COUNT(*) FROM MEMBERS WHERE LAST_NAME = 'After the cut'")));
    }
}
