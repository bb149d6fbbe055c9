using System.Management.Automation;
using HeitzSync.Core.Runs;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Asks the run in progress on this node (Invoke-HzSync, Invoke-HzConsolidation...) to stop at its next safe point:
/// nothing is left half applied, its report ends Stopped with the reason, and it emails if the node is set to. When no
/// run is going, says so and leaves nothing behind that could stop the next night.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "HzSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzStopRequest))]
public sealed class StopHzSyncCommand : HzConfigCmdlet
{
    /// <summary>Why: kept in the stopped run's report and its email.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "stopped by an operator";

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        var work = config.Resolve(config.WorkFolder);
        var running = RunLock.CurrentHolder(work);
        if (running is null)
        {
            WriteWarning($"No HeitzSync run is in progress on {config.Site.Code} (work folder {work}): nothing to stop, and no request was left that could stop the next run.");
            WriteObject(new HzStopRequest(config.Site.Code, false, null, null, work, config.ConfigPath));
            return;
        }
        if (!ShouldProcess($"{config.Site.Code} {running}", "Stop the run at its next safe point")) return;
        StopRequestInfo info;
        try
        {
            info = new StopRequest(work).Request(Reason);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteHzError(ex, ErrorIds.StopRequestFailed, ErrorCategory.WriteError, work);
            return;
        }
        WriteVerbose($"Stop requested in {System.IO.Path.Combine(work, StopRequest.FileName)}: the {running.Operation} run (process {running.ProcessId}) stops at its next safe point, within a few seconds.");
        WriteObject(new HzStopRequest(config.Site.Code, true, info, running, work, config.ConfigPath));
    }
}
