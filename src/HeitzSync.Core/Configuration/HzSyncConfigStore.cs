using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HeitzSync.Core.Model;
using HeitzSync.Core.Secrets;

namespace HeitzSync.Core.Configuration;

/// <summary>Loads, validates and saves heitzsync.json, and changes named settings in it.</summary>
public static class HzSyncConfigStore
{
    /// <summary>camelCase, written indented; comments and trailing commas allowed on read; enums by name only.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>HEITZSYNC_CONFIG, else %ProgramData%\HeitzSync\heitzsync.json on Windows, /etc/heitzsync/heitzsync.json elsewhere.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("HEITZSYNC_CONFIG") is { Length: > 0 } configured ? configured
        : RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "HeitzSync", "heitzsync.json")
            : "/etc/heitzsync/heitzsync.json";

    /// <summary>Reads and validates the file; throws one <see cref="HzConfigException"/> listing every problem.</summary>
    public static HzSyncConfig Load(string path)
    {
        var config = Read(path, out var fileProblems);
        var problems = fileProblems.Concat(Validate(config)).ToList();
        if (problems.Count > 0) throw new HzConfigException(config.ConfigPath!, problems);
        return config;
    }

    /// <summary>
    /// Reads the file without validating it (to edit a broken file): throws only when it is missing or is not a
    /// configuration at all (malformed JSON, a value of the wrong type). Properties the configuration does not know are
    /// returned in <paramref name="unknownProperties"/>; they would be lost by a save.
    /// </summary>
    public static HzSyncConfig Read(string path, out IReadOnlyList<string> unknownProperties)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new HzConfigException(full, new[] { $"the file does not exist: create it with {FrontCommands.NewConfig}, or give the path of an existing configuration" });
        }
        var bytes = WithoutByteOrderMark(File.ReadAllBytes(full));
        var unknown = new List<string>();
        HzSyncConfig? config;
        try
        {
            using (var document = JsonDocument.Parse(bytes, DocumentOptions))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new HzConfigException(full, new[] { $"the file holds a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object: it must start with '{{'" });
                }
                ConfigSchema.FindUnknown(document.RootElement, ConfigSchema.Root, unknown);
            }
            config = JsonSerializer.Deserialize<HzSyncConfig>(bytes, Json);
        }
        catch (JsonException ex)
        {
            throw new HzConfigException(full, new[] { Describe(ex, fromFile: true, bytes) });
        }
        if (config is null) throw new HzConfigException(full, new[] { "the file holds null instead of a configuration object" });
        unknownProperties = unknown;
        return config with { BaseFolder = Path.GetDirectoryName(full)!, ConfigPath = full };
    }

    /// <summary>Validates, then writes the file indented (UTF-8, no BOM) through a temporary file, so a crash never leaves half a file.</summary>
    public static void Save(HzSyncConfig config, string path)
    {
        var full = Path.GetFullPath(path);
        var problems = Validate(config);
        if (problems.Count > 0) throw new HzConfigException(full, problems);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var part = full + ".part";
        if (File.Exists(part)) File.Delete(part);
        try
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(config, Json);
            using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(json, 0, json.Length);
                file.WriteByte((byte)'\n');
                file.Flush(flushToDisk: true);
            }
            if (File.Exists(full)) File.Replace(part, full, destinationBackupFileName: null);
            else File.Move(part, full);
        }
        finally
        {
            if (File.Exists(part)) File.Delete(part);
        }
    }

    /// <summary>
    /// The configuration with named settings changed: each name is a dotted JSON property path (<c>drop.host</c>,
    /// <c>schedule.restartHour</c>, case-insensitive), each value text, a number, a boolean, a list (for list
    /// settings), a dictionary (for a whole section such as <c>mail</c>) or null. Values are converted to the
    /// setting's type. Throws one <see cref="HzConfigException"/> listing every unknown name and unusable value;
    /// the result is not validated (call <see cref="Validate"/>).
    /// </summary>
    public static HzSyncConfig WithSettings(HzSyncConfig config, IEnumerable<KeyValuePair<string, object?>> settings)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var root = JsonSerializer.SerializeToNode(config, Json)!.AsObject();
        var problems = new List<string>();
        foreach (var setting in settings)
        {
            var property = ConfigSchema.Find(setting.Key, out var problem);
            if (property is null)
            {
                problems.Add(problem!);
                continue;
            }
            if (!TryConvert(setting.Value, property, out var value, out problem))
            {
                problems.Add(problem!);
                continue;
            }
            var parent = root;
            var segments = property.Path.Split('.');
            var walked = ConfigSchema.Root;
            foreach (var segment in segments.Take(segments.Length - 1))
            {
                walked = walked.Child(segment)!;
                if (parent[walked.Name] is not JsonObject next)
                {
                    // A section that is null (mail) is created; its other properties take their defaults.
                    next = new JsonObject();
                    parent[walked.Name] = next;
                }
                parent = next;
            }
            parent[property.Name] = value;
        }
        var where = config.ConfigPath ?? "(the configuration being changed)";
        if (problems.Count > 0) throw new HzConfigException(where, problems);
        try
        {
            var changed = root.Deserialize<HzSyncConfig>(Json)!;
            return changed with { BaseFolder = config.BaseFolder, ConfigPath = config.ConfigPath };
        }
        catch (JsonException ex)
        {
            throw new HzConfigException(where, new[] { Describe(ex, fromFile: false) });
        }
    }

    /// <summary>Every problem, each naming the JSON property and what to put there. Empty when the configuration is usable.</summary>
    public static IReadOnlyList<string> Validate(HzSyncConfig config)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        var problems = new List<string>();

        var site = config.Site;
        if (site is null)
        {
            problems.Add("site is required: { \"code\": \"PARIS01\", \"number\": 1 }");
        }
        else
        {
            if (!SiteCode.TryParse(site.Code, out _))
                problems.Add($"site.code '{site.Code}' must be 2 to 16 upper-case letters, digits or '_', starting with a letter (e.g. PARIS01)");
            if (site.Number < 1 || site.Number > 999)
                problems.Add($"site.number {site.Number} must be between 1 and 999: it fixes the site's key range, and no two sites may share one");
        }
        if (config.KeyRangeSize < 1000)
            problems.Add($"keyRangeSize {config.KeyRangeSize} must be at least 1000 (the default, 1000000000, suits almost every database)");
        else if (site is not null && site.Number >= 1 && !KeyRange.Fits(site.Number, config.KeyRangeSize))
            problems.Add($"keyRangeSize {config.KeyRangeSize} × (site.number + 1) does not fit a BIGINT key: use a smaller keyRangeSize");

        var database = config.Database;
        if (database is null)
        {
            problems.Add("database is required: { \"path\": \"<the Firebird database file>\" }");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(database.Path))
                problems.Add("database.path is required (the site's Firebird database file, or its path or alias on database.server)");
            if (database.Server is not null)
            {
                if (string.IsNullOrWhiteSpace(database.Server))
                    problems.Add("database.server is empty: give the Firebird server's host, or null for embedded access to a local file");
                if (string.IsNullOrWhiteSpace(database.PasswordSecret))
                    problems.Add($"database.passwordSecret is required when database.server is set (store the password with {FrontCommands.StoreLogin("Database", "database.passwordSecret")})");
                if (string.IsNullOrWhiteSpace(database.User))
                    problems.Add("database.user is required when database.server is set (usually SYSDBA)");
            }
            CheckPort(problems, "database.port", database.Port);
            CheckSecretName(problems, "database.passwordSecret", database.PasswordSecret);
        }

        var drop = config.Drop;
        if (drop is null)
        {
            problems.Add("drop is required: { \"kind\": \"Folder\", \"path\": \"<the Siège's drop folder>\" } or { \"kind\": \"Ftp\", \"host\": ..., \"user\": ..., \"passwordSecret\": ... }");
        }
        else
        {
            switch (drop.Kind)
            {
                case DropKind.Folder when string.IsNullOrWhiteSpace(drop.Path):
                    problems.Add("drop.path is required when drop.kind is Folder (the Siège's drop folder, local or UNC)");
                    break;
                case DropKind.Ftp:
                    if (string.IsNullOrWhiteSpace(drop.Host)) problems.Add("drop.host is required when drop.kind is Ftp (the Siège's FTP server)");
                    if (string.IsNullOrWhiteSpace(drop.User)) problems.Add("drop.user is required when drop.kind is Ftp (this site's FTP account)");
                    if (string.IsNullOrWhiteSpace(drop.PasswordSecret)) problems.Add($"drop.passwordSecret is required when drop.kind is Ftp (store the FTP password with {FrontCommands.StoreLogin("Ftp", "drop.passwordSecret")})");
                    if (drop.Security is not ("ExplicitTls" or "None")) problems.Add($"drop.security '{drop.Security}' must be ExplicitTls (FTPS, the default) or None (plain FTP)");
                    if (drop.CertificateThumbprint is { } thumbprint && !IsThumbprint(thumbprint))
                        problems.Add($"drop.certificateThumbprint '{thumbprint}' must be the SHA-256 (64 hex digits) or SHA-1 (40 hex digits) thumbprint of the Siège's certificate, or null");
                    CheckPort(problems, "drop.port", drop.Port);
                    break;
            }
            if (drop.TimeoutSeconds < 1 || drop.TimeoutSeconds > 3600)
                problems.Add($"drop.timeoutSeconds {drop.TimeoutSeconds} must be between 1 and 3600");
            if (drop.Retries < 0 || drop.Retries > 100)
                problems.Add($"drop.retries {drop.Retries} must be between 0 and 100");
            CheckSecretName(problems, "drop.passwordSecret", drop.PasswordSecret);
            if (config.Role == NodeRole.Siege && drop.Kind != DropKind.Folder)
                problems.Add("drop.kind must be Folder at the Siège: it works on its drop (the FTP server's root) locally");
            if (config.Role == NodeRole.Siege && drop.Scope != DropScope.Drop)
                problems.Add("drop.scope must be Drop at the Siège (it works on the whole drop); Site is for a site whose FTP account sees only its own folder");
        }

        if (string.IsNullOrWhiteSpace(config.KeyFile)) problems.Add($"keyFile is required (the group key file made by {FrontCommands.NewKey}, the same on every node)");
        if (string.IsNullOrWhiteSpace(config.WorkFolder)) problems.Add("workFolder is required (a local folder for packages and locks, e.g. \"work\")");

        var tables = config.Tables;
        if (tables is null)
        {
            problems.Add("tables is required: { \"include\": [\"*\"] } synchronises every table");
        }
        else
        {
            CheckPatterns(problems, "tables.include", tables.Include);
            if (tables.Include is { Count: 0 }) problems.Add("tables.include is empty, so no table would be synchronised: use [\"*\"] for every table");
            CheckPatterns(problems, "tables.exclude", tables.Exclude);
            CheckPatterns(problems, "tables.localOnly", tables.LocalOnly);
            CheckPatterns(problems, "tables.siegeWins", tables.SiegeWins);
            CheckPatterns(problems, "tables.triggersOffDuringApply", tables.TriggersOffDuringApply);
            CheckPatterns(problems, "tables.triggersRunDuringApply", tables.TriggersRunDuringApply);
            CheckColumns(problems, "tables.additiveColumns", tables.AdditiveColumns);
            CheckColumns(problems, "tables.localColumns", tables.LocalColumns);
            if (tables.AdditiveColumns is not null && tables.LocalColumns is not null)
            {
                foreach (var both in tables.AdditiveColumns.Intersect(tables.LocalColumns, StringComparer.OrdinalIgnoreCase))
                    problems.Add($"{both} is in both tables.additiveColumns and tables.localColumns: a column is one or the other");
            }
        }

        var backup = config.Backup;
        if (backup is null) problems.Add("backup is required: { \"folder\": \"backups\", \"keep\": 10 }");
        else
        {
            if (string.IsNullOrWhiteSpace(backup.Folder)) problems.Add("backup.folder is required (where the safety backups go, e.g. \"backups\")");
            if (backup.Keep < 1) problems.Add($"backup.keep {backup.Keep} must be at least 1 (how many safety backups to keep)");
        }

        var schedule = config.Schedule;
        if (schedule is null) problems.Add("schedule is required: { \"startTime\": \"02:00\", \"restartHour\": \"06:30\" }");
        else ValidateSchedule(problems, schedule, config.Role);

        var reports = config.Reports;
        if (reports is null) problems.Add("reports is required: { \"folder\": \"reports\", \"keep\": 60 }");
        else
        {
            if (string.IsNullOrWhiteSpace(reports.Folder)) problems.Add("reports.folder is required (where run reports go, e.g. \"reports\")");
            if (reports.Keep < 1) problems.Add($"reports.keep {reports.Keep} must be at least 1 (how many run reports to keep)");
        }

        if (config.Mail is { } mail) ValidateMail(problems, mail);
        return problems;
    }

    private static void ValidateSchedule(List<string> problems, ScheduleConfig schedule, NodeRole role)
    {
        var start = TimeOfDay(schedule.StartTime);
        var restart = TimeOfDay(schedule.RestartHour);
        if (start is null) problems.Add($"schedule.startTime '{schedule.StartTime}' must be a time of day, HH:mm (e.g. 02:00)");
        if (restart is null) problems.Add($"schedule.restartHour '{schedule.RestartHour}' must be a time of day, HH:mm (e.g. 06:30): the deadline before opening");
        if (schedule.ReceptionMinutes < 0) problems.Add($"schedule.receptionMinutes {schedule.ReceptionMinutes} must be 0 or more (0: do not wait)");
        if (schedule.PackageWaitMinutes < 0) problems.Add($"schedule.packageWaitMinutes {schedule.PackageWaitMinutes} must be 0 or more (0: do not wait)");
        if (schedule.StaggerMinutes < 0) problems.Add($"schedule.staggerMinutes {schedule.StaggerMinutes} must be 0 or more");
        if (schedule.PollSeconds < 1) problems.Add($"schedule.pollSeconds {schedule.PollSeconds} must be at least 1");
        if (schedule.ExpectedSites is < 1) problems.Add($"schedule.expectedSites {schedule.ExpectedSites} must be at least 1, or null to wait for every registered site");
        if (schedule.Sites is null) problems.Add("schedule.sites must be a list of site codes (it may be empty: [])");
        else
        {
            foreach (var code in schedule.Sites.Where(s => !SiteCode.TryParse(s, out _)))
                problems.Add($"schedule.sites entry '{code}' is not a valid site code (2 to 16 upper-case letters, digits or '_', starting with a letter)");
        }
        if (role == NodeRole.Siege && start is { } s && restart is { } r)
        {
            // The window from the start to the deadline, across midnight; equal times mean a whole day.
            var window = r - s;
            if (window <= TimeSpan.Zero) window += TimeSpan.FromDays(1);
            if (schedule.ReceptionMinutes > window.TotalMinutes)
            {
                problems.Add($"schedule.receptionMinutes {schedule.ReceptionMinutes} runs past schedule.restartHour {schedule.RestartHour} when the night starts at {schedule.StartTime}: " +
                             $"shorten it to at most {(int)window.TotalMinutes} or start earlier, so the Siège can still consolidate and publish");
            }
        }
    }

    private static void ValidateMail(List<string> problems, MailConfig mail)
    {
        if (string.IsNullOrWhiteSpace(mail.SmtpHost)) problems.Add("mail.smtpHost is required when mail is set (or set mail to null for no email)");
        CheckPort(problems, "mail.port", mail.Port);
        if (string.IsNullOrWhiteSpace(mail.From)) problems.Add("mail.from is required when mail is set (the sender address)");
        else if (!IsMailAddress(mail.From)) problems.Add($"mail.from '{mail.From}' is not an email address");
        if (mail.To is null || mail.To.Count == 0) problems.Add("mail.to needs at least one address");
        else
        {
            foreach (var address in mail.To.Where(a => !IsMailAddress(a)))
                problems.Add($"mail.to entry '{address}' is not an email address");
        }
        if (!string.IsNullOrWhiteSpace(mail.User) && string.IsNullOrWhiteSpace(mail.PasswordSecret))
            problems.Add($"mail.passwordSecret is required when mail.user is set (store the SMTP password with {FrontCommands.StoreLogin("Smtp", "mail.passwordSecret")})");
        if (string.IsNullOrWhiteSpace(mail.User) && !string.IsNullOrWhiteSpace(mail.PasswordSecret))
            problems.Add("mail.user is required when mail.passwordSecret is set (the SMTP login)");
        CheckSecretName(problems, "mail.passwordSecret", mail.PasswordSecret);
    }

    /// <summary>HH:mm (or H:mm), a time of day before 24:00.</summary>
    internal static TimeSpan? TimeOfDay(string? text)
    {
        if (text is null) return null;
        return TimeSpan.TryParseExact(text.Trim(), new[] { @"h\:mm", @"hh\:mm" }, CultureInfo.InvariantCulture, out var time) && time < TimeSpan.FromDays(1)
            ? time
            : null;
    }

    private static void CheckPort(List<string> problems, string property, int port)
    {
        if (port < 1 || port > 65535) problems.Add($"{property} {port} must be between 1 and 65535");
    }

    private static void CheckSecretName(List<string> problems, string property, string? name)
    {
        if (name is not null && !SecretStore.IsValidName(name))
            problems.Add($"{property} '{name}' is not a valid secret name: use 1 to 64 letters, digits, '.', '_' or '-'");
    }

    private static void CheckPatterns(List<string> problems, string property, IReadOnlyList<string>? patterns)
    {
        if (patterns is null)
        {
            problems.Add($"{property} must be a list of name patterns (it may be empty: [])");
            return;
        }
        for (var i = 0; i < patterns.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(patterns[i])) problems.Add($"{property}[{i}] is empty: give a name or a pattern such as LOG_*");
        }
    }

    private static void CheckColumns(List<string> problems, string property, IReadOnlyList<string>? columns)
    {
        if (columns is null)
        {
            problems.Add($"{property} must be a list of TABLE.COLUMN names (it may be empty: [])");
            return;
        }
        for (var i = 0; i < columns.Count; i++)
        {
            if (Capture.ColumnDeclarations.Parse(columns[i]) is null)
                problems.Add($"{property}[{i}] '{columns[i]}' must be TABLE.COLUMN, e.g. ARTICLE.STOCK");
        }
    }

    private static bool IsThumbprint(string text)
    {
        if (text.Any(c => !Uri.IsHexDigit(c) && c is not (':' or ' ' or '-'))) return false;
        var digits = text.Count(Uri.IsHexDigit);
        return digits is 40 or 64;
    }

    private static bool IsMailAddress(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return false;
        try
        {
            return new System.Net.Mail.MailAddress(text!).Address.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// A JSON error in the words of the file: what was expected where, and the line and position when the error comes
    /// from the file. Malformed JSON is caught by the document parse (no property path); a value of the wrong type by
    /// the deserializer (with the property's path).
    /// </summary>
    private static string Describe(JsonException ex, bool fromFile = true, byte[]? file = null)
    {
        var where = fromFile && ex.LineNumber is { } line ? $" (line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1})" : "";
        if (ex.Path is { Length: > 1 } jsonPath && ConfigSchema.AtJsonPath(jsonPath) is { } property)
        {
            // A whole number too large for the setting is a number all the same: say it is out of range, and the range.
            if (property.Kind == ConfigValueKind.WholeNumber && file is not null && IntegerAt(file, jsonPath) is { } number)
            {
                var (low, high) = RangeOf(property);
                return $"{ConfigSchema.FromJsonPath(jsonPath)} {number} is out of range: it must be a whole number from {low} to {high}{where}";
            }
            return $"{ConfigSchema.FromJsonPath(jsonPath)} must be {ElementExpected(property, jsonPath)}{where}";
        }
        // System.Text.Json's first sentence says what it found ("'}' is an invalid start of a value").
        var first = ex.Message.Split(new[] { ". " }, 2, StringSplitOptions.None)[0].TrimEnd('.');
        return fromFile && ex.LineNumber is not null
            ? $"invalid JSON at line {ex.LineNumber + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: {first}"
            : $"invalid JSON: {first}";
    }

    /// <summary>The range a whole-number setting accepts: the validated range where there is one, else its type's.</summary>
    private static (long Low, long High) RangeOf(ConfigProperty property) => property.Path switch
    {
        "site.number" => (1, 999),
        "database.port" or "drop.port" or "mail.port" => (1, 65535),
        "drop.timeoutSeconds" => (1, 3600),
        "drop.retries" => (0, 100),
        _ when property.Type == typeof(int) || property.Type == typeof(int?) => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    /// <summary>The integer written at <paramref name="jsonPath"/> (<c>$.site.number</c>) in the file, or null when it holds
    /// something else (text, a fraction) or cannot be found.</summary>
    private static string? IntegerAt(byte[] file, string jsonPath)
    {
        try
        {
            using var document = JsonDocument.Parse(file, DocumentOptions);
            var element = document.RootElement;
            foreach (var segment in ConfigSchema.FromJsonPath(jsonPath).Split('.'))
            {
                if (element.ValueKind != JsonValueKind.Object) return null;
                var found = element.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, segment, StringComparison.OrdinalIgnoreCase));
                if (found.Value.ValueKind == JsonValueKind.Undefined) return null;
                element = found.Value;
            }
            var text = element.ValueKind == JsonValueKind.Number ? element.GetRawText() : null;
            return text is not null && text.TrimStart('-').All(char.IsDigit) ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ElementExpected(ConfigProperty property, string jsonPath) =>
        property.Kind == ConfigValueKind.TextList && jsonPath.EndsWith("]", StringComparison.Ordinal) ? "text" : property.Expected;

    private static bool TryConvert(object? value, ConfigProperty property, out JsonNode? node, out string? problem)
    {
        node = null;
        problem = null;
        if (value is null) return true;
        var invalid = $"{property.Path}: '{Display(value)}' is not {property.Expected}";
        switch (property.Kind)
        {
            case ConfigValueKind.Text:
                if (value is TimeSpan time && time >= TimeSpan.Zero && time < TimeSpan.FromDays(1))
                {
                    node = JsonValue.Create(time.ToString(@"hh\:mm", CultureInfo.InvariantCulture));
                    return true;
                }
                if (value is string or char or Enum || value is IConvertible && value is not bool)
                {
                    node = JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture));
                    return true;
                }
                problem = invalid;
                return false;
            case ConfigValueKind.WholeNumber:
                try
                {
                    if (value is bool || value is not IConvertible) throw new FormatException();
                    var number = value is string text ? long.Parse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture) : Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    if (property.Type == typeof(int) && (number < int.MinValue || number > int.MaxValue)) throw new OverflowException();
                    if (value is double or float or decimal && Convert.ToDecimal(value, CultureInfo.InvariantCulture) != number) throw new FormatException();
                    node = JsonValue.Create(number);
                    return true;
                }
                catch (OverflowException)
                {
                    var (low, high) = RangeOf(property);
                    problem = $"{property.Path}: '{Display(value)}' is out of range: it must be a whole number from {low} to {high}";
                    return false;
                }
                catch (Exception ex) when (ex is FormatException or InvalidCastException)
                {
                    problem = invalid;
                    return false;
                }
            case ConfigValueKind.Boolean:
                if (value is bool flag || value is string s && bool.TryParse(s.Trim(), out flag))
                {
                    node = JsonValue.Create(flag);
                    return true;
                }
                problem = invalid;
                return false;
            case ConfigValueKind.Choice:
                var name = Convert.ToString(value, CultureInfo.InvariantCulture);
                var match = Enum.GetNames(property.Type).FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
                if (match is null || value is not (string or Enum))
                {
                    problem = invalid;
                    return false;
                }
                node = JsonValue.Create(match);
                return true;
            case ConfigValueKind.TextList:
                var items = value is string single ? new object?[] { single } : value is IEnumerable list and not IDictionary ? list.Cast<object?>().ToArray() : null;
                if (items is null || items.Any(i => i is null or IEnumerable and not string))
                {
                    problem = invalid;
                    return false;
                }
                node = new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(Convert.ToString(i, CultureInfo.InvariantCulture))).ToArray());
                return true;
            default:
                if (value is not IDictionary section)
                {
                    problem = $"{property.Path} is a section: set its properties one by one ({property.ChildNames}), give a dictionary of them, or null to remove it";
                    return false;
                }
                var result = new JsonObject();
                foreach (DictionaryEntry entry in section)
                {
                    var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
                    var child = property.Child(key);
                    if (child is null)
                    {
                        problem = $"'{property.Path}.{key}' is not a setting: {property.Path} has {property.ChildNames}";
                        return false;
                    }
                    if (!TryConvert(entry.Value, child, out var childNode, out problem)) return false;
                    result[child.Name] = childNode;
                }
                node = result;
                return true;
        }
    }

    private static string Display(object value) => value is IEnumerable items and not string and not IDictionary
        ? "[" + string.Join(", ", items.Cast<object?>().Select(i => i is null ? "null" : Convert.ToString(i, CultureInfo.InvariantCulture))) + "]"
        : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static byte[] WithoutByteOrderMark(byte[] bytes) =>
        bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? bytes.Skip(3).ToArray() : bytes;
}
