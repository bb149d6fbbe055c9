using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using HeitzSync.Core.Transport;

namespace HeitzSync.Testing.Ftp;

/// <summary>How a test vsftpd is configured.</summary>
public sealed record VsftpdOptions
{
    /// <summary>Explicit TLS (ssl_enable) with a certificate made by openssl at start.</summary>
    public bool Tls { get; init; } = true;

    /// <summary>force_local_logins_ssl and force_local_data_ssl: a plain-FTP client cannot log in.</summary>
    public bool ForceTlsLogins { get; init; } = true;

    /// <summary>vsftpd's own default is YES (data connections must resume the control connection's TLS session); .NET
    /// resumes TLS sessions only when the host is a name, so such a server is reached as "localhost".</summary>
    public bool RequireSslReuse { get; init; }

    /// <summary>local_max_rate: bytes per second per session (0: unlimited), so that a test can act in the middle of a transfer.</summary>
    public int MaxRateBytesPerSecond { get; init; }
}

/// <summary>
/// A real vsftpd on a free loopback port, for the FTP tests: its own configuration, root folder (the chroot of its user)
/// and passive port range, a local user (created if missing, with a valid shell and not listed in /etc/ftpusers: tests
/// run as root), and for FTPS a certificate made by openssl at start. Can be stopped, restarted and paused mid-test.
/// Fails with vsftpd's own output and log when it cannot start; never skips.
/// </summary>
public sealed class VsftpdServer : IDisposable
{
    public const string User = "hzftp1";
    public const string Password = "Ftp-Test-Pass-1";
    private static readonly Random PortPicker = new();
    private static readonly object UserLock = new();
    private readonly string _folder;
    private readonly string _config;
    private readonly string _logFile;
    private readonly string? _host;
    private Process? _process;

    public VsftpdServer(bool tls) : this(new VsftpdOptions { Tls = tls }) { }

    public VsftpdServer(VsftpdOptions options)
    {
        Options = options;
        _folder = Path.Combine(Path.GetTempPath(), "hz-vsftpd-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(_folder, "root");
        _logFile = Path.Combine(_folder, "vsftpd.log");
        Directory.CreateDirectory(Root);
        EnsureUser();
        Run("chown", $"{User} {Root}");
        Directory.CreateDirectory("/var/run/vsftpd/empty");
        Port = FreePort();
        var passive = PassiveRangeStart();
        var lines = new List<string>
        {
            "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", $"listen_port={Port}", "background=NO",
            "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
            "chroot_local_user=YES", "allow_writeable_chroot=YES", $"local_root={Root}",
            "pasv_enable=YES", "pasv_address=127.0.0.1", $"pasv_min_port={passive}", $"pasv_max_port={passive + 99}",
            "port_enable=YES", "connect_from_port_20=NO",
            "pam_service_name=vsftpd", "seccomp_sandbox=NO", "secure_chroot_dir=/var/run/vsftpd/empty",
            $"vsftpd_log_file={_logFile}", "log_ftp_protocol=YES", "xferlog_enable=YES",
        };
        if (options.MaxRateBytesPerSecond > 0) lines.Add($"local_max_rate={options.MaxRateBytesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        if (options.Tls)
        {
            var cert = Path.Combine(_folder, "cert.pem");
            var key = Path.Combine(_folder, "key.pem");
            Run("openssl", $"req -x509 -newkey rsa:2048 -nodes -keyout {key} -out {cert} -days 2 -subj /CN=127.0.0.1");
            using var certificate = X509Certificate2.CreateFromPemFile(cert, key);
            Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            Sha1Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA1);
            lines.AddRange(new[]
            {
                "ssl_enable=YES", $"rsa_cert_file={cert}", $"rsa_private_key_file={key}", "ssl_ciphers=HIGH",
                $"force_local_logins_ssl={YesNo(options.ForceTlsLogins)}", $"force_local_data_ssl={YesNo(options.ForceTlsLogins)}",
                $"require_ssl_reuse={YesNo(options.RequireSslReuse)}", "debug_ssl=YES",
            });
        }
        _config = Path.Combine(_folder, "vsftpd.conf");
        File.WriteAllLines(_config, lines);
        Start();
    }

    /// <summary>
    /// A vsftpd run from a configuration file written by someone else (<see cref="DocumentedVsftpd"/>: the one
    /// docs/ftp-siege.md gives), which must log to <paramref name="logFile"/> and listen on 127.0.0.1:<paramref name="port"/>.
    /// No user is created here. <paramref name="host"/> is how clients reach it (a name when the configuration
    /// requires TLS session reuse); <paramref name="certificatePem"/> is its certificate (null: plain FTP).
    /// </summary>
    public VsftpdServer(string folder, string configFile, string logFile, int port, string root, string host, string? certificatePem)
    {
        _folder = folder;
        _config = configFile;
        _logFile = logFile;
        _host = host;
        Port = port;
        Root = root;
        Options = new VsftpdOptions { Tls = certificatePem is not null };
        if (certificatePem is not null)
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePem));
            Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            Sha1Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA1);
        }
        Directory.CreateDirectory("/var/run/vsftpd/empty");
        Start();
    }

    /// <summary>A free TCP port on the loopback interface (for a configuration written before the server starts).</summary>
    public static int FreeLoopbackPort() => FreePort();

    /// <summary>The first port of a range of 100 passive ports that tests do not share.</summary>
    public static int PassiveRangeStart() => 20000 + PortPicker.Next(0, 400) * 100;

    public VsftpdOptions Options { get; }
    public bool Tls => Options.Tls;
    public int Port { get; }

    /// <summary>How clients reach it: a name when TLS session reuse is required (see <see cref="VsftpdOptions.RequireSslReuse"/>).</summary>
    public string Host => _host ?? (Options.RequireSslReuse ? "localhost" : "127.0.0.1");

    /// <summary>The server's folder that is the FTP root (the Siège works on it locally).</summary>
    public string Root { get; }

    /// <summary>SHA-256 thumbprint of the FTPS certificate (null for plain FTP).</summary>
    public string? Thumbprint { get; }

    /// <summary>SHA-1 thumbprint of the FTPS certificate (null for plain FTP).</summary>
    public string? Sha1Thumbprint { get; }

    /// <summary>Transport settings for this server: its user and password, the pinned certificate, short timeouts and back-off.</summary>
    public FtpDropSettings Settings(string? password = null, string? thumbprint = null, string rootPath = "/") => new()
    {
        Host = Host,
        Port = Port,
        User = User,
        Password = password ?? Password,
        RootPath = rootPath,
        Security = Tls ? FtpSecurity.ExplicitTls : FtpSecurity.None,
        ServerCertificateThumbprint = Tls ? thumbprint ?? Thumbprint : null,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ReadWriteTimeout = TimeSpan.FromSeconds(20),
        MaxRetries = 5,
        RetryBaseDelay = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>A fresh folder under the FTP root, writable by the FTP user: a drop of its own for one test.
    /// Returns its path on disk and its path on the server (for <see cref="FtpDropSettings.RootPath"/>).</summary>
    public (string OnDisk, string OnServer) NewDropFolder()
    {
        var name = "drop-" + Guid.NewGuid().ToString("N").Substring(0, 12);
        var onDisk = Path.Combine(Root, name);
        Directory.CreateDirectory(onDisk);
        Run("chown", $"{User} {onDisk}");
        return (onDisk, "/" + name);
    }

    /// <summary>Creates (when missing) a folder below the root, owned by the FTP user but without any write right.</summary>
    public string MakeReadOnlyFolder(string relative)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(path);
        Run("chown", $"{User} {path}");
        Run("chmod", $"555 {path}");
        return path;
    }

    /// <summary>vsftpd's log (protocol and transfers) so far.</summary>
    public string Log
    {
        get
        {
            try { return File.Exists(_logFile) ? File.ReadAllText(_logFile) : ""; }
            catch (IOException) { return ""; }
        }
    }

    /// <summary>The transfers vsftpd logged ("OK UPLOAD" / "FAIL DOWNLOAD" ...), with the bytes each moved.</summary>
    public IReadOnlyList<VsftpdTransfer> Transfers() => Regex.Matches(Log,
            @"(?<ok>OK|FAIL) (?<kind>UPLOAD|DOWNLOAD): Client ""[^""]*"", ""(?<path>[^""]*)""(, (?<bytes>\d+) bytes)?")
        .Select(m => new VsftpdTransfer(m.Groups["ok"].Value == "OK", m.Groups["kind"].Value, m.Groups["path"].Value,
            m.Groups["bytes"].Success ? long.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture) : 0))
        .ToList();

    public void Start()
    {
        if (_process is not null) throw new InvalidOperationException("vsftpd already runs.");
        _process = Process.Start(new ProcessStartInfo("vsftpd", _config) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("vsftpd could not be started: install vsftpd (scripts/install-prereqs.sh).");
        for (var i = 0; i < 100; i++)
        {
            if (Listening()) return;
            if (_process.HasExited) break;
            Thread.Sleep(100);
        }
        var output = _process.HasExited ? _process.StandardError.ReadToEnd() + _process.StandardOutput.ReadToEnd() : "(still running, not listening)";
        Stop();
        throw new InvalidOperationException($"vsftpd did not start on 127.0.0.1:{Port} with {_config}: {output}\n{Log}");
    }

    /// <summary>Kills the listener and every session it forked, by process id (a server crash, mid-transfer if one runs).</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        ContinueAll(process);   // a paused session must be able to die
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // already gone
        process.WaitForExit(5000);
        process.Dispose();
        for (var i = 0; i < 50 && Listening(); i++) Thread.Sleep(100);
    }

    /// <summary>Stops the server and starts it again a little later, on another thread (an outage of a few seconds).</summary>
    public Task RestartAfter(TimeSpan outage)
    {
        Stop();
        return Task.Delay(outage).ContinueWith(_ => Start(), TaskScheduler.Default);
    }

    /// <summary>Freezes the listener and its sessions (SIGSTOP): connections stay open, nothing is answered.</summary>
    public void Pause()
    {
        if (_process is not null) Signal("STOP", ProcessTree(_process.Id));
    }

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume()
    {
        if (_process is not null) ContinueAll(_process);
    }

    private static void ContinueAll(Process process)
    {
        try { Signal("CONT", ProcessTree(process.Id)); }
        catch (InvalidOperationException) { }
    }

    private static void Signal(string signal, IReadOnlyList<int> pids)
    {
        if (pids.Count > 0) Run("kill", $"-{signal} {string.Join(" ", pids)}", throwOnError: false);
    }

    /// <summary>A process and all its descendants, from /proc.</summary>
    private static IReadOnlyList<int> ProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }   // the process ended meanwhile
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++) tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        return tree;
    }

    /// <summary>The local ports of this machine's established connections to the server's control port (clients' side,
    /// from /proc/net/tcp and tcp6, where dual-mode sockets are): a new one is a client that connected again, even while
    /// the server is paused.</summary>
    public IReadOnlySet<int> ClientPorts()
    {
        var ports = new HashSet<int>();
        foreach (var line in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(t => File.ReadLines(t).Skip(1)))
        {
            // "  12: 0100007F:A1B2 0100007F:1F90 01 ...": local address:port, remote address:port, state (01 established).
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || fields[3] != "01") continue;
            var remotePort = int.Parse(fields[2].Substring(fields[2].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (remotePort == Port) ports.Add(int.Parse(fields[1].Substring(fields[1].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        return ports;
    }

    /// <summary>Waits until a client connects to the control port from a port not in <paramref name="known"/>; false
    /// when none did within <paramref name="deadline"/> (a guard against a hang, not a measure).</summary>
    public bool WaitForNewClient(IReadOnlySet<int> known, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        while (!ClientPorts().Except(known).Any())
        {
            if (watch.Elapsed > deadline) return false;
            Thread.Sleep(50);
        }
        return true;
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

    /// <summary>The test user: created when missing (vsftpd's PAM service wants a shell listed in /etc/shells and a user
    /// not listed in /etc/ftpusers), its password set every time.</summary>
    private static void EnsureUser()
    {
        lock (UserLock)
        {
            if (File.Exists("/etc/ftpusers") && File.ReadAllLines("/etc/ftpusers").Any(l => l.Trim() == User))
            {
                throw new InvalidOperationException($"{User} is listed in /etc/ftpusers, so vsftpd refuses it: remove it from there.");
            }
            if (Run("id", User, throwOnError: false) != 0 && Run("useradd", $"-m -s /bin/bash {User}", throwOnError: false) != 0 && Run("id", User, throwOnError: false) != 0)
            {
                throw new InvalidOperationException($"The FTP test user {User} could not be created (useradd): the FTP tests need root.");
            }
            using var chpasswd = Process.Start(new ProcessStartInfo("chpasswd") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true })!;
            chpasswd.StandardInput.WriteLine($"{User}:{Password}");
            chpasswd.StandardInput.Close();
            chpasswd.WaitForExit();
            if (chpasswd.ExitCode != 0) throw new InvalidOperationException($"chpasswd failed for {User}: {chpasswd.StandardError.ReadToEnd()}");
        }
    }

    private static string YesNo(bool value) => value ? "YES" : "NO";

    private static int Run(string program, string arguments, bool throwOnError = true)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} failed: {error.Result}");
        }
        return process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One transfer as vsftpd logged it.</summary>
public sealed record VsftpdTransfer(bool Ok, string Kind, string Path, long Bytes);
