using System.Text.Json;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Runs;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>hzsync's commands that read the configuration themselves (report, test, compare, stop) and report --detail.</summary>
public class ReportCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-cli");

    public static TheoryData<string[]> CommandsReadingTheConfiguration() => new()
    {
        new[] { "report" },
        new[] { "report", "--id", "20261122T020000000Z-LYON01-Sync", "--detail" },
        new[] { "test" },
        new[] { "compare", "--with", "/nowhere/other.fdb" },
        new[] { "stop" },
        new[] { "sync" },
        new[] { "backup", "--kind", "delta" },
        new[] { "send", "--pending" },
    };

    [Theory]
    [MemberData(nameof(CommandsReadingTheConfiguration))]
    public void A_missing_configuration_is_one_error_line_and_exit_2_never_a_crash(string[] command)
    {
        var missing = Path.Combine(_temp.Path, "none", "heitzsync.json");
        var result = Hzsync.Run(command.Concat(new[] { "--config", missing }).ToArray());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("hzsync: The configuration " + missing + " cannot be used:", result.Stderr);
        Assert.Contains("the file does not exist", result.Stderr);
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain("Unhandled", result.Stderr + result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout);
    }

    [Theory]
    [MemberData(nameof(CommandsReadingTheConfiguration))]
    public void An_invalid_configuration_names_its_problems_and_exits_2(string[] command)
    {
        var path = _temp.File("bad.json");
        File.WriteAllText(path, "{ \"role\": \"Site\", \"site\": { \"code\": \"lyon\", \"number\": 0 } }");
        var result = Hzsync.Run(command.Concat(new[] { "--config", path }).ToArray());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("hzsync: ", result.Stderr);
        Assert.Contains("site.code 'lyon'", result.Stderr);
        Assert.DoesNotContain("Unhandled", result.Stderr + result.Stdout);
    }

    [Fact]
    public void Report_detail_prints_the_lines_of_a_run_and_json_gives_the_same_lines()
    {
        var config = Site();
        var store = new ReportStore(config.Resolve(config.Reports.Folder));
        var report = store.Begin("LYON01", "Site", "Sync", "20261122T020000Z");
        report.State = ReportState.Partial;
        report.EndedUtc = DateTime.UtcNow;
        report.SiteLines.Add(new SiteReportLine("LYON01", "Sent", "LYON01-20261122T020000Z.hzp", 42, 0, 4096, null));
        report.TableLines.Add(new TableReportLine("LYON01", "MEMBERS", "Sent", 40, 2, 0));
        report.Errors.Add(new ErrorLine("LYON01", "Apply", "RowNotApplied", "SALES ID=2000000001: foreign key"));
        store.Save(report);

        var text = Hzsync.Run("report", "--config", config.ConfigPath!, "--id", report.Id, "--detail");
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("Kind", lines[0]);
        Assert.Matches(@"^Site\s+LYON01\s+Sent\s+42\s+0\s+0\s+0\s+0\s+4096\s+LYON01-20261122T020000Z\.hzp$", lines[1]);
        Assert.Matches(@"^Table\s+LYON01\s+MEMBERS\s+Sent\s+42\s+40\s+2\s+0\s+0\s+0$", lines[2]);
        Assert.Matches(@"^Error\s+LYON01\s+Apply\s+0\s+0\s+0\s+0\s+0\s+0\s+RowNotApplied\s+SALES ID=2000000001: foreign key$", lines[3]);

        var json = Hzsync.Run("report", "--config", config.ConfigPath!, "--id", report.Id, "--detail", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var items = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(new[] { "Site", "Table", "Error" }, items.Select(i => i.GetProperty("kind").GetString()));
        Assert.All(items, i => Assert.Equal(report.Id, i.GetProperty("runId").GetString()));
        Assert.Equal(42, items[1].GetProperty("rows").GetInt64());
        Assert.Equal("RowNotApplied", items[2].GetProperty("errorId").GetString());
        // Same property names for every kind: one table for scripts.
        Assert.Single(items.Select(i => string.Join(",", i.EnumerateObject().Select(p => p.Name))).Distinct());

        var whole = Hzsync.Run("report", "--config", config.ConfigPath!, "--id", report.Id);
        Assert.Equal(report.Id, JsonDocument.Parse(whole.Stdout).RootElement.GetProperty("id").GetString());

        var unknown = Hzsync.Run("report", "--config", config.ConfigPath!, "--id", "20200101T000000Z-X-Sync", "--detail");
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("hzsync: no report 20200101T000000Z-X-Sync", unknown.Stderr);
    }

    [Fact]
    public void A_run_refused_by_the_node_s_lock_is_one_error_line_and_exit_2_and_writes_no_report()
    {
        var config = Site();   // no database: the refusal comes before anything is opened
        using (RunLock.Acquire(config.Resolve(config.WorkFolder), "Sync"))
        {
            foreach (var command in new[] { "sync", "init" })
            {
                var refused = Hzsync.Run(command, "--config", config.ConfigPath!, "--json");
                Assert.True(refused.ExitCode == 2, refused.ToString());
                Assert.Equal("", refused.Stdout);
                var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith("hzsync: A HeitzSync run is already in progress on this node: Sync since ", line);
                Assert.Contains("hzsync stop", line);
            }
        }
        var reports = config.Resolve(config.Reports.Folder);
        Assert.False(Directory.Exists(reports) && Directory.GetFiles(reports).Length > 0, "a refused run wrote a report");
    }

    [Fact]
    [Trait("Category", "Firebird")]
    public void Stop_with_no_run_going_leaves_no_request_and_report_detail_lists_the_last_runs()
    {
        var config = InitializedSite();

        var stop = Hzsync.Run("stop", "--config", config.ConfigPath!, "--reason", "test");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("No HeitzSync run is in progress on LYON01", stop.Stdout);
        Assert.False(new StopRequest(config.Resolve(config.WorkFolder)).IsRequested);

        var detail = Hzsync.Run("report", "--config", config.ConfigPath!, "--detail", "--json");
        Assert.True(detail.ExitCode == 0, detail.ToString());
        // An Init has no site, table or error lines: it lists the business triggers of the synchronised tables.
        var trigger = Assert.Single(JsonDocument.Parse(detail.Stdout).RootElement.EnumerateArray());
        Assert.Equal("Trigger", trigger.GetProperty("kind").GetString());
        Assert.Equal("MEMBERS_BI", trigger.GetProperty("key").GetString());
        Assert.Equal("Skipped", trigger.GetProperty("state").GetString());
        var list = Hzsync.Run("report", "--config", config.ConfigPath!);
        Assert.Contains("-LYON01-Init", list.Stdout);
    }

    [Fact]
    [Trait("Category", "Firebird")]
    public void Backup_kind_delta_then_send_pending_uploads_that_package_and_backup_defaults_to_both_on_a_site()
    {
        var config = InitializedSite();
        var outgoing = Path.Combine(config.Resolve(config.WorkFolder), "outgoing");
        var up = Path.Combine(_temp.Path, "drop", "LYON01", "up");

        var extract = Hzsync.Run("backup", "--kind", "delta", "--config", config.ConfigPath!);
        Assert.True(extract.ExitCode == 0, extract.ToString());
        var package = Assert.Single(Directory.GetFiles(outgoing, "*.hzp"));
        var lines = extract.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("Delta  " + package + " (", StringComparison.Ordinal));
        Assert.StartsWith("OK: LYON01 Extract extracted ", lines[^1]);
        Assert.False(Directory.Exists(up) && Directory.GetFiles(up, "*.hzp*").Length > 0, "backup --kind delta sent something");   // up/ holds the site's registration

        var send = Hzsync.Run("send", "--pending", "--config", config.ConfigPath!, "--json");
        Assert.True(send.ExitCode == 0, send.ToString());
        using (var json = JsonDocument.Parse(send.Stdout))
        {
            Assert.Equal("Upload", json.RootElement.GetProperty("operation").GetString());
            Assert.Equal($"sent {json.RootElement.GetProperty("rowsSent").GetInt64()} change(s) in {Path.GetFileName(package)}", json.RootElement.GetProperty("summary").GetString());
        }
        Assert.Equal(new[] { Path.GetFileName(package) }, Directory.GetFiles(up, "*.hzp").Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(outgoing, "*.hzp"));
        var nothing = Hzsync.Run("send", "--pending", "--config", config.ConfigPath!);
        Assert.True(nothing.ExitCode == 0, nothing.ToString());
        Assert.StartsWith("OK: LYON01 Upload nothing to upload", nothing.Stdout.Trim());

        var both = Hzsync.Run("backup", "--config", config.ConfigPath!);
        Assert.True(both.ExitCode == 0, both.ToString());
        var made = both.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "Safety", "Delta", "OK:" }, made.Select(l => l.Split(' ')[0]));
        Assert.StartsWith("OK: LYON01 Backup backup ", made[^1]);
        Assert.Single(Directory.GetFiles(config.Resolve(config.Backup.Folder), "*.fbk"));
        Assert.Single(Directory.GetFiles(outgoing, "*.hzp"));

        var bad = Hzsync.Run("backup", "--kind", "full", "--config", config.ConfigPath!);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("full", bad.Stderr);
    }

    private HzSyncConfig InitializedSite() => CliNode.Initialized(_temp.Path);

    private HzSyncConfig Site() => CliNode.Site(_temp.Path);

    public void Dispose() => _temp.Dispose();
}
