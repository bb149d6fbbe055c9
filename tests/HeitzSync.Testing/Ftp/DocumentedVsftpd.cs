using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HeitzSync.Testing.Ftp;

/// <summary>One site's FTP account as docs/ftp-siege.md creates it.</summary>
public sealed record DocumentedAccount(string Site, string Account, string Password);

/// <summary>
/// The Siège's FTP server exactly as docs/ftp-siege.md sets it up, so that the docs and the tests cannot drift: the
/// blocks of that page marked <c>&lt;!-- tested: setup --&gt;</c>, <c>&lt;!-- tested: site --&gt;</c> (once per site) and
/// <c>&lt;!-- tested: vsftpd.conf --&gt;</c> are read from the file, their values filled in with this test's own
/// folders, names and ports (only on the lines the page has: a renamed variable or setting fails here), run as root
/// with bash, and vsftpd started with that configuration on the loopback. The page's <c>passwd</c> step is the only one
/// done otherwise (chpasswd). Fails, never skips, when something cannot run.
/// </summary>
public sealed class DocumentedVsftpd : IDisposable
{
    /// <summary>The page, relative to the repository's root.</summary>
    public const string Page = "docs/ftp-siege.md";

    /// <summary>The group the page creates, under a name of the tests' own.</summary>
    public const string Group = "hzprodftp";

    private readonly string _folder;
    private readonly string _pamService;

    /// <param name="accounts">The sites and their accounts: names of this run's own (the page's useradd makes them,
    /// <see cref="Dispose"/> removes them), so that test runs at the same time never share an account.</param>
    /// <param name="configure">Changes to the documented vsftpd.conf (key, value) on top of the filled-in ports and
    /// folders, for a test that varies one setting; empty for the page as it is.</param>
    public DocumentedVsftpd(IReadOnlyList<DocumentedAccount> accounts, IReadOnlyDictionary<string, string>? configure = null)
    {
        Accounts = accounts;
        _folder = Path.Combine(Path.GetTempPath(), "hz-docftp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Drop = Path.Combine(_folder, "drop");
        _pamService = "hz-test-" + Guid.NewGuid().ToString("N").Substring(0, 12);
        try
        {
            Server = Start(accounts, Path.Combine(_folder, "heitzsync.users"), Path.Combine(_folder, "certs"), configure, out var printedPin, out var configuration);
            PrintedPin = printedPin;
            Configuration = configuration;
            RequiresSslReuse = configuration.Contains("require_ssl_reuse=YES");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs the page's blocks with this run's values and starts vsftpd with its configuration.</summary>
    private VsftpdServer Start(IReadOnlyList<DocumentedAccount> accounts, string userList, string certificates, IReadOnlyDictionary<string, string>? configure,
        out string printedPin, out List<string> configuration)
    {
        var text = File.ReadAllText(PagePath);

        var setup = Fill(Block(text, "setup"), "setup", new Dictionary<string, string>
        {
            ["GROUP"] = Group, ["DROP"] = Drop, ["USERLIST"] = userList, ["CERTS"] = certificates,
            ["PAM"] = "/etc/pam.d/" + _pamService, ["SIEGE_NAME"] = "localhost",
        });
        var printed = RunRoot(setup, "setup");
        var certificate = Path.Combine(certificates, "siege.pem");
        var fingerprint = Regex.Match(printed, @"(?i)sha256 Fingerprint=([0-9A-F:]{95})");
        if (!fingerprint.Success) throw new InvalidOperationException($"The setup block of {Page} did not print the certificate's SHA-256 fingerprint: {printed}");
        printedPin = fingerprint.Groups[1].Value;

        foreach (var account in accounts)
        {
            RunRoot(Fill(Block(text, "site"), "site", new Dictionary<string, string>
            {
                ["GROUP"] = Group, ["DROP"] = Drop, ["USERLIST"] = userList, ["SITE"] = account.Site, ["ACCOUNT"] = account.Account,
            }), "site " + account.Site);
            SetPassword(account);
        }

        var port = VsftpdServer.FreeLoopbackPort();
        var passive = VsftpdServer.PassiveRangeStart();
        var log = Path.Combine(_folder, "vsftpd.log");
        var settings = new Dictionary<string, string>
        {
            ["listen_port"] = port.ToString(CultureInfo.InvariantCulture),
            ["pasv_min_port"] = passive.ToString(CultureInfo.InvariantCulture),
            ["pasv_max_port"] = (passive + 99).ToString(CultureInfo.InvariantCulture),
            ["userlist_file"] = userList,
            ["pam_service_name"] = _pamService,
            ["rsa_cert_file"] = certificate,
            ["rsa_private_key_file"] = Path.Combine(certificates, "siege.key"),
        };
        foreach (var change in configure ?? new Dictionary<string, string>()) settings[change.Key] = change.Value;
        var lines = FillConfiguration(Block(text, "vsftpd.conf"), settings).ToList();
        // What only a test needs: the loopback, the foreground, a log the tests read, and a folder of per-account
        // settings (empty unless a test limits an account's rate: vsftpd reads it at each login).
        Directory.CreateDirectory(AccountSettings);
        lines.AddRange(new[] { "listen_address=127.0.0.1", "background=NO", $"vsftpd_log_file={log}", "log_ftp_protocol=YES", $"user_config_dir={AccountSettings}" });
        configuration = lines;
        var config = Path.Combine(_folder, "vsftpd.conf");
        File.WriteAllLines(config, lines);
        var host = lines.Contains("require_ssl_reuse=YES") ? "localhost" : "127.0.0.1";
        return new VsftpdServer(_folder, config, log, port, Drop, host, certificate);
    }

    public IReadOnlyList<DocumentedAccount> Accounts { get; }

    /// <summary>The running server (stop, restart, pause it as any test vsftpd).</summary>
    public VsftpdServer Server { get; } = null!;

    /// <summary>The Siège's drop folder (its drop.path; the FTP accounts see their site's folder in it).</summary>
    public string Drop { get; }

    /// <summary>The certificate's SHA-256 as the page's openssl command printed it (with colons).</summary>
    public string PrintedPin { get; } = "";

    /// <summary>The configuration vsftpd runs, as written.</summary>
    public IReadOnlyList<string> Configuration { get; } = Array.Empty<string>();

    public bool RequiresSslReuse { get; }

    public string SiteFolder(string site) => Path.Combine(Drop, site);

    /// <summary>vsftpd's user_config_dir: one file per account whose settings differ (read at each login).</summary>
    private string AccountSettings => Path.Combine(_folder, "accounts");

    /// <summary>Limits the transfers of <paramref name="site"/>'s account to <paramref name="bytesPerSecond"/> from its
    /// next login on (vsftpd's local_max_rate), so that a test can act in the middle of an upload; null lifts the limit.</summary>
    public void LimitRate(string site, int? bytesPerSecond)
    {
        var file = Path.Combine(AccountSettings, Accounts.Single(a => a.Site == site).Account);
        if (bytesPerSecond is { } rate) File.WriteAllText(file, $"local_max_rate={rate.ToString(CultureInfo.InvariantCulture)}\n");
        else File.Delete(file);
    }

    /// <summary>docs/ftp-siege.md, found above the test's folder (the repository's root holds HeitzSync.sln).</summary>
    public static string PagePath
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "HeitzSync.sln"))) return Path.Combine(folder.FullName, Page);
            }
            throw new InvalidOperationException($"No HeitzSync.sln above {AppContext.BaseDirectory}: the tests read {Page} from the repository.");
        }
    }

    /// <summary>The fenced block that follows <c>&lt;!-- tested: name --&gt;</c>.</summary>
    public static string Block(string page, string name)
    {
        var match = Regex.Match(page, @"<!-- tested: " + Regex.Escape(name) + @" -->\s*\n```[a-z]*\n(?<body>.*?)\n```", RegexOptions.Singleline);
        if (!match.Success) throw new InvalidOperationException($"{Page} has no block marked <!-- tested: {name} --> (a fenced block right after the marker).");
        return match.Groups["body"].Value;
    }

    /// <summary>Sets the shell variables a block assigns on lines of their own (<c>NAME=value</c>); each must be there.</summary>
    private static string Fill(string block, string what, IReadOnlyDictionary<string, string> values)
    {
        foreach (var value in values)
        {
            var line = new Regex("^" + Regex.Escape(value.Key) + "=.*$", RegexOptions.Multiline);
            if (!line.IsMatch(block)) throw new InvalidOperationException($"The {what} block of {Page} no longer sets {value.Key}=: update DocumentedVsftpd with the page.");
            block = line.Replace(block, value.Key + "='" + value.Value.Replace("'", "'\\''") + "'", 1);
        }
        return block;
    }

    /// <summary>The configuration with the given settings' values replaced; each must be a setting the page has.</summary>
    private static IEnumerable<string> FillConfiguration(string block, IReadOnlyDictionary<string, string> settings)
    {
        var lines = block.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        foreach (var setting in settings)
        {
            var index = lines.FindIndex(l => l.StartsWith(setting.Key + "=", StringComparison.Ordinal));
            if (index < 0) throw new InvalidOperationException($"The vsftpd.conf of {Page} has no {setting.Key}= line: update DocumentedVsftpd with the page.");
            lines[index] = setting.Key + "=" + setting.Value;
        }
        return lines;
    }

    /// <summary>Runs a block with bash -e as root, one block at a time on this machine (groupadd and useradd race
    /// otherwise between test runs); returns what it printed.</summary>
    private static string RunRoot(string script, string what)
    {
        var start = new ProcessStartInfo("flock") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in new[] { "/tmp/hz-docftp.lock", "bash", "-e", "-s" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("flock/bash could not be started.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {what} block of {Page} failed (exit {process.ExitCode}; the tests run it as root): {error.Result}{output.Result}");
        }
        return output.Result;
    }

    private static void SetPassword(DocumentedAccount account)
    {
        using var chpasswd = Process.Start(new ProcessStartInfo("chpasswd") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true })!;
        chpasswd.StandardInput.WriteLine($"{account.Account}:{account.Password}");
        chpasswd.StandardInput.Close();
        chpasswd.WaitForExit();
        if (chpasswd.ExitCode != 0) throw new InvalidOperationException($"chpasswd failed for {account.Account}: {chpasswd.StandardError.ReadToEnd()}");
    }

    /// <summary>An account name for this run (system account names: lower case, at most 32 characters).</summary>
    public static string NewAccountName(string site) => ("hzp" + Guid.NewGuid().ToString("N").Substring(0, 8) + "-" + site).ToLowerInvariant();

    public void Dispose()
    {
        Server?.Dispose();
        foreach (var account in Accounts)
        {
            using var userdel = Process.Start(new ProcessStartInfo("userdel", account.Account) { UseShellExecute = false, RedirectStandardError = true });
            userdel?.WaitForExit();
        }
        try { File.Delete("/etc/pam.d/" + _pamService); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
