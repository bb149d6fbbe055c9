using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HeitzSync.Core.Transport;

namespace HeitzSync.Bench;

/// <summary>Runs a program and fails with its output when it fails.</summary>
internal static class Shell
{
    public static string Run(string program, params string[] arguments) => Run(program, arguments, throwOnError: true).Output;

    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, bool throwOnError)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started.");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(" ", arguments)} failed ({process.ExitCode}): {output}{error.Result}");
        }
        return (process.ExitCode, output + error.Result);
    }

    public static string FirstLine(string program, params string[] arguments)
    {
        try
        {
            return Run(program, arguments, throwOnError: false).Output.Split('\n')[0].Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "(not installed)";
        }
    }
}

/// <summary>
/// A vsftpd of the benchmark's own with explicit TLS (a certificate made by openssl, pinned by the client), serving a
/// drop folder to a local user made for the benchmark (password generated per run, never printed), on a loopback
/// address or inside a network namespace.
/// </summary>
internal sealed class BenchFtpServer : IDisposable
{
    public const string User = "hzbench";
    private readonly string _folder;
    private readonly string _password;
    private readonly string _thumbprint;
    private readonly Process _process;

    public BenchFtpServer(string root, string address, int port, string? networkNamespace)
    {
        Address = address;
        Port = port;
        Root = root;
        _folder = Path.Combine(Path.GetTempPath(), "hz-bench-vsftpd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _password = "Bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        EnsureUser(_password);
        Directory.CreateDirectory(root);
        Shell.Run("chown", "-R", User, root);
        Directory.CreateDirectory("/var/run/vsftpd/empty");
        var cert = Path.Combine(_folder, "cert.pem");
        var key = Path.Combine(_folder, "key.pem");
        Shell.Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + address);
        using (var certificate = X509Certificate2.CreateFromPemFile(cert, key))
        {
            _thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        }
        var passive = 30000 + Random.Shared.Next(0, 200) * 100;
        var config = Path.Combine(_folder, "vsftpd.conf");
        File.WriteAllLines(config, new[]
        {
            "listen=YES", "listen_ipv6=NO", $"listen_address={address}", $"listen_port={port}", "background=NO",
            "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
            "chroot_local_user=YES", "allow_writeable_chroot=YES", $"local_root={root}",
            "pasv_enable=YES", $"pasv_address={address}", $"pasv_min_port={passive}", $"pasv_max_port={passive + 99}",
            "pam_service_name=vsftpd", "seccomp_sandbox=NO", "secure_chroot_dir=/var/run/vsftpd/empty",
            $"vsftpd_log_file={Path.Combine(_folder, "vsftpd.log")}", "xferlog_enable=YES",
            "ssl_enable=YES", $"rsa_cert_file={cert}", $"rsa_private_key_file={key}", "ssl_ciphers=HIGH",
            "force_local_logins_ssl=YES", "force_local_data_ssl=YES", "require_ssl_reuse=NO",
        });
        var start = networkNamespace is null
            ? new ProcessStartInfo("vsftpd") { ArgumentList = { config } }
            : new ProcessStartInfo("ip") { ArgumentList = { "netns", "exec", networkNamespace, "vsftpd", config } };
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException("vsftpd could not be started: install vsftpd.");
        for (var i = 0; i < 100; i++)
        {
            if (Listening()) return;
            if (_process.HasExited) break;
            Thread.Sleep(100);
        }
        var output = _process.HasExited ? _process.StandardError.ReadToEnd() + _process.StandardOutput.ReadToEnd() : "(running, not listening)";
        Dispose();
        throw new InvalidOperationException($"vsftpd did not start on {address}:{port}: {output}");
    }

    public string Address { get; }
    public int Port { get; }
    public string Root { get; }

    /// <summary>Writes a netrc file (0600) for curl, so the password never appears on a command line.</summary>
    internal string WriteNetrc(string folder)
    {
        var path = Path.Combine(folder, "curl.netrc");
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, $"machine {Address} login {User} password {_password}\n");
        return path;
    }

    public FtpDropSettings Settings() => new()
    {
        Host = Address,
        Port = Port,
        User = User,
        Password = _password,
        Security = FtpSecurity.ExplicitTls,
        ServerCertificateThumbprint = _thumbprint,
        ReadWriteTimeout = TimeSpan.FromMinutes(2),
    };

    /// <summary>Gives the FTP user every folder and file under the root (the Siège writes there as root).</summary>
    public void OpenUp() => Shell.Run("chown", "-R", User, Root);

    private bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(Address, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void EnsureUser(string password)
    {
        if (File.Exists("/etc/ftpusers") && File.ReadAllLines("/etc/ftpusers").Any(l => l.Trim() == User))
        {
            throw new InvalidOperationException($"{User} is listed in /etc/ftpusers, so vsftpd refuses it: remove it from there.");
        }
        if (Shell.Run("id", new[] { User }, throwOnError: false).ExitCode != 0) Shell.Run("useradd", "-m", "-s", "/bin/bash", User);
        var start = new ProcessStartInfo("chpasswd") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true };
        using var chpasswd = Process.Start(start)!;
        chpasswd.StandardInput.WriteLine($"{User}:{password}");
        chpasswd.StandardInput.Close();
        chpasswd.WaitForExit();
        if (chpasswd.ExitCode != 0) throw new InvalidOperationException($"chpasswd failed for {User}: {chpasswd.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// A network namespace joined to this one by a veth pair, both directions shaped by tc's token bucket filter to a
/// given rate (an ADSL-like link between the sites and the Siège). Private addresses 10.213.x.1 (here) and .2 (inside).
/// </summary>
internal sealed class ShapedLink : IDisposable
{
    private readonly string _outside;

    public ShapedLink(string rate)
    {
        var id = Environment.ProcessId % 10_000;
        Namespace = $"hzbench{id}";
        _outside = $"hzb{id}a";
        var inside = $"hzb{id}b";
        var subnet = $"10.213.{id % 250}";
        LocalAddress = subnet + ".1";
        RemoteAddress = subnet + ".2";
        Rate = rate;
        Shell.Run("ip", "netns", "add", Namespace);
        try
        {
            Shell.Run("ip", "link", "add", _outside, "type", "veth", "peer", "name", inside);
            Shell.Run("ip", "link", "set", inside, "netns", Namespace);
            Shell.Run("ip", "addr", "add", LocalAddress + "/24", "dev", _outside);
            Shell.Run("ip", "link", "set", _outside, "up");
            Shell.Run("ip", "netns", "exec", Namespace, "ip", "addr", "add", RemoteAddress + "/24", "dev", inside);
            Shell.Run("ip", "netns", "exec", Namespace, "ip", "link", "set", inside, "up");
            Shell.Run("ip", "netns", "exec", Namespace, "ip", "link", "set", "lo", "up");
            Shell.Run("tc", "qdisc", "add", "dev", _outside, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms");
            Shell.Run("ip", "netns", "exec", Namespace, "tc", "qdisc", "add", "dev", inside, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Namespace { get; }
    public string LocalAddress { get; }
    public string RemoteAddress { get; }
    public string Rate { get; }

    public void Dispose()
    {
        Shell.Run("ip", new[] { "link", "del", _outside }, throwOnError: false);
        Shell.Run("ip", new[] { "netns", "del", Namespace }, throwOnError: false);
    }
}

/// <summary>HeitzSync's FTPS transport against curl on the same file and server, alternating in each round.</summary>
internal static class FtpThroughput
{
    public sealed record Result(int SizeMiB, int Rounds, double HzUp, double CurlUp, double HzDown, double CurlDown, double HzSmallOpMs, double CurlSmallOpMs, string Raw);

    public static async Task<Result> RunAsync(BenchFtpServer server, string work, int sizeMiB, int rounds, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(work);
        var file = Path.Combine(work, "payload.bin");
        using (var output = File.Create(file))
        {
            var block = new byte[1 << 20];
            var random = new Random(42);
            for (var i = 0; i < sizeMiB; i++)
            {
                random.NextBytes(block);   // incompressible, like an encrypted package
                output.Write(block);
            }
        }
        var expected = Hash(file);
        using var drop = new FtpDropTransport(server.Settings());
        var url = $"ftp://{server.Address}:{server.Port}";
        var times = new Dictionary<string, List<double>> { ["hz up"] = new(), ["curl up"] = new(), ["hz down"] = new(), ["curl down"] = new() };
        var netrc = server.WriteNetrc(work);
        string[] Curl(params string[] rest) => new[] { "--ssl-reqd", "-k", "-s", "-S", "--netrc-file", netrc }.Concat(rest).ToArray();
        for (var round = 1; round <= rounds; round++)
        {
            var back = Path.Combine(work, "back.bin");
            times["hz up"].Add(await Time(() => drop.UploadAsync(file, DropPath.Of($"hz{round}.bin"), null, cancellationToken)));
            times["curl up"].Add(await Time(() => Task.Run(() => Shell.Run("curl", Curl("-T", file, $"{url}/curl{round}.bin")))));
            times["hz down"].Add(await Time(() => drop.DownloadAsync(DropPath.Of($"hz{round}.bin"), back, null, cancellationToken)));
            Check(back, expected);
            times["curl down"].Add(await Time(() => Task.Run(() => Shell.Run("curl", Curl("-o", back, $"{url}/curl{round}.bin")))));
            Check(back, expected);
            foreach (var name in new[] { $"hz{round}.bin", $"curl{round}.bin" }) File.Delete(Path.Combine(server.Root, name));
        }
        var empty = DropPath.Of("empty");
        await drop.CreateFolderAsync(empty, cancellationToken);
        var hzSmall = new List<double>();
        var curlSmall = new List<double>();
        for (var i = 0; i < rounds * 3; i++)
        {
            hzSmall.Add(await Time(() => drop.ListAsync(empty, cancellationToken)) * 1000);
            curlSmall.Add(await Time(() => Task.Run(() => Shell.Run("curl", Curl($"{url}/empty/")))) * 1000);
        }
        File.Delete(file);
        File.Delete(netrc);
        double Rate(string name) => sizeMiB / times[name].OrderBy(s => s).ElementAt(times[name].Count / 2);
        var raw = string.Join("; ", times.Select(t => $"{t.Key}: {string.Join(", ", t.Value.Select(v => v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} s"));
        static double Median(List<double> values) => values.OrderBy(v => v).ElementAt(values.Count / 2);
        return new Result(sizeMiB, rounds, Rate("hz up"), Rate("curl up"), Rate("hz down"), Rate("curl down"), Median(hzSmall), Median(curlSmall), raw);
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    private static void Check(string path, string expected)
    {
        if (Hash(path) != expected) throw new InvalidOperationException($"{path} does not match the uploaded file.");
        File.Delete(path);
    }

    private static async Task<double> Time(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }
}
