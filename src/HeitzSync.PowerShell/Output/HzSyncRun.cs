using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;

namespace HeitzSync.PowerShell;

/// <summary>
/// One run of one node, flat: what every operation cmdlet outputs and what Get-HzSyncReport lists, so that
/// <c>Get-HzSyncReport | Export-Csv</c> gives one complete row per run. The per-site, per-table, conflict and error
/// lines are in the report file; Get-HzSyncReport -Id ... -Detail lists them. State and Duration are text (OK,
/// 00:14:12), so ConvertTo-Json and Export-Csv give the same names and times on Windows PowerShell 5.1 and PowerShell 7.
/// </summary>
public sealed class HzSyncRun
{
    public HzSyncRun(SyncReport report, string? configPath)
    {
        if (report is null) throw new ArgumentNullException(nameof(report));
        ConfigPath = configPath ?? "";
        Id = report.Id;
        Node = report.Node;
        Role = report.Role;
        Operation = report.Operation;
        CycleId = report.CycleId;
        State = report.State.ToString();
        Interrupted = report.Interrupted;
        StartedUtc = report.StartedUtc;
        EndedUtc = report.EndedUtc;
        Duration = Durations.Text(report.Duration);
        SitesExpected = report.SitesExpected;
        SitesDelivered = report.SitesDelivered;
        RowsSent = report.RowsSent;
        RowsReceived = report.RowsReceived;
        RowsApplied = report.RowsApplied;
        RowsSkipped = report.RowsSkipped;
        Conflicts = report.Conflicts;
        BytesSent = report.BytesSent;
        BytesReceived = report.BytesReceived;
        ErrorCount = report.ErrorCount;
        Summary = report.Summary;
        MachineName = report.MachineName;
        ExitCode = NodeRunner.ExitCode(report.State);
    }

    /// <summary>The report's id: give it to Get-HzSyncReport -Id for the detail lines.</summary>
    public string Id { get; }

    /// <summary>The node's site code.</summary>
    public string Node { get; }

    /// <summary>Site or Siege.</summary>
    public string Role { get; }

    /// <summary>Sync, Backup, Send, Receive, Consolidate, Init, FullPackage...</summary>
    public string Operation { get; }

    public string CycleId { get; }

    /// <summary>OK, Partial, Failed, Stopped, or Running for a run still going (the name of a ReportState).</summary>
    public string State { get; }

    /// <summary>True when the run was left Running by a process that is gone (it reads as Failed).</summary>
    public bool Interrupted { get; }

    public DateTime StartedUtc { get; }
    public DateTime? EndedUtc { get; }
    /// <summary>hh:mm:ss (hours past 24 keep counting); <c>[timespan]$run.Duration</c> gives a TimeSpan.</summary>
    public string Duration { get; }
    public int SitesExpected { get; }
    public int SitesDelivered { get; }
    public long RowsSent { get; }
    public long RowsReceived { get; }
    public long RowsApplied { get; }
    public long RowsSkipped { get; }
    public int Conflicts { get; }
    public long BytesSent { get; }
    public long BytesReceived { get; }
    public int ErrorCount { get; }

    /// <summary>One line that says what happened.</summary>
    public string Summary { get; }

    public string MachineName { get; }

    /// <summary>The exit code for RMM tools (NodeRunner.ExitCode, as hzsync and the scheduled scripts exit): 0 OK, 1 partial, 2 failed or stopped.</summary>
    public int ExitCode { get; }

    /// <summary>The node's configuration file: binds -ConfigPath by property name, so a run piped on (to Get-HzSyncReport -Detail) is read from its own node.</summary>
    public string ConfigPath { get; }

    /// <summary>The report id: a run piped where an id is taken by value (Get-HzSyncReport -Id) is that id.</summary>
    public override string ToString() => Id;
}
