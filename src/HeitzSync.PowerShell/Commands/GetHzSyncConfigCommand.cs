using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Reads and validates a node's configuration file and outputs it. Passwords are never in the file: each
/// passwordSecret shows only the name of the stored secret.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HzSyncConfig")]
[OutputType(typeof(HzSyncConfig))]
public sealed class GetHzSyncConfigCommand : HzConfigCmdlet
{
    protected override void ProcessRecord()
    {
        if (TryLoadConfig(out var config)) WriteObject(config);
    }
}
