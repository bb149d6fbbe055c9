namespace HeitzSync.Testing.Ftp;

/// <summary>
/// Two vsftpd servers for a test class (xunit class fixture): <see cref="Ftps"/> (explicit TLS, forced for logins and
/// data, certificate pinned by thumbprint in its settings) and <see cref="Plain"/> (plain FTP). Give each test a folder
/// of its own with <see cref="VsftpdServer.NewDropFolder"/>; a test that stops a server restarts it before it ends.
/// </summary>
public sealed class VsftpdFixture : IDisposable
{
    private readonly Lazy<VsftpdServer> _ftps = new(() => new VsftpdServer(new VsftpdOptions { Tls = true }));
    private readonly Lazy<VsftpdServer> _plain = new(() => new VsftpdServer(new VsftpdOptions { Tls = false }));

    public VsftpdServer Ftps => _ftps.Value;
    public VsftpdServer Plain => _plain.Value;

    public void Dispose()
    {
        if (_ftps.IsValueCreated) _ftps.Value.Dispose();
        if (_plain.IsValueCreated) _plain.Value.Dispose();
    }
}
