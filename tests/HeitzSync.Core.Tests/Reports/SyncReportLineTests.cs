using System.Reflection;
using HeitzSync.Core.Reports;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Reports;

public class SyncReportLineTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-report-lines");

    private static SyncReport Consolidation() => new()
    {
        Id = "20261122T020000000Z-SIEGE-Consolidate",
        Node = "SIEGE",
        Operation = "Consolidate",
        SiteLines =
        {
            new SiteReportLine("LYON01", "Consolidated", "LYON01-20261122T020000Z.hzp", 120, 1, 4096, null),
            new SiteReportLine("METZ03", "Refused", "METZ03-20261122T020000Z.hzp", 0, 0, 2048, "made with another group key"),
        },
        TableLines =
        {
            new TableReportLine("LYON01", "MEMBERS", "Consolidated", 100, 15, 5, 1),
            new TableReportLine("LYON01", "Accounting Entries", "Consolidated", 5, 0, 0),
        },
        ConflictLines =
        {
            new ConflictLine("MEMBERS", "ID=2000000007", "LYON01", new DateTime(2026, 11, 21, 18, 2, 11, DateTimeKind.Utc), "NICE02",
                new DateTime(2026, 11, 21, 17, 40, 3, DateTimeKind.Utc), "LaterWins"),
        },
        Errors = { new ErrorLine("METZ03", "Consolidate", "PackageRefused", "made with another group key"), new ErrorLine(null, "Notify", "MailNotSent", "smtp down") },
    };

    [Fact]
    public void A_report_flattens_to_site_table_conflict_and_error_lines_in_that_order()
    {
        var lines = SyncReportLine.From(Consolidation());

        Assert.Equal(new[] { "Site", "Site", "Table", "Table", "Conflict", "Error", "Error" }, lines.Select(l => l.Kind));
        Assert.All(lines, l => Assert.Equal("20261122T020000000Z-SIEGE-Consolidate", l.RunId));

        var refused = lines[1];
        Assert.Equal(("METZ03", "Refused", 2048L, "made with another group key", "METZ03-20261122T020000Z.hzp"), (refused.Site, refused.State, refused.Bytes, refused.Message, refused.PackageName));

        var members = lines[2];
        Assert.Equal(("LYON01", "MEMBERS", "Consolidated", 115L, 100L, 15L, 5L, 1), (members.Site, members.Table, members.State, members.Rows, members.Upserts, members.Deletes, members.Skipped, members.Conflicts));

        var conflict = lines[4];
        Assert.Equal(("LYON01", "MEMBERS", "ID=2000000007", "LaterWins"), (conflict.Site, conflict.Table, conflict.Key, conflict.State));
        Assert.Equal(new DateTime(2026, 11, 21, 18, 2, 11, DateTimeKind.Utc), conflict.TimeUtc);
        Assert.Equal("LYON01 changed it at 2026-11-21 18:02:11 UTC and won over NICE02 at 2026-11-21 17:40:03 UTC", conflict.Message);

        var mail = lines[6];
        Assert.Equal(("", "Notify", "MailNotSent", "smtp down"), (mail.Site, mail.State, mail.ErrorId, mail.Message));
        Assert.Equal("Error Notify [MailNotSent] smtp down", mail.ToString());
    }

    [Fact]
    public void Every_line_has_the_same_flat_columns_and_no_nulls_so_a_csv_keeps_them()
    {
        var properties = typeof(SyncReportLine).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Assert.All(properties, p => Assert.True(p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string) || p.PropertyType == typeof(DateTime?),
            $"{p.Name} is a {p.PropertyType.Name}: detail lines stay flat scalars"));
        Assert.All(properties, p => Assert.Null(p.SetMethod));
        foreach (var line in SyncReportLine.From(Consolidation()))
        {
            Assert.All(properties.Where(p => p.PropertyType == typeof(string)), p => Assert.NotNull(p.GetValue(line)));
        }
        Assert.Empty(SyncReportLine.From(new SyncReport { Id = "20261122T020000000Z-X-Sync" }));
    }

    [Fact]
    public void Lines_of_a_report_read_back_from_its_file_are_the_lines_of_the_report()
    {
        var store = new ReportStore(_temp.Path);
        var report = Consolidation();
        store.Save(report);
        var read = store.Get(report.Id)!;
        Assert.Equal(SyncReportLine.From(report).Select(l => l.ToString()), SyncReportLine.From(read).Select(l => l.ToString()));
    }

    [Fact]
    public void The_list_filter_counts_only_the_reports_that_match()
    {
        var store = new ReportStore(_temp.Path);
        var states = new[] { ReportState.OK, ReportState.Failed, ReportState.OK, ReportState.Partial, ReportState.Failed, ReportState.OK };
        foreach (var state in states)
        {
            var report = store.Begin("LYON01", "Site", state == ReportState.OK ? "Sync" : "Send", "20261122T020000Z");
            report.State = state;
            report.EndedUtc = DateTime.UtcNow;
            store.Save(report);
        }
        Assert.Equal(new[] { ReportState.Failed, ReportState.Failed }, store.List(10, r => r.State == ReportState.Failed).Select(r => r.State));
        Assert.Single(store.List(1, r => r.State == ReportState.Failed));
        Assert.Equal(3, store.List(3, r => r.Operation == "Sync").Count);
        Assert.Equal(6, store.List(10, null).Count);
        Assert.Empty(store.List(10, r => r.State == ReportState.Stopped));
    }

    public void Dispose() => _temp.Dispose();
}
