namespace HeitzSync.Core.Reports;

public enum ReportState { Running, OK, Partial, Failed, Stopped }

/// <summary>
/// The record of one run on one node (DESIGN.md §2). The run-level properties are flat scalars so that
/// <c>Get-HzSyncReport | Export-Csv</c> gives one useful row per run; the lists hold the details.
/// </summary>
public sealed class SyncReport
{
    public string Id { get; set; } = "";
    public string Node { get; set; } = "";
    public string Role { get; set; } = "";
    public string Operation { get; set; } = "";
    public string CycleId { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public DateTime? EndedUtc { get; set; }
    public TimeSpan Duration => (EndedUtc ?? DateTime.UtcNow) - StartedUtc;
    public ReportState State { get; set; }
    public string Summary { get; set; } = "";
    public int SitesExpected { get; set; }
    public int SitesDelivered { get; set; }
    public long RowsSent { get; set; }
    public long RowsReceived { get; set; }
    public long RowsApplied { get; set; }
    public long RowsSkipped { get; set; }
    public int Conflicts { get; set; }
    public long BytesSent { get; set; }
    public long BytesReceived { get; set; }
    public int ErrorCount => Errors.Count;
    public int ProcessId { get; set; }
    public string MachineName { get; set; } = "";

    public List<SiteReportLine> SiteLines { get; set; } = new();
    public List<TableReportLine> TableLines { get; set; } = new();
    public List<ConflictLine> ConflictLines { get; set; } = new();
    public List<ErrorLine> Errors { get; set; } = new();
}

public sealed record SiteReportLine(string Site, string State, string? PackageName, long Rows, int Conflicts, long Bytes, string? Error);

public sealed record TableReportLine(string Site, string Table, string Direction, long Upserts, long Deletes, long Skipped);

public sealed record ConflictLine(string Table, string Key, string WinnerSite, DateTime WinnerTimeUtc, string LoserSite, DateTime LoserTimeUtc, string Resolution);

/// <summary>An error as the report keeps it: the step, a stable id and the message (never an exception object or a secret).</summary>
public sealed record ErrorLine(string? Site, string Step, string ErrorId, string Message);
