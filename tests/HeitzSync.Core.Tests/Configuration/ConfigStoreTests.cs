using System.Text;
using System.Text.Json;
using HeitzSync.Core.Configuration;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Configuration;

/// <summary>heitzsync.json: reading (comments, BOM, errors with their place), validation rules, saving, relative paths, named settings.</summary>
public class ConfigStoreTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-config");

    /// <summary>A usable site configuration: every test below breaks one thing in it.</summary>
    private static HzSyncConfig Valid() => new()
    {
        Role = NodeRole.Site,
        Site = new SiteIdentity { Code = "LYON01", Number = 2 },
        Database = new DatabaseConfig { Path = "club.fdb" },
        Drop = new DropConfig { Kind = DropKind.Folder, Path = "/mnt/drop" },
    };

    private string Write(string json, string name = "heitzsync.json")
    {
        var path = _temp.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Json(HzSyncConfig config) => JsonSerializer.Serialize(config, HzSyncConfigStore.Json);

    [Fact]
    public void A_saved_configuration_loads_back_identical()
    {
        var config = Valid() with
        {
            Tables = new TableRules { Include = new[] { "*" }, Exclude = new[] { "LOG_*" }, LocalOnly = new[] { "WORKSTATION_*" }, SiegeWins = new[] { "PRICE_LIST" }, TriggersOffDuringApply = new[] { "TRG_STOCK" },
                AdditiveColumns = new[] { "ARTICLE.STOCK" }, LocalColumns = new[] { "ARTICLE.LINES_SOLD" }, TriggersRunDuringApply = new[] { "SALE_LINE_COUNT" } },
            Schedule = new ScheduleConfig { StartTime = "01:30", RestartHour = "06:00", ExpectedSites = 3, Sites = new[] { "LYON01", "NICE02" }, StaggerMinutes = 7 },
            Mail = new MailConfig { SmtpHost = "smtp.example.net", From = "hz@club.example", To = new[] { "it@club.example" }, User = "hz", PasswordSecret = "smtp" },
            Drop = new DropConfig { Kind = DropKind.Ftp, Path = "/drop", Host = "siege.example.net", User = "LYON01", PasswordSecret = "ftp", CertificateThumbprint = new string('a', 64), Retries = 3 },
        };
        var path = _temp.File("heitzsync.json");

        HzSyncConfigStore.Save(config, path);
        var loaded = HzSyncConfigStore.Load(path);

        Assert.Equal(Json(config), Json(loaded));
        Assert.Equal(path, loaded.ConfigPath);
        Assert.Equal(_temp.Path, loaded.BaseFolder);
    }

    [Fact]
    public void The_file_is_indented_camelCase_UTF8_without_BOM_and_holds_no_derived_values()
    {
        var path = _temp.File("heitzsync.json");
        HzSyncConfigStore.Save(Valid(), path);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);

        Assert.NotEqual(0xEF, bytes[0]);
        Assert.Contains("\n  \"role\": \"Site\"", text.Replace("\r\n", "\n"));
        Assert.Contains("\"keyRangeSize\": 1000000000", text);
        Assert.DoesNotContain("keyRange\"", text);
        Assert.DoesNotContain("baseFolder", text);
        Assert.DoesNotContain("configPath", text);
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public void Saving_an_unusable_configuration_writes_nothing()
    {
        var path = _temp.File("heitzsync.json");
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Save(Valid() with { Site = new SiteIdentity { Code = "lyon", Number = 2 } }, path));
        Assert.Contains("site.code 'lyon'", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Comments_trailing_commas_a_BOM_and_any_property_case_are_accepted()
    {
        var path = _temp.File("heitzsync.json");
        var json = """
            {
              // a site of the chain
              "Role": "Site",
              "site": { "code": "LYON01", "number": 2, },
              /* embedded database */
              "database": { "path": "club.fdb" },
              "drop": { "kind": "Folder", "path": "/mnt/drop" },
            }
            """;
        File.WriteAllBytes(path, new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(json)).ToArray());

        var config = HzSyncConfigStore.Load(path);

        Assert.Equal("LYON01", config.Site.Code);
        Assert.Equal(NodeRole.Site, config.Role);
        Assert.Equal(10, config.Backup.Keep);
    }

    [Fact]
    public void Malformed_JSON_gives_the_line_and_position_and_the_file()
    {
        var path = Write("{\n  \"role\": \"Site\",\n  \"site\": { \"code\": \"LYON01\" \"number\": 2 }\n}");
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(path));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("invalid JSON at line 3, position 30", problem);
        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_property_what_it_must_be_and_where()
    {
        var number = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write("{\n  \"site\": {\n    \"number\": \"two\"\n  }\n}")));
        Assert.Equal("site.number must be a whole number (line 3, position 20)", Assert.Single(number.Problems));

        var role = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write("{ \"role\": \"Branch\" }")));
        Assert.StartsWith("role must be one of Site, Siege", Assert.Single(role.Problems));

        var roleNumber = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write("{ \"role\": 1 }")));
        Assert.StartsWith("role must be one of Site, Siege", Assert.Single(roleNumber.Problems));

        var list = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write("{ \"tables\": { \"exclude\": \"LOG\" } }")));
        Assert.StartsWith("tables.exclude must be a list of text", Assert.Single(list.Problems));
    }

    [Fact]
    public void A_file_that_is_not_a_JSON_object_or_is_missing_says_so()
    {
        Assert.Contains("not an object", Assert.Single(Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write("[1, 2]"))).Problems));
        Assert.StartsWith("invalid JSON at line 1, position 1", Assert.Single(Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(Write(""))).Problems));
        var missing = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(_temp.File("nothing.json")));
        Assert.Contains("does not exist", Assert.Single(missing.Problems));
    }

    [Fact]
    public void Misspelled_properties_are_reported_with_the_names_allowed_there()
    {
        var path = Write("""{ "role": "Site", "site": { "code": "LYON01", "number": 2 }, "database": { "path": "a.fdb" }, "drop": { "kind": "Folder", "path": "/d", "hots": "x" }, "shedule": {}, "$schema": "ignored" }""");
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(path));

        Assert.Equal(2, error.Problems.Count);
        Assert.StartsWith("drop.hots is not a known setting: check its spelling; allowed in drop: certificateThumbprint, host, kind,", error.Problems[0]);
        Assert.StartsWith("shedule is not a known setting: check its spelling; allowed at the top level: backup, database, drop,", error.Problems[1]);
    }

    [Fact]
    public void Every_problem_of_a_file_is_listed_at_once()
    {
        var path = Write("""{ "site": { "code": "lyon", "number": 0 }, "drop": { "kind": "Ftp" }, "backup": { "keep": 0 } }""");
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.Load(path));

        Assert.Contains(error.Problems, p => p.StartsWith("site.code 'lyon'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("site.number 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("database.path is required", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("drop.host is required when drop.kind is Ftp", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("drop.user is required", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("drop.passwordSecret is required", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("backup.keep 0", StringComparison.Ordinal));
        Assert.Equal(7, error.Problems.Count);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_configuration_folder()
    {
        var folder = Path.Combine(_temp.Path, "node");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "heitzsync.json");
        HzSyncConfigStore.Save(Valid() with { KeyFile = "keys/group.key" }, path);

        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(_temp.Path); // the process's folder must not matter
        try
        {
            var config = HzSyncConfigStore.Load(Path.Combine("node", "heitzsync.json"));
            Assert.Equal(path, config.ConfigPath);
            Assert.Equal(Path.Combine(folder, "club.fdb"), config.Resolve(config.Database.Path));
            Assert.Equal(Path.Combine(folder, "keys", "group.key"), config.Resolve(config.KeyFile));
            Assert.Equal(Path.Combine(folder, "backups"), config.Resolve(config.Backup.Folder));
            Assert.Equal("/mnt/drop", config.Resolve(config.Drop.Path));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [Fact]
    public void The_default_path_is_HEITZSYNC_CONFIG_else_the_platforms()
    {
        var previous = Environment.GetEnvironmentVariable("HEITZSYNC_CONFIG");
        try
        {
            Environment.SetEnvironmentVariable("HEITZSYNC_CONFIG", "/srv/node/heitzsync.json");
            Assert.Equal("/srv/node/heitzsync.json", HzSyncConfigStore.DefaultPath);
            Environment.SetEnvironmentVariable("HEITZSYNC_CONFIG", null);
            var expected = OperatingSystem.IsWindows()
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "HeitzSync", "heitzsync.json")
                : "/etc/heitzsync/heitzsync.json";
            Assert.Equal(expected, HzSyncConfigStore.DefaultPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HEITZSYNC_CONFIG", previous);
        }
    }

    public static TheoryData<string, string> BrokenSettings() => new()
    {
        { "site.code", "site.code 'paris' must be 2 to 16 upper-case letters" },
        { "site.number", "site.number 1000 must be between 1 and 999" },
        { "site", "site is required" },
        { "keyRangeSize", "keyRangeSize 999 must be at least 1000" },
        { "keyRangeSize.overflow", "keyRangeSize 9223372036854775807 × (site.number + 1) does not fit a BIGINT key" },
        { "database.path", "database.path is required" },
        { "database.passwordSecret", "database.passwordSecret is required when database.server is set" },
        { "database.user", "database.user is required when database.server is set" },
        { "database.port", "database.port 0 must be between 1 and 65535" },
        { "database.secretName", "database.passwordSecret '../x' is not a valid secret name" },
        { "drop.path", "drop.path is required when drop.kind is Folder" },
        { "drop.host", "drop.host is required when drop.kind is Ftp" },
        { "drop.user", "drop.user is required when drop.kind is Ftp" },
        { "drop.passwordSecret", "drop.passwordSecret is required when drop.kind is Ftp" },
        { "drop.security", "drop.security 'Tls' must be ExplicitTls (FTPS, the default) or None" },
        { "drop.certificateThumbprint", "drop.certificateThumbprint 'abc' must be the SHA-256" },
        { "drop.port", "drop.port 70000 must be between 1 and 65535" },
        { "drop.timeoutSeconds", "drop.timeoutSeconds 0 must be between 1 and 3600" },
        { "drop.retries", "drop.retries -1 must be between 0 and 100" },
        { "drop.kind.siege", "drop.kind must be Folder at the Siège" },
        { "drop.scope.siege", "drop.scope must be Drop at the Siège" },
        { "keyFile", "keyFile is required" },
        { "workFolder", "workFolder is required" },
        { "tables.include", "tables.include is empty, so no table would be synchronised" },
        { "tables.exclude", "tables.exclude[1] is empty" },
        { "tables.localOnly", "tables.localOnly must be a list of name patterns" },
        { "tables.additiveColumns", "tables.additiveColumns[0] 'STOCK' must be TABLE.COLUMN, e.g. ARTICLE.STOCK" },
        { "tables.localColumns", "ARTICLE.STOCK is in both tables.additiveColumns and tables.localColumns" },
        { "tables.triggersRunDuringApply", "tables.triggersRunDuringApply[0] is empty" },
        { "backup.folder", "backup.folder is required" },
        { "backup.keep", "backup.keep 0 must be at least 1" },
        { "schedule.startTime", "schedule.startTime '2h' must be a time of day, HH:mm" },
        { "schedule.restartHour", "schedule.restartHour '24:00' must be a time of day, HH:mm" },
        { "schedule.receptionMinutes", "schedule.receptionMinutes -1 must be 0 or more" },
        { "schedule.receptionWindow", "schedule.receptionMinutes 300 runs past schedule.restartHour 06:30 when the night starts at 02:00: shorten it to at most 270" },
        { "schedule.packageWaitMinutes", "schedule.packageWaitMinutes -5 must be 0 or more" },
        { "schedule.staggerMinutes", "schedule.staggerMinutes -1 must be 0 or more" },
        { "schedule.pollSeconds", "schedule.pollSeconds 0 must be at least 1" },
        { "schedule.expectedSites", "schedule.expectedSites 0 must be at least 1" },
        { "schedule.sites", "schedule.sites entry 'nice' is not a valid site code" },
        { "reports.folder", "reports.folder is required" },
        { "reports.keep", "reports.keep 0 must be at least 1" },
        { "mail.smtpHost", "mail.smtpHost is required when mail is set" },
        { "mail.from", "mail.from 'it' is not an email address" },
        { "mail.to", "mail.to needs at least one address" },
        { "mail.toAddress", "mail.to entry 'it at club' is not an email address" },
        { "mail.passwordSecret", "mail.passwordSecret is required when mail.user is set" },
        { "mail.user", "mail.user is required when mail.passwordSecret is set" },
        { "mail.port", "mail.port 0 must be between 1 and 65535" },
    };

    private static HzSyncConfig Break(string rule)
    {
        var c = Valid();
        var ftp = c with { Drop = new DropConfig { Kind = DropKind.Ftp, Host = "siege", User = "LYON01", PasswordSecret = "ftp" } };
        var mail = new MailConfig { SmtpHost = "smtp", From = "hz@club.example", To = new[] { "it@club.example" } };
        return rule switch
        {
            "site.code" => c with { Site = c.Site with { Code = "paris" } },
            "site.number" => c with { Site = c.Site with { Number = 1000 } },
            "site" => c with { Site = null! },
            "keyRangeSize" => c with { KeyRangeSize = 999 },
            "keyRangeSize.overflow" => c with { KeyRangeSize = long.MaxValue },
            "database.path" => c with { Database = c.Database with { Path = " " } },
            "database.passwordSecret" => c with { Database = c.Database with { Server = "127.0.0.1" } },
            "database.user" => c with { Database = c.Database with { Server = "127.0.0.1", PasswordSecret = "db", User = "" } },
            "database.port" => c with { Database = c.Database with { Port = 0 } },
            "database.secretName" => c with { Database = c.Database with { PasswordSecret = "../x" } },
            "drop.path" => c with { Drop = c.Drop with { Path = "" } },
            "drop.host" => ftp with { Drop = ftp.Drop with { Host = null } },
            "drop.user" => ftp with { Drop = ftp.Drop with { User = "" } },
            "drop.passwordSecret" => ftp with { Drop = ftp.Drop with { PasswordSecret = null } },
            "drop.security" => ftp with { Drop = ftp.Drop with { Security = "Tls" } },
            "drop.certificateThumbprint" => ftp with { Drop = ftp.Drop with { CertificateThumbprint = "abc" } },
            "drop.port" => ftp with { Drop = ftp.Drop with { Port = 70000 } },
            "drop.timeoutSeconds" => c with { Drop = c.Drop with { TimeoutSeconds = 0 } },
            "drop.retries" => c with { Drop = c.Drop with { Retries = -1 } },
            "drop.kind.siege" => ftp with { Role = NodeRole.Siege },
            "drop.scope.siege" => c with { Role = NodeRole.Siege, Drop = c.Drop with { Scope = DropScope.Site } },
            "keyFile" => c with { KeyFile = "" },
            "workFolder" => c with { WorkFolder = " " },
            "tables.include" => c with { Tables = new TableRules { Include = Array.Empty<string>() } },
            "tables.exclude" => c with { Tables = new TableRules { Exclude = new[] { "LOG_*", "" } } },
            "tables.localOnly" => c with { Tables = new TableRules { LocalOnly = null! } },
            "tables.additiveColumns" => c with { Tables = new TableRules { AdditiveColumns = new[] { "STOCK" } } },
            "tables.localColumns" => c with { Tables = new TableRules { AdditiveColumns = new[] { "ARTICLE.STOCK" }, LocalColumns = new[] { "article.stock" } } },
            "tables.triggersRunDuringApply" => c with { Tables = new TableRules { TriggersRunDuringApply = new[] { " " } } },
            "backup.folder" => c with { Backup = c.Backup with { Folder = "" } },
            "backup.keep" => c with { Backup = c.Backup with { Keep = 0 } },
            "schedule.startTime" => c with { Schedule = c.Schedule with { StartTime = "2h" } },
            "schedule.restartHour" => c with { Schedule = c.Schedule with { RestartHour = "24:00" } },
            "schedule.receptionMinutes" => c with { Schedule = c.Schedule with { ReceptionMinutes = -1 } },
            "schedule.receptionWindow" => c with { Role = NodeRole.Siege, Schedule = c.Schedule with { ReceptionMinutes = 300 } },
            "schedule.packageWaitMinutes" => c with { Schedule = c.Schedule with { PackageWaitMinutes = -5 } },
            "schedule.staggerMinutes" => c with { Schedule = c.Schedule with { StaggerMinutes = -1 } },
            "schedule.pollSeconds" => c with { Schedule = c.Schedule with { PollSeconds = 0 } },
            "schedule.expectedSites" => c with { Schedule = c.Schedule with { ExpectedSites = 0 } },
            "schedule.sites" => c with { Schedule = c.Schedule with { Sites = new[] { "LYON01", "nice" } } },
            "reports.folder" => c with { Reports = c.Reports with { Folder = "" } },
            "reports.keep" => c with { Reports = c.Reports with { Keep = 0 } },
            "mail.smtpHost" => c with { Mail = mail with { SmtpHost = "" } },
            "mail.from" => c with { Mail = mail with { From = "it" } },
            "mail.to" => c with { Mail = mail with { To = Array.Empty<string>() } },
            "mail.toAddress" => c with { Mail = mail with { To = new[] { "it at club" } } },
            "mail.passwordSecret" => c with { Mail = mail with { User = "hz" } },
            "mail.user" => c with { Mail = mail with { PasswordSecret = "smtp" } },
            "mail.port" => c with { Mail = mail with { Port = 0 } },
            _ => throw new ArgumentException(rule),
        };
    }

    [Theory]
    [MemberData(nameof(BrokenSettings))]
    public void Each_rule_names_the_property_and_the_fix(string rule, string expected)
    {
        var problems = HzSyncConfigStore.Validate(Break(rule));
        var problem = Assert.Single(problems);
        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void A_valid_configuration_has_no_problem_whatever_its_drop()
    {
        Assert.Empty(HzSyncConfigStore.Validate(Valid()));
        Assert.Empty(HzSyncConfigStore.Validate(Valid() with { Role = NodeRole.Siege, Site = new SiteIdentity { Code = "SIEGE", Number = 1 } }));
        Assert.Empty(HzSyncConfigStore.Validate(Valid() with
        {
            Drop = new DropConfig { Kind = DropKind.Ftp, Host = "siege", User = "LYON01", PasswordSecret = "ftp", Security = "None", CertificateThumbprint = "AB:CD:" + new string('0', 36) },
            Database = new DatabaseConfig { Path = "CLUB", Server = "127.0.0.1", PasswordSecret = "database" },
            Schedule = new ScheduleConfig { StartTime = "23:00", RestartHour = "6:30", ReceptionMinutes = 0, PackageWaitMinutes = 0 },
        }));
        // A reception window across midnight: 22:00 → 06:30 is 8 h 30.
        Assert.Empty(HzSyncConfigStore.Validate(Valid() with { Role = NodeRole.Siege, Schedule = new ScheduleConfig { StartTime = "22:00", RestartHour = "06:30", ReceptionMinutes = 500 } }));
    }

    [Fact]
    public void Named_settings_change_a_copy_with_values_converted_to_the_settings_type()
    {
        var config = Valid() with { ConfigPath = "/etc/heitzsync/heitzsync.json", BaseFolder = "/etc/heitzsync" };
        var changed = HzSyncConfigStore.WithSettings(config, new Dictionary<string, object?>
        {
            ["Schedule.RestartHour"] = new TimeSpan(6, 0, 0),
            ["backup.keep"] = "14",
            ["site.number"] = 3L,
            ["role"] = "siege",
            ["drop.passive"] = "true",
            ["tables.localOnly"] = "WORKSTATION_*",
            ["tables.siegeWins"] = new object[] { "PRICE_LIST", "VAT_RATE" },
            ["mail.smtpHost"] = "smtp.example.net",
            ["mail.to"] = new[] { "it@club.example" },
        });

        Assert.Equal("06:00", changed.Schedule.RestartHour);
        Assert.Equal(14, changed.Backup.Keep);
        Assert.Equal(3, changed.Site.Number);
        Assert.Equal(NodeRole.Siege, changed.Role);
        Assert.Equal(new[] { "WORKSTATION_*" }, changed.Tables.LocalOnly);
        Assert.Equal(new[] { "PRICE_LIST", "VAT_RATE" }, changed.Tables.SiegeWins);
        Assert.Equal("smtp.example.net", changed.Mail!.SmtpHost);
        Assert.Equal(587, changed.Mail.Port); // the new section's other settings take their defaults
        Assert.Equal("/etc/heitzsync/heitzsync.json", changed.ConfigPath);
        Assert.Equal("/etc/heitzsync", changed.BaseFolder);
        Assert.Equal("02:00", changed.Schedule.StartTime);
        Assert.Equal(10, config.Backup.Keep); // the original is untouched
    }

    [Fact]
    public void A_section_can_be_removed_or_replaced_whole()
    {
        var config = Valid() with { Mail = new MailConfig { SmtpHost = "a", From = "a@b.c", To = new[] { "d@e.f" }, Port = 25 } };
        Assert.Null(HzSyncConfigStore.WithSettings(config, new[] { new KeyValuePair<string, object?>("mail", null) }).Mail);

        var replaced = HzSyncConfigStore.WithSettings(config, new[]
        {
            new KeyValuePair<string, object?>("mail", new System.Collections.Hashtable { ["smtpHost"] = "smtp2", ["To"] = "x@y.z" }),
        });
        Assert.Equal("smtp2", replaced.Mail!.SmtpHost);
        Assert.Equal(new[] { "x@y.z" }, replaced.Mail.To);
        Assert.Equal(587, replaced.Mail.Port);
    }

    [Fact]
    public void Unknown_names_and_unusable_values_are_all_refused_at_once()
    {
        var error = Assert.Throws<HzConfigException>(() => HzSyncConfigStore.WithSettings(Valid(), new Dictionary<string, object?>
        {
            ["drop.hots"] = "x",
            ["backup.keep"] = "many",
            ["site.number"] = 2.5,
            ["role"] = "Branch",
            ["drop.passive"] = "sometimes",
            ["drop"] = "ftp",
            ["keyFile.name"] = "x",
            ["tables.include"] = new object?[] { "A", null },
        }));

        Assert.Equal(new[]
        {
            "'drop.hots' is not a setting: drop has certificateThumbprint, host, kind, passive, passwordSecret, path, port, retries, scope, security, timeoutSeconds, user",
            "backup.keep: 'many' is not a whole number",
            "site.number: '2.5' is not a whole number",
            "role: 'Branch' is not one of Site, Siege",
            "drop.passive: 'sometimes' is not true or false",
            "drop is a section: set its properties one by one (certificateThumbprint, host, kind, passive, passwordSecret, path, port, retries, scope, security, timeoutSeconds, user), give a dictionary of them, or null to remove it",
            "'keyFile.name' is not a setting: keyFile holds text, not properties",
            "tables.include: '[A, null]' is not a list of text, e.g. [\"A\", \"B\"]",
        }, error.Problems);
    }

    public void Dispose() => _temp.Dispose();
}
