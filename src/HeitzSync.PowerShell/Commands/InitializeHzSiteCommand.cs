using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Installs change capture in the node's database (triggers, version tables), records the node's identity and key
/// range, and moves the generators into that range. Idempotent: run it again after a schema change.
/// </summary>
[Cmdlet(VerbsData.Initialize, "HzSite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncRun))]
public sealed class InitializeHzSiteCommand : HzNodeOperationCmdlet
{
    protected override void ProcessRecord() =>
        RunOperation("Install change capture, set the identity and key range, move the generators into the range",
            (config, progress, ct) => NodeRunner.InitializeAsync(config, progress, ct));
}
