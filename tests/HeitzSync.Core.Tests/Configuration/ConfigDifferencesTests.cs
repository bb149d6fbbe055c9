using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Tests.Configuration;

/// <summary>What Set-HzSyncConfig -InputObject says it writes: the settings that differ, by their JSON path.</summary>
[Trait("Category", "Unit")]
public class ConfigDifferencesTests
{
    private static readonly HzSyncConfig Config = new()
    {
        Role = NodeRole.Site,
        Site = new SiteIdentity { Code = "LYON01", Number = 2 },
        Database = new DatabaseConfig { Path = "club.fdb" },
        Drop = new DropConfig { Kind = DropKind.Folder, Path = "/mnt/drop" },
    };

    [Fact]
    public void The_same_configuration_differs_in_nothing()
    {
        Assert.Empty(ConfigDifferences.Between(Config, Config with { }));
        Assert.Empty(ConfigDifferences.Between(Config, Config with { ConfigPath = "/elsewhere.json", BaseFolder = "/elsewhere" }));   // not settings
    }

    [Fact]
    public void Each_changed_setting_is_named_by_its_path_with_both_values()
    {
        var changed = Config with
        {
            Backup = Config.Backup with { Keep = 7 },
            Schedule = Config.Schedule with { Sites = new[] { "NICE02" } },
            Role = NodeRole.Siege,
            Mail = new MailConfig { SmtpHost = "smtp", From = "a@b.c", To = new[] { "d@e.f" } },
        };
        var differences = ConfigDifferences.Between(Config, changed).ToDictionary(d => d.Setting);
        Assert.Equal(("10", "7"), (differences["backup.keep"].Before, differences["backup.keep"].After));
        Assert.Equal(("[]", "[\"NICE02\"]"), (differences["schedule.sites"].Before, differences["schedule.sites"].After));
        Assert.Equal(("\"Site\"", "\"Siege\""), (differences["role"].Before, differences["role"].After));
        Assert.Equal("null", differences["mail"].Before);
        Assert.Equal(4, differences.Count);
        Assert.Equal("backup.keep: 10 -> 7", differences["backup.keep"].ToString());
    }
}
