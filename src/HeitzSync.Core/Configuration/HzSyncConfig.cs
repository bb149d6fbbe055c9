using System.Text.Json.Serialization;

namespace HeitzSync.Core.Configuration;

/// <summary>What a node does in the night. The Siège is also a site of the chain (it has its own number) and consolidates.</summary>
public enum NodeRole { Site, Siege }

/// <summary>How a node reaches the Siège's drop: a local/UNC folder, or FTP(S).</summary>
public enum DropKind { Folder, Ftp }

/// <summary>What a site's FTP account (or its folder) sees of the Siège's drop.</summary>
public enum DropScope
{
    /// <summary>The whole drop: this site's folder is <c>&lt;drop.path&gt;/&lt;SITE&gt;</c> (an account whose root is the drop).</summary>
    Drop,

    /// <summary>This site's own folder only: <c>drop.path</c> is <c>&lt;drop&gt;/&lt;SITE&gt;</c> itself (an FTP account chrooted
    /// to its folder, or a share of that folder alone). The safer layout: a site cannot see the other sites.</summary>
    Site,
}

/// <summary>
/// One node's configuration file (heitzsync.json), read and written by <see cref="HzSyncConfigStore"/>.
/// Relative paths are relative to the file's folder (<see cref="Resolve"/>).
/// Passwords are never in it: each <c>passwordSecret</c> names a secret stored with <see cref="Secrets.SecretStore"/>.
/// </summary>
public sealed record HzSyncConfig
{
    public NodeRole Role { get; init; } = NodeRole.Site;
    public SiteIdentity Site { get; init; } = new();
    public DatabaseConfig Database { get; init; } = new();
    public DropConfig Drop { get; init; } = new();

    /// <summary>The group key file (New-HzSyncKey), the same on every node.</summary>
    public string KeyFile { get; init; } = "group.key";

    public TableRules Tables { get; init; } = new();

    /// <summary>Site n owns the keys [n × size, (n + 1) × size − 1].</summary>
    public long KeyRangeSize { get; init; } = 1_000_000_000;

    public BackupConfig Backup { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();

    /// <summary>The local work area: outgoing and incoming packages, locks.</summary>
    public string WorkFolder { get; init; } = "work";

    public ReportConfig Reports { get; init; } = new();

    /// <summary>Email on a failed or stopped night; null: no email.</summary>
    public MailConfig? Mail { get; init; }

    /// <summary>The folder the file was loaded from (relative paths resolve against it).</summary>
    [JsonIgnore]
    public string BaseFolder { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The full path of the file this configuration was read from; null when it was built in code.</summary>
    [JsonIgnore]
    public string? ConfigPath { get; init; }

    /// <summary>A path from the file made absolute: relative paths resolve against <see cref="BaseFolder"/>.</summary>
    public string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(BaseFolder, path));

    /// <summary>This site's key range, from <see cref="SiteIdentity.Number"/> and <see cref="KeyRangeSize"/> (derived, not stored).</summary>
    [JsonIgnore]
    public KeyRange KeyRange => KeyRange.For(Site.Number, KeyRangeSize);
}

public sealed record SiteIdentity
{
    /// <summary>The site's short code (<c>PARIS01</c>), validated with <see cref="Model.SiteCode"/>.</summary>
    public string Code { get; init; } = "";

    /// <summary>1..999; fixes the site's key range, so no two sites may share one.</summary>
    public int Number { get; init; }
}

public sealed record DatabaseConfig
{
    /// <summary>The database file (embedded, resolved against the config folder), or its path or alias on <see cref="Server"/>.</summary>
    public string Path { get; init; } = "";

    /// <summary>The Firebird server's host; null: embedded access to a local file.</summary>
    public string? Server { get; init; }

    public int Port { get; init; } = 3050;
    public string User { get; init; } = "SYSDBA";

    /// <summary>Name of the stored secret holding the password; null for embedded access.</summary>
    public string? PasswordSecret { get; init; }
}

public sealed record DropConfig
{
    public DropKind Kind { get; init; } = DropKind.Folder;

    /// <summary>Folder kind: the drop folder (local or UNC). Ftp kind: the drop root on the server ("/" when empty).
    /// With <see cref="Scope"/> Site: this site's own folder (for an account chrooted there, "/").</summary>
    public string Path { get; init; } = "";

    /// <summary>Site only: whether <see cref="Path"/> (and the FTP account) sees the whole drop or this site's folder alone.</summary>
    public DropScope Scope { get; init; } = DropScope.Drop;

    public string? Host { get; init; }
    public int Port { get; init; } = 21;
    public string? User { get; init; }
    public string? PasswordSecret { get; init; }

    /// <summary>"ExplicitTls" (FTPS, the default) or "None" (plain FTP, only when said so).</summary>
    public string Security { get; init; } = "ExplicitTls";

    /// <summary>SHA-256 (or SHA-1) thumbprint of a self-signed Siège certificate to accept; null: normal chain validation.</summary>
    public string? CertificateThumbprint { get; init; }

    /// <summary>Passive data connections (the default: the site connects out, works through NAT and firewalls); false for
    /// active mode (PORT/EPRT: the server connects back to the site), for a server that allows only that.</summary>
    public bool Passive { get; init; } = true;

    public int TimeoutSeconds { get; init; } = 60;
    public int Retries { get; init; } = 5;
}

public sealed record BackupConfig
{
    public string Folder { get; init; } = "backups";
    public int Keep { get; init; } = 10;
}

public sealed record ScheduleConfig
{
    /// <summary>When the night starts (local time of day, HH:mm).</summary>
    public string StartTime { get; init; } = "02:00";

    /// <summary>The deadline: past it a run stops cleanly and the site keeps working on its own data.</summary>
    public string RestartHour { get; init; } = "06:30";

    /// <summary>Siège: how long it waits for the sites' packages.</summary>
    public int ReceptionMinutes { get; init; } = 120;

    /// <summary>Siège only: how many sites' packages of tonight to wait for before consolidating; null: every registered
    /// site (a site registers when its init runs against the drop, README "How a site joins and leaves").</summary>
    public int? ExpectedSites { get; init; }

    /// <summary>Siège only: site codes to wait for even before they have registered (normally empty).</summary>
    public IReadOnlyList<string> Sites { get; init; } = Array.Empty<string>();

    /// <summary>Site: how long it waits, after sending, for the Siège's package that answers its upload (0: no wait).</summary>
    public int PackageWaitMinutes { get; init; } = 60;

    /// <summary>Minutes between sites' start times (site n starts n × stagger after startTime), so they do not all upload at once.</summary>
    public int StaggerMinutes { get; init; } = 5;

    /// <summary>How often a waiting node looks at the drop.</summary>
    public int PollSeconds { get; init; } = 30;
}

public sealed record MailConfig
{
    public string SmtpHost { get; init; } = "";
    public int Port { get; init; } = 587;
    public bool UseSsl { get; init; } = true;
    public string From { get; init; } = "";
    public IReadOnlyList<string> To { get; init; } = Array.Empty<string>();
    public string? User { get; init; }
    public string? PasswordSecret { get; init; }
    public bool OnFailure { get; init; } = true;
    public bool OnStop { get; init; } = true;
    public bool OnPartial { get; init; }
}

public sealed record ReportConfig
{
    public string Folder { get; init; } = "reports";
    public int Keep { get; init; } = 60;
}
