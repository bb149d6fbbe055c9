namespace HeitzSync.Core.Reports;

/// <summary>
/// What a run fills its report through: lines, counters, summary, then a final state. Every call takes one lock, so a
/// worker may report while another thread (progress display, stop watcher) reads a <see cref="Snapshot"/> or saves a
/// <see cref="Checkpoint"/>. Errors keep the message only: exception objects never reach the report.
/// </summary>
public sealed class ReportBuilder
{
    private readonly object _gate = new();
    private readonly ReportStore _store;
    private readonly SyncReport _report;

    public ReportBuilder(ReportStore store, SyncReport report)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _report = report ?? throw new ArgumentNullException(nameof(report));
    }

    public string Id
    {
        get { lock (_gate) return _report.Id; }
    }

    public ReportState State
    {
        get { lock (_gate) return _report.State; }
    }

    /// <summary>Changes run-level fields under the lock: <c>builder.Update(r => r.RowsSent += n)</c>.</summary>
    public void Update(Action<SyncReport> change)
    {
        lock (_gate) change(_report);
    }

    public void SetSummary(string summary)
    {
        lock (_gate) _report.Summary = summary ?? "";
    }

    /// <summary>Adds a part to the one-line summary ("; " between parts).</summary>
    public void AppendSummary(string part)
    {
        if (string.IsNullOrEmpty(part)) return;
        lock (_gate) _report.Summary = _report.Summary.Length == 0 ? part : _report.Summary + "; " + part;
    }

    public void AddSite(SiteReportLine line)
    {
        lock (_gate) _report.SiteLines.Add(line ?? throw new ArgumentNullException(nameof(line)));
    }

    public void AddTable(TableReportLine line)
    {
        lock (_gate) _report.TableLines.Add(line ?? throw new ArgumentNullException(nameof(line)));
    }

    /// <summary>Lists a conflict and counts it in <see cref="SyncReport.Conflicts"/>.</summary>
    public void AddConflict(ConflictLine line)
    {
        if (line is null) throw new ArgumentNullException(nameof(line));
        lock (_gate)
        {
            _report.ConflictLines.Add(line);
            _report.Conflicts++;
        }
    }

    public void AddError(string? site, string step, string errorId, string message)
    {
        lock (_gate) _report.Errors.Add(new ErrorLine(site, step, errorId, message ?? ""));
    }

    /// <summary>Adds an error from an exception: its message only (no type, stack or data, which may hold more than the message says).</summary>
    public void AddError(string? site, string step, string errorId, Exception exception)
    {
        if (exception is null) throw new ArgumentNullException(nameof(exception));
        AddError(site, step, errorId, exception.Message);
    }

    /// <summary>A deep copy of the report as it stands.</summary>
    public SyncReport Snapshot()
    {
        byte[] json;
        lock (_gate) json = ReportStore.SerializeForCopy(_report);
        return ReportStore.DeserializeCopy(json);
    }

    /// <summary>Saves the report as it stands (still Running), so a crash later leaves what was done so far.</summary>
    public void Checkpoint() => _store.Save(Snapshot());

    /// <summary>Sets the final state and end time, saves, and returns the saved report.</summary>
    public SyncReport Complete(ReportState state, string? summary = null)
    {
        if (state == ReportState.Running) throw new ArgumentOutOfRangeException(nameof(state), "A completed report cannot be Running.");
        lock (_gate)
        {
            _report.State = state;
            _report.EndedUtc = DateTime.UtcNow;
            if (summary is not null) _report.Summary = summary;
        }
        var saved = Snapshot();
        _store.Save(saved);
        return saved;
    }

    /// <summary>Ends the run as Failed with the exception's message as an error line and the summary.</summary>
    public SyncReport Fail(string step, string errorId, Exception exception)
    {
        AddError(null, step, errorId, exception);
        return Complete(ReportState.Failed, exception.Message);
    }

    /// <summary>Ends the run as Stopped (restart hour reached, Stop-HzSync, Ctrl+C), saying why.</summary>
    public SyncReport Stop(string step, string why)
    {
        AddError(null, step, "Stopped", why);
        return Complete(ReportState.Stopped, why);
    }
}
