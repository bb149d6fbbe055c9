using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using HeitzSync.Core.Model;

namespace HeitzSync.Core.Configuration;

/// <summary>A configuration that cannot be used: every problem, each naming the property and the fix.</summary>
public sealed class HzConfigException : Exception
{
    public HzConfigException(string path, IReadOnlyList<string> problems)
        : base($"The configuration {path} cannot be used:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", problems))
    {
        Path = path;
        Problems = problems;
    }

    public string Path { get; }
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>Loads, validates and saves heitzsync.json.</summary>
public static class HzSyncConfigStore
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>HEITZSYNC_CONFIG, else %ProgramData%\HeitzSync\heitzsync.json on Windows, /etc/heitzsync/heitzsync.json elsewhere.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("HEITZSYNC_CONFIG") is { Length: > 0 } configured ? configured
        : RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "HeitzSync", "heitzsync.json")
            : "/etc/heitzsync/heitzsync.json";

    public static HzSyncConfig Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new HzConfigException(full, new[] { "the file does not exist: create it with New-HzSyncConfig or 'hzsync config new', or give --config" });
        }
        HzSyncConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<HzSyncConfig>(File.ReadAllBytes(full), Json);
        }
        catch (JsonException ex)
        {
            throw new HzConfigException(full, new[] { $"invalid JSON at line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message.Split('.')[0]}" });
        }
        if (config is null) throw new HzConfigException(full, new[] { "the file is empty" });
        config = config with { BaseFolder = System.IO.Path.GetDirectoryName(full)! };
        var problems = Validate(config);
        if (problems.Count > 0) throw new HzConfigException(full, problems);
        return config;
    }

    public static void Save(HzSyncConfig config, string path)
    {
        var problems = Validate(config);
        if (problems.Count > 0) throw new HzConfigException(path, problems);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var part = full + ".part";
        File.WriteAllBytes(part, JsonSerializer.SerializeToUtf8Bytes(config, Json));
        if (File.Exists(full)) File.Delete(full);
        File.Move(part, full);
    }

    /// <summary>Every problem, each naming the JSON property and what to put there.</summary>
    public static IReadOnlyList<string> Validate(HzSyncConfig config)
    {
        var problems = new List<string>();
        if (!SiteCode.TryParse(config.Site.Code, out _))
            problems.Add($"site.code '{config.Site.Code}' must be 2 to 16 upper-case letters, digits or '_', starting with a letter (e.g. PARIS01)");
        if (config.Site.Number < 1 || config.Site.Number > 999)
            problems.Add($"site.number {config.Site.Number} must be between 1 and 999: it fixes the site's key range, and no two sites may share one");
        if (config.KeyRangeSize < 1000)
            problems.Add("keyRangeSize must be at least 1000");
        else if ((decimal)(config.Site.Number + 1) * config.KeyRangeSize > long.MaxValue)
            problems.Add("keyRangeSize × (site.number + 1) does not fit a BIGINT key: use a smaller keyRangeSize");
        if (string.IsNullOrWhiteSpace(config.Database.Path))
            problems.Add("database.path is required (the site's Firebird database file or alias)");
        if (config.Database.Server is not null && string.IsNullOrWhiteSpace(config.Database.PasswordSecret))
            problems.Add("database.passwordSecret is required when database.server is set (store it with Set-HzSyncCredential)");
        switch (config.Drop.Kind)
        {
            case DropKind.Folder when string.IsNullOrWhiteSpace(config.Drop.Path):
                problems.Add("drop.path is required when drop.kind is Folder (the Siège's drop folder, local or UNC)");
                break;
            case DropKind.Ftp:
                if (string.IsNullOrWhiteSpace(config.Drop.Host)) problems.Add("drop.host is required when drop.kind is Ftp");
                if (string.IsNullOrWhiteSpace(config.Drop.User)) problems.Add("drop.user is required when drop.kind is Ftp");
                if (config.Drop.Security is not ("ExplicitTls" or "None")) problems.Add($"drop.security '{config.Drop.Security}' must be ExplicitTls or None");
                if (string.IsNullOrWhiteSpace(config.Drop.PasswordSecret)) problems.Add("drop.passwordSecret is required when drop.kind is Ftp (store the FTP password with Set-HzSyncCredential)");
                break;
        }
        if (config.Role == NodeRole.Siege && config.Drop.Kind != DropKind.Folder)
            problems.Add("drop.kind must be Folder at the Siège: it works on its drop (the FTP server's root) locally");
        if (string.IsNullOrWhiteSpace(config.KeyFile)) problems.Add("keyFile is required (the group key made by New-HzSyncKey)");
        if (config.Backup.Keep < 1) problems.Add("backup.keep must be at least 1");
        if (!TimeSpan.TryParse(config.Schedule.RestartHour, System.Globalization.CultureInfo.InvariantCulture, out _))
            problems.Add($"schedule.restartHour '{config.Schedule.RestartHour}' must be a time of day such as 06:30");
        if (!TimeSpan.TryParse(config.Schedule.StartTime, System.Globalization.CultureInfo.InvariantCulture, out _))
            problems.Add($"schedule.startTime '{config.Schedule.StartTime}' must be a time of day such as 02:00");
        foreach (var site in config.Schedule.Sites.Where(s => !SiteCode.TryParse(s, out _)))
            problems.Add($"schedule.sites entry '{site}' is not a valid site code");
        if (config.Mail is { } mail)
        {
            if (string.IsNullOrWhiteSpace(mail.SmtpHost)) problems.Add("mail.smtpHost is required when mail is set");
            if (string.IsNullOrWhiteSpace(mail.From)) problems.Add("mail.from is required when mail is set (the sender address)");
            if (mail.To.Count == 0) problems.Add("mail.to needs at least one address");
        }
        return problems;
    }
}
