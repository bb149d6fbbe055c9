using System.Diagnostics;
using HeitzSync.Core.Transport;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>The transport contract against a real vsftpd with explicit TLS and a pinned certificate.</summary>
[Trait("Category", "Ftp")]
public sealed class FtpsDropContractTests : FtpDropContract, IClassFixture<VsftpdFixture>
{
    public FtpsDropContractTests(VsftpdFixture servers) : base(servers.Ftps) { }
}

/// <summary>The transport contract against a real vsftpd without TLS (allowed only when the configuration says so).</summary>
[Trait("Category", "Ftp")]
public sealed class PlainFtpDropContractTests : FtpDropContract, IClassFixture<VsftpdFixture>
{
    public PlainFtpDropContractTests(VsftpdFixture servers) : base(servers.Plain) { }
}

/// <summary>The transport contract against a real vsftpd in active mode (the server connects back for data).</summary>
[Trait("Category", "Ftp")]
public sealed class ActiveFtpsDropContractTests : FtpDropContract, IClassFixture<VsftpdFixture>
{
    public ActiveFtpsDropContractTests(VsftpdFixture servers) : base(servers.Ftps, passive: false) { }
}

/// <summary>Each test gets a folder of its own on the shared server as its drop root (drop.path).</summary>
public abstract class FtpDropContract : DropContract
{
    private readonly VsftpdServer _server;
    private readonly (string OnDisk, string OnServer) _folder;
    private readonly bool _passive;

    protected FtpDropContract(VsftpdServer server, bool passive = true)
    {
        _server = server;
        _passive = passive;
        _folder = server.NewDropFolder();
    }

    protected override string DropOnDisk => _folder.OnDisk;

    protected override long ResumeCheckBytes => 64 * 1024;

    protected override IDropTransport CreateDrop() => new FtpDropTransport(_server.Settings(rootPath: _folder.OnServer) with { Passive = _passive });

    protected override void PlaceOnDisk(string relative, byte[] content)
    {
        base.PlaceOnDisk(relative, content);
        using var chown = Process.Start(new ProcessStartInfo("chown", $"-R {VsftpdServer.User} {DropOnDisk}") { UseShellExecute = false })!;
        chown.WaitForExit();
    }
}
