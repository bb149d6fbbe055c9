namespace HeitzSync.Core.Reports;

public enum ReportState { Running, OK, Partial, Failed, Stopped }

/// <summary>
/// The record of one run on one node (DESIGN.md §2). The run-level properties are flat scalars so that
/// <c>Get-HzSyncReport | Export-Csv</c> gives one complete row per run; the lists hold the details.
/// Only text given by callers is kept: never an exception object, never a connection setting.
/// </summary>
public sealed class SyncReport
{
    /// <summary>Sortable and unique: <c>&lt;start yyyyMMddTHHmmssfffZ&gt;-&lt;node&gt;-&lt;operation&gt;</c>, safe as a file name.</summary>
    public string Id { get; set; } = "";

    /// <summary>The node's site code.</summary>
    public string Node { get; set; } = "";

    /// <summary>Site or Siege.</summary>
    public string Role { get; set; } = "";

    /// <summary>Sync, Backup, Send, Consolidate, Receive, Init...</summary>
    public string Operation { get; set; } = "";

    public string CycleId { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public DateTime? EndedUtc { get; set; }

    /// <summary>End minus start; for a run still going, up to now.</summary>
    public TimeSpan Duration => (EndedUtc ?? DateTime.UtcNow) - StartedUtc;

    public ReportState State { get; set; }

    /// <summary>True when the run was found Running with its process gone: it reads as Failed.</summary>
    public bool Interrupted { get; set; }

    /// <summary>One line that says what happened.</summary>
    public string Summary { get; set; } = "";

    public int SitesExpected { get; set; }
    public int SitesDelivered { get; set; }
    public long RowsSent { get; set; }
    public long RowsReceived { get; set; }
    public long RowsApplied { get; set; }
    public long RowsSkipped { get; set; }

    /// <summary>Conflicts resolved in this run (one <see cref="ConflictLines"/> line each when the engine lists them).</summary>
    public int Conflicts { get; set; }

    public long BytesSent { get; set; }
    public long BytesReceived { get; set; }

    public int ErrorCount => Errors.Count;

    /// <summary>The process that ran it, so a report left Running by a crash can be told from a run still going.</summary>
    public int ProcessId { get; set; }

    /// <summary>When that process started (UTC), so a process id reused after a reboot is not taken for the run.</summary>
    public DateTime? ProcessStartedUtc { get; set; }

    public string MachineName { get; set; } = "";

    public List<SiteReportLine> SiteLines { get; set; } = new();
    public List<TableReportLine> TableLines { get; set; } = new();
    public List<ConflictLine> ConflictLines { get; set; } = new();
    public List<ErrorLine> Errors { get; set; } = new();

    /// <summary>Init: each business trigger of the synchronised tables and what it does while replicated rows are applied.</summary>
    public List<TriggerReportLine> TriggerLines { get; set; } = new();
}

/// <summary>A business trigger of a synchronised table, as init left it (docs/sync-engine.md, "Business triggers").</summary>
public sealed record TriggerReportLine
{
    public TriggerReportLine() { }

    public TriggerReportLine(string trigger, string table, string @event, bool isActive, string duringApply, string detail)
    {
        Trigger = trigger;
        Table = table;
        Event = @event;
        IsActive = isActive;
        DuringApply = duringApply;
        Detail = detail;
    }

    public string Trigger { get; init; } = "";
    public string Table { get; init; } = "";

    /// <summary>"BEFORE INSERT OR UPDATE"...</summary>
    public string Event { get; init; } = "";

    public bool IsActive { get; init; }

    /// <summary>Skipped (the guard returns at once for replicated rows), Runs (tables.triggersRunDuringApply), SwitchedOff
    /// (deprecated tables.triggersOffDuringApply) or Unguarded (no guard could be added).</summary>
    public string DuringApply { get; init; } = "";

    public string Detail { get; init; } = "";
}

/// <summary>One site's part in the run (at the Siège: one per expected site; on a site: what it sent and received).</summary>
public sealed record SiteReportLine
{
    public SiteReportLine() { }

    public SiteReportLine(string site, string state, string? packageName, long rows, int conflicts, long bytes, string? error)
    {
        Site = site;
        State = state;
        Received = packageName is not null;
        PackageName = packageName;
        Rows = rows;
        Conflicts = conflicts;
        Bytes = bytes;
        Error = error;
    }

    public string Site { get; init; } = "";

    /// <summary>Delivered, Missing, Refused, Sent, Applied, Published...</summary>
    public string State { get; init; } = "";

    /// <summary>Whether a package from (or for) this site was in hand.</summary>
    public bool Received { get; init; }

    public string? PackageName { get; init; }
    public long Rows { get; init; }
    public int Conflicts { get; init; }
    public long Bytes { get; init; }
    public string? Error { get; init; }
}

/// <summary>Per table counts of one site's changes in one direction.</summary>
public sealed record TableReportLine
{
    public TableReportLine() { }

    public TableReportLine(string site, string table, string direction, long upserts, long deletes, long skipped, int conflicts = 0)
    {
        Site = site;
        Table = table;
        Direction = direction;
        Upserts = upserts;
        Deletes = deletes;
        Skipped = skipped;
        Conflicts = conflicts;
    }

    public string Site { get; init; } = "";
    public string Table { get; init; } = "";

    /// <summary>Sent, Received, Applied or Consolidated.</summary>
    public string Direction { get; init; } = "";

    public long Upserts { get; init; }
    public long Deletes { get; init; }
    public long Skipped { get; init; }
    public int Conflicts { get; init; }
}

/// <summary>One conflict: the same row changed at two places since they last met, and which version won.</summary>
public sealed record ConflictLine
{
    public ConflictLine() { }

    public ConflictLine(string table, string key, string winnerSite, DateTime winnerTimeUtc, string loserSite, DateTime loserTimeUtc, string resolution)
    {
        Table = table;
        Key = key;
        WinnerSite = winnerSite;
        WinnerTimeUtc = winnerTimeUtc;
        LoserSite = loserSite;
        LoserTimeUtc = loserTimeUtc;
        Resolution = resolution;
    }

    public string Table { get; init; } = "";
    public string Key { get; init; } = "";
    public string WinnerSite { get; init; } = "";
    public DateTime WinnerTimeUtc { get; init; }
    public string LoserSite { get; init; } = "";
    public DateTime LoserTimeUtc { get; init; }
    public string Resolution { get; init; } = "";
}

/// <summary>An error as the report keeps it: the step, a stable id and the message (never an exception object or a secret).</summary>
public sealed record ErrorLine
{
    public ErrorLine() { }

    public ErrorLine(string? site, string step, string errorId, string message)
    {
        Site = site;
        Step = step;
        ErrorId = errorId;
        Message = message;
    }

    public string? Site { get; init; }
    public string Step { get; init; } = "";
    public string ErrorId { get; init; } = "";
    public string Message { get; init; } = "";

    /// <summary>What the message leaves out (gbak's last lines), for whoever investigates; null when there is none.</summary>
    public string? Detail { get; init; }
}
