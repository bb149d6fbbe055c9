using System.Globalization;
using System.Text.Json;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Packaging;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>hzsync compare and hzsync test on a real initialised node (embedded database, folder drop).</summary>
[Trait("Category", "Firebird")]
public class CompareAndTestCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-cli-compare");

    private HzSyncConfig Node(NodeRole role = NodeRole.Site, string code = "LYON01", int number = 2)
    {
        var folder = Path.Combine(_temp.Path, code);
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(_temp.Path, "drop"));
        var config = new HzSyncConfig
        {
            Role = role,
            Site = new SiteIdentity { Code = code, Number = number },
            Database = new DatabaseConfig { Path = code + ".fdb" },
            Drop = new DropConfig { Kind = DropKind.Folder, Path = Path.Combine(_temp.Path, "drop") },
            KeyFile = Path.Combine(_temp.Path, "group.key"),
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" } },
            BaseFolder = folder,
        };
        var path = Path.Combine(folder, "heitzsync.json");
        HzSyncConfigStore.Save(config, path);
        config = HzSyncConfigStore.Load(path);
        if (!File.Exists(config.Resolve(config.KeyFile)))
        {
            using var key = SyncKey.Generate();
            key.Save(config.Resolve(config.KeyFile));
        }
        using (var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = config.Resolve(config.Database.Path) }))
        {
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, number, config.KeyRange.Low, 6, new Random(number));
        }
        var init = Hzsync.Run("init", "--config", config.ConfigPath!);
        Assert.True(init.ExitCode == 0, init.ToString());
        return config;
    }

    /// <summary>A copy of the node's database with one member's balance changed and one entry deleted.</summary>
    private string DriftedCopy(HzSyncConfig config, out long member, out long entry)
    {
        var copy = Path.Combine(_temp.Path, "copy.fdb");
        File.Copy(config.Resolve(config.Database.Path), copy);
        using var connection = FbConnection.Open(new FbConnectionSettings { Database = copy });
        using var tx = connection.BeginTransaction();
        member = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT MIN(ID) FROM MEMBERS"), CultureInfo.InvariantCulture);
        entry = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT MIN(ID) FROM ENTRIES"), CultureInfo.InvariantCulture);
        connection.Execute(tx, "UPDATE MEMBERS SET BALANCE = BALANCE + 1 WHERE ID = ?", member);
        connection.Execute(tx, "DELETE FROM ENTRIES WHERE ID = ?", entry);
        tx.Commit();
        return copy;
    }

    [Fact]
    public void Compare_lists_the_differing_keys_exits_1_and_json_holds_the_same_comparison()
    {
        var config = Node();
        var copy = DriftedCopy(config, out var member, out var entry);

        var text = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy);
        Assert.True(text.ExitCode == 1, text.ToString());
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Equal(SampleSchema.SynchronisedTables.Count + 2, lines.Count);
        Assert.Matches(@"^MEMBERS\s+(\d+)\s+\1\s+DIFFERENT$", lines.Single(l => l.StartsWith("MEMBERS ", StringComparison.Ordinal)));
        Assert.Contains($"    ID={member}: columns differ: BALANCE", lines);
        Assert.Contains($"    ID={entry}: only in the first database", lines);
        Assert.Matches(@"^SALES\s+\d+\s+\d+\s+identical$", lines.Single(l => l.StartsWith("SALES ", StringComparison.Ordinal)));

        var json = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy, "--json");
        Assert.True(json.ExitCode == 1, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var comparisons = document.RootElement.GetProperty("comparisons").EnumerateArray().ToList();
        Assert.Equal(SampleSchema.SynchronisedTables.OrderBy(t => t, StringComparer.Ordinal), comparisons.Select(c => c.GetProperty("table").GetString()));
        Assert.Equal(new[] { "ENTRIES", "MEMBERS" }, comparisons.Where(c => !c.GetProperty("identical").GetBoolean()).Select(c => c.GetProperty("table").GetString()));
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("repaired").ValueKind);

        var one = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy, "--table", "members", "--table", "SALE*");
        Assert.True(one.ExitCode == 1, one.ToString());
        Assert.Equal(new[] { "MEMBERS", "SALES", "SALE_LINES" }, one.Stdout.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ')).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void Compare_with_an_identical_copy_exits_0_and_a_bad_target_or_a_repair_at_a_site_is_one_error_line_and_exit_2()
    {
        var config = Node();
        var copy = Path.Combine(_temp.Path, "same.fdb");
        File.Copy(config.Resolve(config.Database.Path), copy);
        var same = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.DoesNotContain("DIFFERENT", same.Stdout);

        var badPort = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", "lyon-db/port:/data/lyon.fdb");
        Assert.True(badPort.ExitCode == 2, badPort.ToString());
        Assert.StartsWith("hzsync: 'lyon-db/port:/data/lyon.fdb' is not host/port:path", badPort.Stderr);

        var missing = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", Path.Combine(_temp.Path, "none.fdb"));
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.StartsWith("hzsync: ", missing.Stderr);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "none.fdb")));

        var repair = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy, "--repair");
        Assert.True(repair.ExitCode == 2, repair.ToString());
        Assert.Contains("repairs are queued at the Siège", repair.Stderr);
        Assert.DoesNotContain("Unhandled", repair.Stderr);
    }

    [Fact]
    public void Compare_repair_at_the_Siege_requeues_the_differing_keys()
    {
        var config = Node(NodeRole.Siege, "SIEGE", 1);
        var copy = DriftedCopy(config, out _, out _);
        var repair = Hzsync.Run("compare", "--config", config.ConfigPath!, "--with", copy, "--repair", "--json");
        Assert.True(repair.ExitCode == 1, repair.ToString());
        var repaired = JsonDocument.Parse(repair.Stdout).RootElement.GetProperty("repaired");
        Assert.Equal(2, repaired.GetProperty("keysRequeued").GetInt32());
    }

    [Fact]
    public void Test_prints_one_line_per_check_and_exits_by_the_worst_status()
    {
        var config = Node();
        var text = Hzsync.Run("test", "--config", config.ConfigPath!);
        // A folder drop where the Siège has not run yet: no siege.json for the site, so its folder cannot be checked.
        Assert.True(text.ExitCode == 2, text.ToString());
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Matches(@"^Passed\s+GroupKey\s+group key [0-9a-f]{16}$", lines[0]);
        Assert.Matches(@"^Passed\s+Database\s+", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("Passed   WriteRight", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Failed   SiteFolder       no siege.json for LYON01 in LYON01/ in the drop (drop.scope Drop)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("fix: If LYON01's folder exists in the Siège's drop and the Siège has run init or a night since", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(_temp.Path, "drop"), "probe-*", SearchOption.AllDirectories));

        var json = Hzsync.Run("test", "--config", config.ConfigPath!, "--json");
        Assert.True(json.ExitCode == 2, json.ToString());
        var checks = JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(new[] { "GroupKey", "Database", "Login", "SiteFolder", "WriteRight", "ClockSkew", "Permissions" }, checks.Select(c => c.GetProperty("check").GetString()));
        Assert.All(checks, c => Assert.Equal("LYON01", c.GetProperty("node").GetString()));

        File.Delete(config.Resolve(config.KeyFile));
        var noKey = Hzsync.Run("test", "--config", config.ConfigPath!);
        Assert.True(noKey.ExitCode == 2, noKey.ToString());
        Assert.StartsWith("Failed   GroupKey", noKey.Stdout);
        Assert.Matches(@"(?m)^Passed\s+Database\s+", noKey.Stdout);   // each check on its own: the database is fine
    }

    public void Dispose() => _temp.Dispose();
}
