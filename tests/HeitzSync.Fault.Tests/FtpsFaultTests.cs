using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Fault.Tests.Harness;
using HeitzSync.Testing.Ftp;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests;

/// <summary>
/// The same world with the sites reaching the Siège's drop through a real vsftpd over FTPS (explicit TLS, pinned
/// certificate), the Siège working on the FTP root locally: one site killed in the middle of its upload and another
/// in the middle of its download, in the same night.
/// </summary>
[Trait("Category", "Fault")]
public class FtpsFaultTests
{
    private readonly ITestOutputHelper _output;

    public FtpsFaultTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Over_ftps_a_site_killed_mid_upload_and_another_mid_download_lose_nothing()
    {
        using var server = new VsftpdServer(tls: true);
        using var world = FtpsWorld(server);
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        world.BigPhotos(world.Siege, members: 15, bytes: 100_000);   // the Siège's packages: several FTP blocks long
        ledger.CloseBusiness();

        var faults = new[] { new InjectedFault("METZ03", "send", "upload.during"), new InjectedFault("LYON01", "receive", "download.during") };
        var night = world.Night(faults);
        Assert.Equal(2, night.Killed.Count());
        // METZ03's upload stopped in its .part on the server; LYON01's download stopped in its local .part.
        var part = Assert.Single(Directory.GetFiles(Path.Combine(world.DropFolder, "METZ03", "up"), "*.part"));
        var sent = Directory.GetFiles(Path.Combine(world["METZ03"].WorkFolder, "outgoing"), "*.hzp").Max()!;
        Assert.True(new FileInfo(part).Length < new FileInfo(sent).Length, $"{part} is not partial");
        Assert.Empty(Directory.GetFiles(Path.Combine(world.DropFolder, "METZ03", "up"), "*.hzp"));
        Assert.Single(Directory.GetFiles(Path.Combine(world["LYON01"].WorkFolder, "incoming"), "*.part"));

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        Assert.DoesNotContain(VsftpdServer.Password, string.Concat(world.Log.Select(r => r.Stdout + r.Stderr)), StringComparison.Ordinal);
        FaultTable.Write(_output, "FTPS: SIGKILL at upload.during (METZ03) and download.during (LYON01) in one night", "METZ03 hzsync send; LYON01 hzsync receive",
            $"killed there; 1 normal night after; 4 databases identical; {account}; {world.Leftovers()}", world);
    }

    [Fact]
    public void The_ftp_server_down_for_a_night_fails_the_sites_clearly_and_the_next_night_catches_up()
    {
        using var server = new VsftpdServer(tls: true);
        using var world = FtpsWorld(server, retries: 0);   // no back-off: the server stays down all night anyway
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();

        server.Stop();
        NightRuns night;
        try
        {
            night = world.Night();
        }
        finally
        {
            server.Start();
        }
        foreach (var run in night.Runs.Where(r => r.Command is "send" or "receive"))
        {
            Assert.True(run.ExitCode == 2 && run.Stderr.Contains("DropUnreachable", StringComparison.Ordinal), $"a site did not fail clearly with the FTP server down: {run}");
        }
        var consolidate = night.Runs.Single(r => r.Command == "consolidate");
        Assert.True(consolidate.ExitCode == 1 && consolidate.Summary.Contains("no site delivered", StringComparison.Ordinal), consolidate.ToString());
        ledger.AssertUnchangedSinceBusiness();

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        var message = night.Runs.First(r => r.Command == "send").Stderr.Split('\n').First(l => l.Contains("DropUnreachable", StringComparison.Ordinal)).Trim();
        FaultTable.Write(_output, "FTP server down for a night", "every site's hzsync send and receive",
            $"sites failed (exit 2): \"{message}\"; the Siège found nothing (exit 1); nothing changed; next night OK; 4 databases identical; {account}", world);
    }

    /// <summary>
    /// The FTP server dies in the middle of a site's upload (its listener and the session are killed: the connection is
    /// cut with part of the package sent, a .part on the server) and comes back a few seconds later. The site's own
    /// retries either finish the upload in the same run or fail it clearly; either way the next normal night leaves every
    /// database identical, nothing lost or duplicated, and no half-sent package is ever consolidated.
    /// </summary>
    [Fact]
    public void The_ftp_server_stopped_mid_upload_and_restarted_cuts_the_connection_half_sent_and_loses_nothing()
    {
        // 512 KB/s per session: METZ03's package (big photos, over 1 MB) takes seconds to go up, time to cut it.
        using var server = new VsftpdServer(new VsftpdOptions { MaxRateBytesPerSecond = 512 * 1024 });
        using var world = FtpsWorld(server, retries: 2);
        var metz = world["METZ03"];
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        world.BigPhotos(metz, members: 15, bytes: 100_000);
        ledger.CloseBusiness();

        var up = Path.Combine(world.DropFolder, "METZ03", "up");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long cutAt = 0;
        HzsyncRun send;
        using (var process = Hzsync.Start(metz.Code, metz.ConfigPath, "send"))
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(90) && !process.HasExited)
            {
                var part = Directory.Exists(up) ? Directory.GetFiles(up, "*.part").FirstOrDefault() : null;
                if (part is not null && new FileInfo(part).Length >= 256 * 1024)
                {
                    cutAt = new FileInfo(part).Length;
                    break;
                }
                Thread.Sleep(20);
            }
            Assert.True(cutAt > 0, "METZ03's upload was never seen in progress on the server");
            server.Stop();                  // the session dies with the package half sent
            Thread.Sleep(3000);
            server.Start();                 // back a few seconds later
            send = Hzsync.Finish(metz.Code, "send", process, watch, TimeSpan.FromSeconds(120));
        }
        world.Log.Add(send);
        Assert.True(send.KilledAt is null && send.ExitCode is 0 or 2, $"the send cut mid-upload neither finished nor failed clearly: {send}");
        if (send.ExitCode == 2) Assert.Contains("Drop", send.Stderr, StringComparison.Ordinal);
        // Whatever is in up/ now is whole: a .hzp there is complete (the Siège authenticates it before anything).
        foreach (var package in Directory.GetFiles(up, "*.hzp"))
        {
            var local = Path.Combine(metz.WorkFolder, "outgoing", Path.GetFileName(package));
            if (File.Exists(local)) Assert.Equal(new FileInfo(local).Length, new FileInfo(package).Length);
        }

        var night = world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        var consolidate = night.Runs.Single(r => r.Command == "consolidate").Summary;
        FaultTable.Write(_output, "FTP server stopped mid-upload (connection cut after " + cutAt / 1024 + " KiB) and restarted 3 s later", "METZ03 hzsync send",
            (send.ExitCode == 0 ? "the send's retry finished the upload in the same run (exit 0)" : "the send failed clearly (exit 2)") +
            $"; next night OK ({consolidate}); 4 databases identical; {account}; {world.Leftovers()}", world);
    }

    /// <summary>A copy of the template world whose sites reach the drop through <paramref name="server"/> over FTPS; the Siège works on the drop (a folder under the FTP root) locally.</summary>
    /// <param name="retries">drop.retries: each FTP operation is tried that many times again, with back-off, before the run fails.</param>
    private static FaultWorld FtpsWorld(VsftpdServer server, int retries = 2)
    {
        var world = FaultWorld.FromTemplate();
        var (onDisk, onServer) = server.NewDropFolder();
        foreach (var entry in Directory.GetFileSystemEntries(world.DropFolder))
        {
            Assert.Equal(0, Shell.Run("cp", "-a", entry, onDisk).ExitCode);
        }
        Assert.Equal(0, Shell.Run("chown", "-R", VsftpdServer.User, onDisk).ExitCode);
        world.DropFolder = onDisk;
        world.Reconfigure(world.Siege, c => c with { Drop = c.Drop with { Path = onDisk } });
        foreach (var site in world.Sites)
        {
            world.Reconfigure(site, c => c with
            {
                Drop = new DropConfig
                {
                    Kind = DropKind.Ftp, Host = server.Host, Port = server.Port, User = VsftpdServer.User, PasswordSecret = "ftp",
                    CertificateThumbprint = server.Thumbprint, Path = onServer, TimeoutSeconds = 20, Retries = retries,
                },
            });
            NodeContext.SecretsFor(HzSyncConfigStore.Load(site.ConfigPath)).Set("ftp", VsftpdServer.Password);
        }
        return world;
    }
}
