using System.Text.Json;
using HeitzSync.Core.Reports;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Reports;

public class ReportStoreTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-reports");

    [Fact]
    public void Reports_are_listed_newest_first_and_only_the_last_n_are_kept()
    {
        var store = new ReportStore(_temp.Path, keep: 3);
        for (var i = 0; i < 5; i++)
        {
            var report = store.Begin("LYON01", "Site", "Op" + i, "20261101T020000Z");
            report.State = ReportState.OK;
            report.EndedUtc = DateTime.UtcNow;
            store.Save(report);
            Thread.Sleep(1100);   // ids are by the second
        }
        var listed = store.List(10);
        Assert.Equal(new[] { "Op4", "Op3", "Op2" }, listed.Select(r => r.Operation));
        Assert.Equal("Op3", store.Get(listed[1].Id)!.Operation);
        Assert.Null(store.Get("../../etc/passwd"));
    }

    [Fact]
    public void A_report_left_running_by_a_dead_process_reads_as_interrupted()
    {
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("LYON01", "Site", "Sync", "20261101T020000Z");
        report.ProcessId = 999_999;   // no such process
        store.Save(report);
        var read = store.Get(report.Id)!;
        Assert.Equal(ReportState.Failed, read.State);
        Assert.StartsWith("Interrupted", read.Summary);
    }

    [Fact]
    public void The_run_level_fields_are_flat_scalars_that_export_without_loss()
    {
        var flat = typeof(SyncReport).GetProperties().Where(p => !p.PropertyType.IsGenericType || p.PropertyType.GetGenericTypeDefinition() == typeof(Nullable<>)).ToList();
        Assert.All(flat, p => Assert.True(p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string) || p.PropertyType == typeof(DateTime)
            || p.PropertyType == typeof(DateTime?) || p.PropertyType == typeof(TimeSpan), p.Name));
        var store = new ReportStore(_temp.Path);
        var report = store.Begin("LYON01", "Site", "Sync", "20261101T020000Z");
        report.Errors.Add(new ErrorLine(null, "Send", "DropUnreachable", "ftp.example:21 did not answer"));
        store.Save(report);
        var json = File.ReadAllText(Directory.GetFiles(_temp.Path, "*.json").Single());
        using var document = JsonDocument.Parse(json);
        Assert.Equal("DropUnreachable", document.RootElement.GetProperty("errors")[0].GetProperty("errorId").GetString());
        Assert.Equal("Running", document.RootElement.GetProperty("state").GetString());
    }

    public void Dispose() => _temp.Dispose();
}
