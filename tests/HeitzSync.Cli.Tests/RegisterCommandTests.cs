using System.Text.Json;
using HeitzSync.Core.Configuration;
using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>hzsync register --path: the files that schedule `hzsync sync` for the node, at its planned time.</summary>
public class RegisterCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-cli-register");

    [Fact]
    public void Register_writes_the_systemd_units_at_the_sites_staggered_time_and_json_describes_them()
    {
        var config = Node("LYON 01", "LYON01", 2, NodeRole.Site);
        var units = Path.Combine(_temp.Path, "units");
        var result = Hzsync.Run("register", "--config", config, "--kind", "systemd", "--path", units, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());

        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("heitzsync-lyon01", root.GetProperty("name").GetString());
        Assert.Equal("Systemd", root.GetProperty("kind").GetString());
        Assert.Equal("01:44", root.GetProperty("at").GetString());   // 01:30 + 2 x 7 min
        Assert.False(root.GetProperty("installed").GetBoolean());
        var files = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Equal(new[] { Path.Combine(units, "heitzsync-lyon01.service"), Path.Combine(units, "heitzsync-lyon01.timer") }, files);

        Assert.Contains("\nOnCalendar=*-*-* 01:44:00\n", File.ReadAllText(files[1]));
        var service = File.ReadAllText(files[0]);
        // hzsync runs through dotnet here (hzsync.dll): the scheduled command is dotnet hzsync.dll sync --config <file>.
        Assert.Matches("\nExecStart=\"[^\"]*dotnet\" \"[^\"]*hzsync\\.dll\" \"sync\" \"--config\" \"" + System.Text.RegularExpressions.Regex.Escape(config) + "\"\n", service);
    }

    [Fact]
    public void Register_for_cron_prints_what_it_wrote_and_refuses_to_replace_it_without_force()
    {
        var config = Node("SIEGE", "SIEGE", 1, NodeRole.Siege);
        var folder = Path.Combine(_temp.Path, "cron.d");
        var first = Hzsync.Run("register", "--config", config, "--kind", "cron", "--path", folder);
        Assert.True(first.ExitCode == 0, first.ToString());
        var file = Path.Combine(folder, "heitzsync-siege");
        Assert.Contains("wrote " + file, first.Stdout);
        Assert.Contains("Written: SIEGE (Siege) Cron every day at 01:30:", first.Stdout);
        Assert.Contains("\n30 1 * * * root ", File.ReadAllText(file));   // the Siège at startTime, no stagger
        Assert.Contains(" sync --config ", File.ReadAllText(file));

        var again = Hzsync.Run("register", "--config", config, "--kind", "cron", "--path", folder);
        Assert.Equal(2, again.ExitCode);
        Assert.StartsWith("hzsync: " + file + " exists already", again.Stderr);

        var forced = Hzsync.Run("register", "--config", config, "--kind", "cron", "--path", folder, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
    }

    [Fact]
    public void Register_with_a_missing_configuration_exits_2()
    {
        var result = Hzsync.Run("register", "--config", Path.Combine(_temp.Path, "none.json"), "--path", _temp.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("hzsync: The configuration ", result.Stderr);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    /// <summary>A node's configuration in a folder whose name may hold a space; returns its path.</summary>
    private string Node(string folderName, string code, int number, NodeRole role)
    {
        var folder = Path.Combine(_temp.Path, folderName);
        Directory.CreateDirectory(folder);
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(_temp.Path, "drop") },
            Schedule = new ScheduleConfig { StartTime = "01:30", StaggerMinutes = 7, RestartHour = "06:30" },
            BaseFolder = folder,
        };
        var path = Path.Combine(folder, "heitzsync.json");
        HzSyncConfigStore.Save(config, path);
        return path;
    }

    public void Dispose() => _temp.Dispose();
}
