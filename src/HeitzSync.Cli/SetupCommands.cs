using System.CommandLine;
using System.Text;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;

namespace HeitzSync.Cli;

/// <summary>
/// What a node needs before its first night, with hzsync alone (README, "Running it for real"): its configuration
/// (<c>config new</c>, as New-HzSyncConfig) and its passwords (<c>secret set</c>, as Set-HzSyncCredential -Name), through
/// the same Core code, the same files and the same permissions.
/// </summary>
internal static class SetupCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Config();
        yield return Secret();
    }

    private static Option<string> ConfigPath(string description) => new("--config", "-c")
    {
        Description = description,
        DefaultValueFactory = _ => HzSyncConfigStore.DefaultPath,
    };

    private static Command Secret()
    {
        var config = ConfigPath("The node's configuration file: the secret goes in the secrets folder beside it (default: HEITZSYNC_CONFIG, else /etc/heitzsync/heitzsync.json).");
        var name = new Argument<string>("name") { Description = "The secret's name, as the configuration names it (database.passwordSecret, drop.passwordSecret, mail.passwordSecret)." };
        name.Validators.Add(result =>
        {
            if (!SecretStore.IsValidName(result.GetValueOrDefault<string>()))
                result.AddError($"'{result.GetValueOrDefault<string>()}' is not a valid secret name: use 1 to 64 letters, digits, '.', '_' or '-'.");
        });
        var set = new Command("set", "Stores a password under a name (mode 0600 in a 0700 secrets folder beside the configuration), read from standard input or typed at a prompt without echo; never give it on the command line.")
            { config, name };
        set.SetAction((ParseResult parse) =>
        {
            var path = Path.GetFullPath(parse.GetValue(config)!);
            var secretName = parse.GetValue(name)!;
            var value = ReadSecret($"Password for the secret '{secretName}': ");
            if (string.IsNullOrEmpty(value))
            {
                ConsoleOutput.Error($"no password was given for the secret '{secretName}' (nothing was stored): type it at the prompt, or pipe it on standard input.");
                return ExitCodes.Failed;
            }
            var store = new SecretStore(Path.Combine(Path.GetDirectoryName(path)!, SecretStore.FolderName));
            try
            {
                store.Set(secretName, value);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                ConsoleOutput.Error($"the secret '{secretName}' could not be stored in {store.Folder}: {ex.Message}");
                return ExitCodes.Failed;
            }
            Console.WriteLine($"Stored the secret '{secretName}' in {store.Folder}.");
            return ExitCodes.Ok;
        });
        return new Command("secret", "Passwords for unattended runs (database server, FTP, SMTP).") { set };
    }

    /// <summary>
    /// The first line of standard input when it is redirected (a pipe or a file: <c>hzsync secret set ftp &lt; file</c>),
    /// else what is typed at a prompt on the terminal, not echoed. Never a command-line value: those show in <c>ps</c>.
    /// </summary>
    private static string? ReadSecret(string prompt)
    {
        if (Console.IsInputRedirected) return Console.In.ReadLine()?.TrimEnd('\r');
        Console.Error.Write(prompt);
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0) typed.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }

    private static Command Config()
    {
        var path = ConfigPath("The configuration file to write (default: HEITZSYNC_CONFIG, else /etc/heitzsync/heitzsync.json).");
        var role = new Option<NodeRole>("--role") { Description = "Site or Siege.", Required = true };
        var code = new Option<string>("--site-code") { Description = "This node's code (e.g. LYON01).", Required = true };
        var number = new Option<int>("--site-number") { Description = "This node's number, 1 to 999: it fixes its key range.", Required = true };
        var database = new Option<string>("--database-path") { Description = "The database file (embedded), or its path or alias on --database-server.", Required = true };
        var server = new Option<string?>("--database-server") { Description = "The Firebird server's host (omit for embedded access to a local file)." };
        var port = new Option<int>("--database-port") { Description = "The Firebird server's port.", DefaultValueFactory = _ => 3050 };
        var user = new Option<string?>("--database-user") { Description = $"The server login (default SYSDBA with --database-server); its password is the secret '{NewNodeConfig.DatabaseSecret}' (hzsync secret set {NewNodeConfig.DatabaseSecret})." };
        var drop = new Option<string?>("--drop-path") { Description = "Folder drop: the Siège's drop folder (local, mounted or UNC). FTP drop: the drop root on the server (default /)." };
        var ftpHost = new Option<string?>("--ftp-host") { Description = "The Siège's FTP server: the drop is reached by FTP with explicit TLS." };
        var ftpPort = new Option<int>("--ftp-port") { Description = "The FTP server's port.", DefaultValueFactory = _ => 21 };
        var ftpUser = new Option<string?>("--ftp-user") { Description = $"This site's FTP login; its password is the secret '{NewNodeConfig.FtpSecret}' (hzsync secret set {NewNodeConfig.FtpSecret})." };
        var thumbprint = new Option<string?>("--ftp-certificate-thumbprint") { Description = "SHA-256 thumbprint of the Siège's self-signed certificate." };
        var plain = new Option<bool>("--plain-ftp") { Description = "Plain FTP instead of explicit TLS: only on a network where nobody can listen." };
        var keyFile = new Option<string?>("--key-file") { Description = "The group key file (default group.key beside the configuration)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing configuration file." };
        var create = new Command("new", "Writes a node's configuration file from its essentials (as New-HzSyncConfig); other settings keep their defaults.")
            { path, role, code, number, database, server, port, user, drop, ftpHost, ftpPort, ftpUser, thumbprint, plain, keyFile, force };
        create.SetAction((ParseResult parse) =>
        {
            var file = Path.GetFullPath(parse.GetValue(path)!);
            var viaFtp = parse.GetValue(ftpHost) is not null;
            string? Local(string? value) => value is null ? null : Path.GetFullPath(value);
            var draft = new NewNodeConfig
            {
                Role = parse.GetValue(role),
                SiteCode = parse.GetValue(code)!,
                SiteNumber = parse.GetValue(number),
                DatabasePath = parse.GetValue(server) is null ? Path.GetFullPath(parse.GetValue(database)!) : parse.GetValue(database)!,
                DatabaseServer = parse.GetValue(server),
                DatabasePort = parse.GetValue(port),
                DatabaseUser = parse.GetValue(user) ?? (parse.GetValue(server) is null ? null : "SYSDBA"),
                DropPath = viaFtp ? parse.GetValue(drop) : Local(parse.GetValue(drop)),
                FtpHost = parse.GetValue(ftpHost),
                FtpPort = parse.GetValue(ftpPort),
                FtpUser = parse.GetValue(ftpUser),
                FtpCertificateThumbprint = parse.GetValue(thumbprint),
                PlainFtp = parse.GetValue(plain),
                KeyFile = Local(parse.GetValue(keyFile)),
            };
            var config = draft.Build(file);
            try
            {
                var problems = HzSyncConfigStore.Validate(config);
                if (problems.Count > 0) throw new HzConfigException(file, problems);
                NewNodeConfig.EnsureMayWrite(file, parse.GetValue(force));
                HzSyncConfigStore.Save(config, file);
            }
            catch (Exception ex) when (ex is HzConfigException or IOException or UnauthorizedAccessException)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
            Console.WriteLine($"Wrote {file} ({config.Role} {config.Site.Code}, number {config.Site.Number}, keys {config.KeyRange}).");
            foreach (var secret in draft.Secrets)
                Console.WriteLine($"Store its password before the first night: hzsync secret set {secret} --config {file}");
            return ExitCodes.Ok;
        });
        return new Command("config", "The node's configuration file.") { create };
    }
}
