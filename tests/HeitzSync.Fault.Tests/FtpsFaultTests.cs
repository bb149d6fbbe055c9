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
        using var world = FaultWorld.FromTemplate();
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
                    CertificateThumbprint = server.Thumbprint, Path = onServer, TimeoutSeconds = 20, Retries = 2,
                },
            });
            NodeContext.SecretsFor(HzSyncConfigStore.Load(site.ConfigPath)).Set("ftp", VsftpdServer.Password);
        }

        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        world.BigPhotos(world.Siege, members: 15, bytes: 100_000);   // the Siège's packages: several FTP blocks long
        ledger.CloseBusiness();

        var faults = new[] { new InjectedFault("METZ03", "send", "upload.during"), new InjectedFault("LYON01", "receive", "download.during") };
        var night = world.Night(faults);
        Assert.Equal(2, night.Killed.Count());
        // METZ03's upload stopped in its .part on the server; LYON01's download stopped in its local .part.
        var part = Assert.Single(Directory.GetFiles(Path.Combine(onDisk, "METZ03", "up"), "*.part"));
        var sent = Directory.GetFiles(Path.Combine(world["METZ03"].WorkFolder, "outgoing"), "*.hzp").Max()!;
        Assert.True(new FileInfo(part).Length < new FileInfo(sent).Length, $"{part} is not partial");
        Assert.Empty(Directory.GetFiles(Path.Combine(onDisk, "METZ03", "up"), "*.hzp"));
        Assert.Single(Directory.GetFiles(Path.Combine(world["LYON01"].WorkFolder, "incoming"), "*.part"));

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        Assert.DoesNotContain(VsftpdServer.Password, string.Concat(world.Log.Select(r => r.Stdout + r.Stderr)), StringComparison.Ordinal);
        FaultTable.Write(_output, "FTPS: SIGKILL at upload.during (METZ03) and download.during (LYON01) in one night", "METZ03 hzsync send; LYON01 hzsync receive",
            $"killed there; 1 normal night after; 4 databases identical; {account}; {world.Leftovers()}", world);
    }
}
