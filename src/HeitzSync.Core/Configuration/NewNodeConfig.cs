namespace HeitzSync.Core.Configuration;

/// <summary>
/// The essentials of a new node's configuration, as New-HzSyncConfig and <c>hzsync config new</c> take them (role,
/// identity, database, drop, key file); every other setting keeps its default. Paths are given as the front resolved
/// them. Passwords are never here: the configuration names the secrets (<see cref="DatabaseSecret"/>,
/// <see cref="FtpSecret"/>) that the front stores beside it.
/// </summary>
public sealed record NewNodeConfig
{
    /// <summary>The secret names a new configuration gives the database and FTP passwords.</summary>
    public const string DatabaseSecret = "database", FtpSecret = "ftp";

    public NodeRole Role { get; init; }
    public string SiteCode { get; init; } = "";
    public int SiteNumber { get; init; }

    /// <summary>The database file (embedded), or its path or alias on <see cref="DatabaseServer"/>.</summary>
    public string DatabasePath { get; init; } = "";
    public string? DatabaseServer { get; init; }
    public int DatabasePort { get; init; } = 3050;

    /// <summary>The server login; set, the configuration names the secret <see cref="DatabaseSecret"/> for its password.</summary>
    public string? DatabaseUser { get; init; }

    /// <summary>Folder drop: the Siège's drop folder. FTP drop: the drop root on the server (default "/").</summary>
    public string? DropPath { get; init; }

    /// <summary>Set: the drop is FTP(S) on this host, with the login <see cref="FtpUser"/> and the secret <see cref="FtpSecret"/>.</summary>
    public string? FtpHost { get; init; }
    public int FtpPort { get; init; } = 21;
    public string? FtpUser { get; init; }
    public string? FtpCertificateThumbprint { get; init; }

    /// <summary>Plain FTP instead of explicit TLS: only on a network where nobody can listen.</summary>
    public bool PlainFtp { get; init; }

    /// <summary>The group key file; null: "group.key" beside the configuration.</summary>
    public string? KeyFile { get; init; }

    /// <summary>The configuration for the file <paramref name="configPath"/> (a full path); not validated.</summary>
    public HzSyncConfig Build(string configPath) => new()
    {
        Role = Role,
        Site = new SiteIdentity { Code = SiteCode, Number = SiteNumber },
        Database = new DatabaseConfig
        {
            Path = DatabasePath,
            Server = DatabaseServer,
            Port = DatabasePort,
            User = DatabaseUser ?? "SYSDBA",
            PasswordSecret = DatabaseUser is null ? null : DatabaseSecret,
        },
        Drop = FtpHost is not null
            ? new DropConfig
            {
                Kind = DropKind.Ftp,
                Path = string.IsNullOrEmpty(DropPath) ? "/" : DropPath!,
                Host = FtpHost,
                Port = FtpPort,
                User = FtpUser,
                PasswordSecret = FtpSecret,
                Security = PlainFtp ? "None" : "ExplicitTls",
                CertificateThumbprint = FtpCertificateThumbprint,
            }
            : new DropConfig { Kind = DropKind.Folder, Path = DropPath ?? "" },
        KeyFile = KeyFile ?? new HzSyncConfig().KeyFile,
        BaseFolder = Path.GetDirectoryName(configPath)!,
        ConfigPath = configPath,
    };

    /// <summary>The secrets the configuration names, whose passwords the front must store.</summary>
    public IReadOnlyList<string> Secrets =>
        new[] { DatabaseUser is null ? null : DatabaseSecret, FtpHost is null ? null : FtpSecret }.OfType<string>().ToList();

    /// <summary>Refuses to replace an existing configuration file unless asked to.</summary>
    public static void EnsureMayWrite(string configPath, bool replace)
    {
        if (File.Exists(configPath) && !replace)
        {
            throw new IOException($"The configuration file {configPath} already exists: add {FrontCommands.Force} to replace it, or change it with {FrontCommands.SetConfig}.");
        }
        if (Directory.Exists(configPath))
        {
            throw new IOException($"{configPath} is a folder: give the configuration file's own path (e.g. {Path.Combine(configPath, "heitzsync.json")}).");
        }
    }
}
