using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using HeitzSync.Core.Transport;

namespace HeitzSync.Testing.Ftp;

/// <summary>
/// A real vsftpd on a free loopback port, for the FTP tests: its own configuration, root folder and passive port
/// range, a local user (created if missing: tests run as root), and, for FTPS, a certificate made by openssl at start.
/// Can be stopped and restarted mid-test. Fails with vsftpd's own output when it cannot start; never skips.
/// </summary>
public sealed class VsftpdServer : IDisposable
{
    public const string User = "hzftp";
    public const string Password = "Ftp-Test-Pass-1";
    private static readonly Random PortPicker = new();
    private readonly string _folder;
    private readonly string _config;
    private Process? _process;

    public VsftpdServer(bool tls)
    {
        Tls = tls;
        _folder = Path.Combine(Path.GetTempPath(), "hz-vsftpd-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(_folder, "root");
        Directory.CreateDirectory(Root);
        EnsureUser();
        Run("chown", $"{User} {Root}");
        Directory.CreateDirectory("/var/run/vsftpd/empty");
        Port = FreePort();
        var passive = 20000 + PortPicker.Next(0, 400) * 100;
        var lines = new List<string>
        {
            "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", $"listen_port={Port}", "background=NO",
            "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
            "chroot_local_user=YES", "allow_writeable_chroot=YES", $"local_root={Root}",
            "pasv_enable=YES", "pasv_address=127.0.0.1", $"pasv_min_port={passive}", $"pasv_max_port={passive + 99}",
            "pam_service_name=vsftpd", "seccomp_sandbox=NO", "secure_chroot_dir=/var/run/vsftpd/empty",
            $"vsftpd_log_file={Path.Combine(_folder, "vsftpd.log")}", "log_ftp_protocol=YES", "xferlog_enable=YES",
        };
        if (tls)
        {
            var cert = Path.Combine(_folder, "cert.pem");
            var key = Path.Combine(_folder, "key.pem");
            Run("openssl", $"req -x509 -newkey rsa:2048 -nodes -keyout {key} -out {cert} -days 2 -subj /CN=127.0.0.1");
            Thumbprint = X509Certificate2.CreateFromPemFile(cert, key).GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            lines.AddRange(new[]
            {
                "ssl_enable=YES", $"rsa_cert_file={cert}", $"rsa_private_key_file={key}", "force_local_logins_ssl=YES",
                "force_local_data_ssl=YES", "require_ssl_reuse=NO", "ssl_ciphers=HIGH",
            });
        }
        _config = Path.Combine(_folder, "vsftpd.conf");
        File.WriteAllLines(_config, lines);
        Start();
    }

    public bool Tls { get; }
    public int Port { get; }

    /// <summary>The server's folder that is the drop root (the Siège works on it locally).</summary>
    public string Root { get; }

    /// <summary>SHA-256 thumbprint of the FTPS certificate (null for plain FTP).</summary>
    public string? Thumbprint { get; }

    public FtpDropSettings Settings(string? password = null, string? thumbprint = null) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        User = User,
        Password = password ?? Password,
        Security = Tls ? FtpSecurity.ExplicitTls : FtpSecurity.None,
        CertificateThumbprint = Tls ? thumbprint ?? Thumbprint : null,
        Timeout = TimeSpan.FromSeconds(20),
        MaxRetries = 5,
        RetryBaseDelay = TimeSpan.FromMilliseconds(500),
    };

    public string Log => File.Exists(Path.Combine(_folder, "vsftpd.log")) ? File.ReadAllText(Path.Combine(_folder, "vsftpd.log")) : "";

    public void Start()
    {
        _process = Process.Start(new ProcessStartInfo("vsftpd", _config) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("vsftpd could not be started: install vsftpd (scripts/install-prereqs.sh).");
        for (var i = 0; i < 50; i++)
        {
            if (Listening()) return;
            if (_process.HasExited) break;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"vsftpd did not start on 127.0.0.1:{Port}: {_process.StandardError.ReadToEnd()} {_process.StandardOutput.ReadToEnd()} {Log}");
    }

    /// <summary>Kills the listener and every session it forked (a server crash, mid-transfer if one runs).</summary>
    public void Stop()
    {
        Run("pkill", $"-KILL -f {_config}");
        _process?.WaitForExit(5000);
        _process = null;
        for (var i = 0; i < 50 && Listening(); i++) Thread.Sleep(100);
    }

    private bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void EnsureUser()
    {
        if (Run("id", User, throwOnError: false) != 0) Run("useradd", $"-m -s /bin/bash {User}");
        using var chpasswd = Process.Start(new ProcessStartInfo("chpasswd") { UseShellExecute = false, RedirectStandardInput = true })!;
        chpasswd.StandardInput.WriteLine($"{User}:{Password}");
        chpasswd.StandardInput.Close();
        chpasswd.WaitForExit();
    }

    private static int Run(string program, string arguments, bool throwOnError = true)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        if (throwOnError && process.ExitCode != 0 && program != "pkill")
        {
            throw new InvalidOperationException($"{program} {arguments} failed: {process.StandardError.ReadToEnd()}");
        }
        return process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
