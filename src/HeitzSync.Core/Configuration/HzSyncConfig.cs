using System.Text.Json.Serialization;

namespace HeitzSync.Core.Configuration;

public enum NodeRole { Site, Siege }

public enum DropKind { Folder, Ftp }

/// <summary>
/// One node's configuration file (heitzsync.json). Relative paths are relative to the file's folder.
/// Passwords are never in it: <c>passwordSecret</c> names a secret stored with <see cref="Secrets.SecretStore"/>.
/// </summary>
public sealed record HzSyncConfig
{
    public NodeRole Role { get; init; } = NodeRole.Site;
    public SiteIdentity Site { get; init; } = new();
    public DatabaseConfig Database { get; init; } = new();
    public DropConfig Drop { get; init; } = new();
    public string KeyFile { get; init; } = "group.key";
    public TableRules Tables { get; init; } = new();
    public long KeyRangeSize { get; init; } = 1_000_000_000;
    public BackupConfig Backup { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();
    public string WorkFolder { get; init; } = "work";
    public ReportConfig Reports { get; init; } = new();

    /// <summary>Email on a failed or stopped night; null: no email.</summary>
    public MailConfig? Mail { get; init; }

    /// <summary>The folder the file was loaded from (relative paths resolve against it).</summary>
    [JsonIgnore]
    public string BaseFolder { get; init; } = Directory.GetCurrentDirectory();

    public string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(BaseFolder, path));

    public KeyRange KeyRange => KeyRange.For(Site.Number, KeyRangeSize);
}

public sealed record SiteIdentity
{
    public string Code { get; init; } = "";
    public int Number { get; init; }
}

public sealed record DatabaseConfig
{
    public string Path { get; init; } = "";
    public string? Server { get; init; }
    public int Port { get; init; } = 3050;
    public string User { get; init; } = "SYSDBA";
    public string? PasswordSecret { get; init; }
}

public sealed record DropConfig
{
    public DropKind Kind { get; init; } = DropKind.Folder;
    public string Path { get; init; } = "";
    public string? Host { get; init; }
    public int Port { get; init; } = 21;
    public string? User { get; init; }
    public string? PasswordSecret { get; init; }
    public string Security { get; init; } = "ExplicitTls";
    public string? CertificateThumbprint { get; init; }
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
    public string StartTime { get; init; } = "02:00";
    /// <summary>The deadline: past it a run stops cleanly and the site keeps working on its own data.</summary>
    public string RestartHour { get; init; } = "06:30";
    public int ReceptionMinutes { get; init; } = 120;
    public int? ExpectedSites { get; init; }
    /// <summary>Site codes the Siège waits for; sites also register themselves with their first package.</summary>
    public IReadOnlyList<string> Sites { get; init; } = Array.Empty<string>();
    public int PackageWaitMinutes { get; init; } = 60;
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

/// <summary>The key range of site number n: [n × size, (n + 1) × size − 1].</summary>
public readonly record struct KeyRange(long Low, long High)
{
    public static KeyRange For(int siteNumber, long size) => new(siteNumber * size, (siteNumber + 1) * size - 1);
    public bool Contains(long key) => key >= Low && key <= High;
    public bool Overlaps(KeyRange other) => Low <= other.High && other.Low <= High;
    public override string ToString() => $"[{Low}, {High}]";
}
