using HeitzSync.Core.Runs;

namespace HeitzSync.PowerShell;

/// <summary>What Stop-HzSync did: the stop it asked for (or not), and the run it is for.</summary>
public sealed class HzStopRequest
{
    public HzStopRequest(string node, bool requested, StopRequestInfo? request, RunLockHolder? run, string workFolder, string? configPath)
    {
        ConfigPath = configPath ?? "";
        Node = node;
        Requested = requested;
        Reason = request?.Reason ?? "";
        RequestedBy = request?.RequestedBy ?? "";
        RequestedUtc = request?.RequestedUtc;
        RunInProgress = run is not null;
        RunOperation = run?.Operation ?? "";
        RunStartedUtc = run?.StartedUtc;
        RunProcessId = run?.ProcessId;
        MachineName = run?.MachineName ?? request?.MachineName ?? Environment.MachineName;
        WorkFolder = workFolder;
    }

    /// <summary>The node's site code.</summary>
    public string Node { get; }

    /// <summary>True when a stop request was written for the running run; false when no run was going (nothing written).</summary>
    public bool Requested { get; }

    /// <summary>Why: kept in the stopped run's report.</summary>
    public string Reason { get; }

    public string RequestedBy { get; }
    public DateTime? RequestedUtc { get; }

    /// <summary>Whether a run held the node's run lock when the stop was asked.</summary>
    public bool RunInProgress { get; }

    /// <summary>The running operation (Sync, Consolidate...), empty when none ran.</summary>
    public string RunOperation { get; }

    public DateTime? RunStartedUtc { get; }
    public int? RunProcessId { get; }
    public string MachineName { get; }

    /// <summary>The node's work folder, where the request file is.</summary>
    public string WorkFolder { get; }

    /// <summary>The node's configuration file.</summary>
    public string ConfigPath { get; }

    public override string ToString() => Requested
        ? $"Stop requested for {Node} {RunOperation} (process {RunProcessId}): {Reason}"
        : $"No run in progress on {Node}: nothing to stop";
}
