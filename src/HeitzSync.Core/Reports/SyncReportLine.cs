using System.Globalization;

namespace HeitzSync.Core.Reports;

/// <summary>What a <see cref="SyncReportLine"/> describes.</summary>
public enum ReportLineKind { Site, Table, Conflict, Error, Trigger }

/// <summary>
/// One detail line of a run, flat: a site's part, a table's counts, a conflict or an error. Every kind has the same
/// columns (the ones that do not apply are empty), so <c>Get-HzSyncReport -Id ... -Detail | Export-Csv</c> and
/// <c>hzsync report --id ... --detail</c> give one consistent table. <see cref="Kind"/> is the name of a
/// <see cref="ReportLineKind"/>, text, so every serialiser (ConvertTo-Json on Windows PowerShell 5.1 included) writes "Site", not 0.
/// </summary>
public sealed class SyncReportLine
{
    public SyncReportLine(string runId, ReportLineKind kind, string? site, string? table = null, string? key = null, string? state = null,
        long rows = 0, long upserts = 0, long deletes = 0, long skipped = 0, int conflicts = 0, long bytes = 0,
        string? packageName = null, string? errorId = null, string? message = null, DateTime? timeUtc = null)
    {
        RunId = runId ?? "";
        Kind = kind.ToString();
        _kind = kind;
        Site = site ?? "";
        Table = table ?? "";
        Key = key ?? "";
        State = state ?? "";
        Rows = rows;
        Upserts = upserts;
        Deletes = deletes;
        Skipped = skipped;
        Conflicts = conflicts;
        Bytes = bytes;
        PackageName = packageName ?? "";
        ErrorId = errorId ?? "";
        Message = message ?? "";
        TimeUtc = timeUtc;
    }

    /// <summary>The report the line belongs to.</summary>
    public string RunId { get; }

    /// <summary>Site, Table, Conflict or Error.</summary>
    public string Kind { get; }

    private readonly ReportLineKind _kind;

    /// <summary>The site the line is about (for a conflict: the winning site; empty for a run-level error).</summary>
    public string Site { get; }

    public string Table { get; }

    /// <summary>A conflict's row key.</summary>
    public string Key { get; }

    /// <summary>Site: Delivered, Missing, Refused, Sent, Applied, Published...; Table: Sent, Applied, Consolidated;
    /// Conflict: the resolution; Error: the step that failed.</summary>
    public string State { get; }

    /// <summary>Site: the rows of its package; Table: upserts + deletes.</summary>
    public long Rows { get; }

    public long Upserts { get; }
    public long Deletes { get; }
    public long Skipped { get; }
    public int Conflicts { get; }
    public long Bytes { get; }
    public string PackageName { get; }
    public string ErrorId { get; }

    /// <summary>Error: its message; Site: its error; Conflict: who lost, and when each side changed the row.</summary>
    public string Message { get; }

    /// <summary>Conflict: when the winning version was written (UTC).</summary>
    public DateTime? TimeUtc { get; }

    public override string ToString() => _kind switch
    {
        ReportLineKind.Site => $"Site {Site} {State} {Rows} row(s) {PackageName}".TrimEnd(),
        ReportLineKind.Table => $"Table {Site} {Table} {State} {Upserts} upsert(s) {Deletes} delete(s) {Skipped} skipped",
        ReportLineKind.Conflict => $"Conflict {Table} {Key}: {Site} won ({State}); {Message}",
        ReportLineKind.Trigger => $"Trigger {Key} on {Table}: {State}; {Message}",
        _ => $"Error {(Site.Length > 0 ? Site + " " : "")}{State} [{ErrorId}] {Message}",
    };

    /// <summary>
    /// The detail lines of a run, in a fixed order: its sites, then its tables, then its conflicts, then its errors, then
    /// (init) the business triggers of the synchronised tables with what each does during an apply.
    /// </summary>
    public static IReadOnlyList<SyncReportLine> From(SyncReport report)
    {
        if (report is null) throw new ArgumentNullException(nameof(report));
        var lines = new List<SyncReportLine>(report.SiteLines.Count + report.TableLines.Count + report.ConflictLines.Count + report.Errors.Count);
        foreach (var s in report.SiteLines)
        {
            lines.Add(new SyncReportLine(report.Id, ReportLineKind.Site, s.Site, state: s.State, rows: s.Rows, conflicts: s.Conflicts, bytes: s.Bytes,
                packageName: s.PackageName, message: s.Error));
        }
        foreach (var t in report.TableLines)
        {
            lines.Add(new SyncReportLine(report.Id, ReportLineKind.Table, t.Site, t.Table, state: t.Direction, rows: t.Upserts + t.Deletes,
                upserts: t.Upserts, deletes: t.Deletes, skipped: t.Skipped, conflicts: t.Conflicts));
        }
        foreach (var c in report.ConflictLines)
        {
            var message = string.Format(CultureInfo.InvariantCulture, "{0} changed it at {1:yyyy-MM-dd HH:mm:ss} UTC and won over {2} at {3:yyyy-MM-dd HH:mm:ss} UTC",
                c.WinnerSite, c.WinnerTimeUtc, c.LoserSite, c.LoserTimeUtc);
            lines.Add(new SyncReportLine(report.Id, ReportLineKind.Conflict, c.WinnerSite, c.Table, c.Key, c.Resolution, rows: 1, conflicts: 1,
                message: message, timeUtc: c.WinnerTimeUtc));
        }
        foreach (var e in report.Errors)
        {
            lines.Add(new SyncReportLine(report.Id, ReportLineKind.Error, e.Site, state: e.Step, errorId: e.ErrorId, message: e.Message));
        }
        foreach (var t in report.TriggerLines ?? new List<TriggerReportLine>())
        {
            lines.Add(new SyncReportLine(report.Id, ReportLineKind.Trigger, report.Node, t.Table, t.Trigger, t.DuringApply,
                message: $"{t.Event}{(t.IsActive ? "" : ", inactive")}: {t.Detail}"));
        }
        return lines;
    }
}
