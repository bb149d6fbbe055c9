using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// The whole night for the node's role, under the node's run lock: on a site, backup, send, then wait for the Siège's
/// package and apply it; at the Siège, backup, then wait for the sites, consolidate and publish. What the scheduled
/// task runs. It stops cleanly at the restart hour, on Ctrl+C, or when Stop-HzSync asks.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "HzSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncRun))]
public sealed class InvokeHzSyncCommand : HzNodeOperationCmdlet
{
    protected override void ProcessRecord() =>
        RunOperation("Run the night (backup, send and receive on a site; backup, consolidate and publish at the Siège)",
            (config, progress, ct) => NodeRunner.SyncAsync(config, progress, ct));
}
