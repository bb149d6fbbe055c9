using System.Diagnostics;
using System.Text.Json;
using HeitzSync.Core.Reports;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Reports;

public class ReportStoreTests : IDisposable
{
    private const string Cycle = "20261101T020000Z";
    private readonly TempFolder _temp = new("hz-reports");

    private static SyncReport Finish(ReportStore store, SyncReport report, ReportState state = ReportState.OK)
    {
        report.State = state;
        report.EndedUtc = DateTime.UtcNow;
        store.Save(report);
        return report;
    }

    [Fact]
    public void Reports_are_listed_newest_first_found_by_id_and_only_the_last_n_are_kept()
    {
        var store = new ReportStore(_temp.Path, keep: 3);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(Finish(store, store.Begin("LYON01", "Site", "Op" + i, Cycle)).Id);

        var listed = store.List(10);

        Assert.Equal(new[] { "Op4", "Op3", "Op2" }, listed.Select(r => r.Operation));
        Assert.Equal(new[] { "Op4", "Op3" }, store.List(2).Select(r => r.Operation));
        Assert.Empty(store.List(0));
        Assert.Equal(3, Directory.GetFiles(_temp.Path, "*.json").Length);
        Assert.Equal("Op3", store.Get(ids[3])!.Operation);
        Assert.Equal("Op3", store.Get(ids[3].ToUpperInvariant())!.Operation);   // ids typed by hand: case does not matter
        Assert.Null(store.Get(ids[0]));   // rotated out
        Assert.Null(store.Get("../../etc/passwd"));
        Assert.Null(store.Get("20261101T020000Z-x/../../y"));
        Assert.Null(store.Get(""));
    }

    [Fact]
    public void Ids_are_sortable_unique_and_safe_file_names_even_within_one_millisecond()
    {
        var store = new ReportStore(_temp.Path);
        var reports = Enumerable.Range(0, 20).Select(_ => store.Begin("LYON 01/..", "Site", "Sync", Cycle)).ToList();

        Assert.Equal(reports.Count, reports.Select(r => r.Id).Distinct().Count());
        Assert.All(reports, r => Assert.Matches(@"^\d{8}T\d{9}Z-LYON_01___-Sync(-\d+)?$", r.Id));
        Assert.All(reports, r => Assert.True(ReportStore.IsValidId(r.Id)));
        Assert.Equal(20, store.List(50).Count);
    }

    [Fact]
    public void A_report_is_saved_as_Running_the_moment_it_begins_with_its_process_and_machine()
    {
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("LYON01", "Site", "Sync", Cycle);

        var read = Assert.Single(new ReportStore(_temp.Path).List());

        Assert.Equal(report.Id, read.Id);
        Assert.Equal(ReportState.Running, read.State);
        Assert.False(read.Interrupted);
        Assert.Equal(Environment.ProcessId, read.ProcessId);
        Assert.Equal(Environment.MachineName, read.MachineName);
        Assert.NotNull(read.ProcessStartedUtc);
        Assert.Null(read.EndedUtc);
    }

    [Fact]
    public void A_report_left_running_by_a_dead_process_reads_as_failed_interrupted()
    {
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("LYON01", "Site", "Sync", Cycle);
        report.Summary = "sent 12 change(s)";
        report.ProcessId = ExitedProcessId();
        store.Save(report);

        var read = store.Get(report.Id)!;

        Assert.Equal(ReportState.Failed, read.State);
        Assert.True(read.Interrupted);
        Assert.StartsWith("Failed (interrupted)", read.Summary);
        Assert.Contains($"process {report.ProcessId}", read.Summary);
        Assert.EndsWith("Last known: sent 12 change(s)", read.Summary);
        Assert.NotNull(read.EndedUtc);   // the duration stops where the run was last seen, it does not grow forever
        Assert.Equal(ReportState.Failed, store.List().Single().State);
    }

    [Fact]
    public void A_reused_process_id_does_not_keep_a_dead_run_alive()
    {
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("LYON01", "Site", "Sync", Cycle);
        report.ProcessStartedUtc = report.ProcessStartedUtc!.Value.AddHours(-3);   // same id, another process (after a reboot)
        store.Save(report);

        Assert.True(store.Get(report.Id)!.Interrupted);
    }

    [Fact]
    public void A_run_still_going_or_on_another_machine_stays_Running()
    {
        var store = new ReportStore(_temp.Path);
        var mine = store.Begin("LYON01", "Site", "Sync", Cycle);
        var elsewhere = store.Begin("LYON01", "Site", "Backup", Cycle);
        elsewhere.MachineName = "another-host";
        elsewhere.ProcessId = ExitedProcessId();
        store.Save(elsewhere);

        Assert.Equal(ReportState.Running, store.Get(mine.Id)!.State);
        Assert.Equal(ReportState.Running, store.Get(elsewhere.Id)!.State);
    }

    [Fact]
    public void Every_field_and_line_survives_the_JSON_round_trip()
    {
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("SIEGE", "Siege", "Consolidate", Cycle);
        report.Summary = "2 of 3 site(s) delivered";
        report.State = ReportState.Partial;
        report.EndedUtc = report.StartedUtc.AddMinutes(7);
        report.SitesExpected = 3;
        report.SitesDelivered = 2;
        report.RowsSent = 1;
        report.RowsReceived = 2;
        report.RowsApplied = 3;
        report.RowsSkipped = 4;
        report.Conflicts = 1;
        report.BytesSent = 5_000_000_000;
        report.BytesReceived = 6;
        report.SiteLines.Add(new SiteReportLine("LYON01", "Delivered", "LYON01_20261101T020000Z_delta.hzp", 10, 1, 2048, null));
        report.SiteLines.Add(new SiteReportLine { Site = "ANNECY03", State = "Missing", Received = false, Error = "nothing within the reception time" });
        report.TableLines.Add(new TableReportLine("LYON01", "MEMBERS", "Consolidated", 7, 2, 1, conflicts: 1));
        report.ConflictLines.Add(new ConflictLine("MEMBERS", "ID=42", "LYON01", new DateTime(2026, 10, 31, 18, 0, 0, DateTimeKind.Utc), "SIEGE",
            new DateTime(2026, 10, 31, 17, 0, 0, DateTimeKind.Utc), "LastWriterWins"));
        report.Errors.Add(new ErrorLine("ANNECY03", "Consolidate", "SiteMissing", "ANNECY03 did not deliver"));
        store.Save(report);

        var read = store.Get(report.Id)!;

        Assert.Equal(JsonSerializer.Serialize(report), JsonSerializer.Serialize(read));
        Assert.Equal(report.SiteLines, read.SiteLines);
        Assert.Equal(report.TableLines, read.TableLines);
        Assert.Equal(report.ConflictLines, read.ConflictLines);
        Assert.Equal(report.Errors, read.Errors);
        Assert.Equal(TimeSpan.FromMinutes(7), read.Duration);
        Assert.Equal(1, read.ErrorCount);
        Assert.True(read.SiteLines[0].Received);
        Assert.Equal(DateTimeKind.Utc, read.ConflictLines[0].WinnerTimeUtc.Kind);

        using var document = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(_temp.Path, "*.json").Single()));
        var root = document.RootElement;
        Assert.Equal("Partial", root.GetProperty("state").GetString());   // camelCase names, enums as text
        Assert.Equal("SiteMissing", root.GetProperty("errors")[0].GetProperty("errorId").GetString());
        Assert.Equal(5_000_000_000, root.GetProperty("bytesSent").GetInt64());
    }

    [Fact]
    public void The_run_level_fields_are_flat_scalars_that_export_without_loss()
    {
        var flat = typeof(SyncReport).GetProperties().Where(p => !p.PropertyType.IsGenericType || p.PropertyType.GetGenericTypeDefinition() == typeof(Nullable<>)).ToList();
        Assert.All(flat, p => Assert.True(p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string) || p.PropertyType == typeof(DateTime)
            || p.PropertyType == typeof(DateTime?) || p.PropertyType == typeof(TimeSpan), p.Name));
        foreach (var line in new[] { typeof(SiteReportLine), typeof(TableReportLine), typeof(ConflictLine), typeof(ErrorLine) })
        {
            Assert.All(line.GetProperties().Where(p => p.Name != "EqualityContract"), p => Assert.True(
                p.PropertyType.IsPrimitive || p.PropertyType == typeof(string) || p.PropertyType == typeof(DateTime), line.Name + "." + p.Name));
        }
    }

    [Fact]
    public void Files_in_the_folder_that_are_not_reports_are_neither_listed_nor_rotated_away()
    {
        File.WriteAllText(_temp.File("settings.json"), "{}");
        File.WriteAllText(_temp.File("20200101T000000Z-notes.txt"), "not json");
        File.WriteAllText(_temp.File("20200101T000000Z-broken.json"), "{ not json");
        var store = new ReportStore(_temp.Path, keep: 2);
        for (var i = 0; i < 3; i++) Finish(store, store.Begin("LYON01", "Site", "Sync", Cycle));

        Assert.Equal(2, store.List(10).Count);
        Assert.True(File.Exists(_temp.File("settings.json")));
        Assert.True(File.Exists(_temp.File("20200101T000000Z-notes.txt")));
    }

    [Fact]
    public void An_id_that_is_not_a_sortable_safe_name_is_refused()
    {
        var store = new ReportStore(_temp.Path);
        Assert.Throws<ArgumentException>(() => store.Save(new SyncReport { Id = "../escape" }));
        Assert.Throws<ArgumentException>(() => store.Save(new SyncReport { Id = "report-1" }));
        var named = new SyncReport { Id = Cycle + "-LYON01-Sync", Node = "LYON01", Operation = "Sync", StartedUtc = DateTime.UtcNow, State = ReportState.OK };
        store.Save(named);
        Assert.Equal("LYON01", store.Get(Cycle + "-LYON01-Sync")!.Node);
    }

    [Fact]
    public void A_report_never_holds_a_secret_even_one_planted_in_an_exception()
    {
        const string dbPassword = "Dr4gon-Club-DB";
        const string ftpPassword = "ftp#Secret!99";
        var store = new ReportStore(_temp.Path, secrets: new[] { dbPassword, ftpPassword, null, "" });
        var run = store.Start("LYON01", "Site", "Send", Cycle);

        var inner = new InvalidOperationException("inner detail " + dbPassword);
        var planted = new IOException($"upload to ftp://lyon:{ftpPassword}@siege.example/up failed", inner);
        planted.Data["password"] = dbPassword;
        run.AddError("LYON01", "Send", "DropUnreachable", planted);
        run.AddError(null, "Backup", "BackupFailed", $"gbak failed: ISC_PASSWORD={dbPassword}; password = \"{ftpPassword}\"");
        run.AddSite(new SiteReportLine("LYON01", "Failed", null, 0, 0, 0, "login refused for pwd=hunter22"));
        run.SetSummary("connection string user=SYSDBA;password=hunter22;database=/srv/club.fdb");
        var returned = run.Fail("Send", "DropUnreachable", planted);

        var written = string.Concat(Directory.GetFiles(_temp.Path).Select(File.ReadAllText));
        foreach (var secret in new[] { dbPassword, ftpPassword, "hunter22", "inner detail", "StackTrace", "IOException" })
        {
            Assert.DoesNotContain(secret, written);
            Assert.DoesNotContain(secret, JsonSerializer.Serialize(returned));
        }
        Assert.Contains("upload to ftp://lyon:***@siege.example/up failed", written);
        Assert.Contains("ISC_PASSWORD=***", written);
        Assert.Equal(ReportState.Failed, store.Get(run.Id)!.State);
    }

    internal static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    public void Dispose() => _temp.Dispose();
}
