using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Site: waits (up to -WaitMinutes) for the Siège's package for this site, downloads it and applies it to the database
/// in one transaction (a full package restores the database instead, keeping the previous one). No package in time
/// ends Partial: it is applied next run. Outputs the run.
/// </summary>
[Cmdlet(VerbsCommunications.Receive, "HzBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncRun))]
public sealed class ReceiveHzBackupCommand : HzNodeOperationCmdlet
{
    /// <summary>How long to wait for the Siège's package; default: the configuration's schedule.packageWaitMinutes.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 24 * 60)]
    public int? WaitMinutes { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        if (!IsSite(config, "receiving the Siège's package")) return;
        var minutes = WaitMinutes ?? config.Schedule.PackageWaitMinutes;
        if (!ShouldProcess($"{config.Role} {config.Site.Code} ({config.ConfigPath})",
                $"Wait up to {minutes} min for the Siège's package, then apply it to the database (or restore it, for a full package)")) return;
        RunOperation(config, (c, progress, ct) => NodeRunner.ReceiveAsync(c, TimeSpan.FromMinutes(minutes), progress, ct));
    }
}
