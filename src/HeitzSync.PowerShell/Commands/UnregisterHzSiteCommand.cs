using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Siège: removes sites from the chain (DESIGN.md §6). The Siège stops waiting and publishing for each, removes its
/// registration and the packages waiting for it, and keeps its number and key range as retired (never given again).
/// One run (report operation Unregister) per site.
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "HzSite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Site")]
[OutputType(typeof(HzSyncRun))]
public sealed class UnregisterHzSiteCommand : HzNodeOperationCmdlet
{
    /// <summary>The site codes to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Site", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SiteCode")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SiteCompleter))]
    public string[] Site { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        if (config.Role != NodeRole.Siege)
        {
            WriteHzError(new InvalidOperationException(
                    $"{config.ConfigPath} is the configuration of site {config.Site.Code} (role Site): sites are removed at the Siège only. Give -ConfigPath the Siège's configuration."),
                ErrorIds.NotSiege, ErrorCategory.InvalidOperation, config.ConfigPath);
            return;
        }
        foreach (var code in Site)
        {
            if (!SiteCode.TryParse(code, out var site) || string.Equals(site.Value, config.Site.Code, StringComparison.Ordinal))
            {
                WriteHzError(new ArgumentException($"'{code}' is not a site of this Siège's chain (a site code such as LYON01, not the Siège's own {config.Site.Code})."), ErrorIds.SiteCodeInvalid, ErrorCategory.InvalidArgument, code);
                continue;
            }
            if (!ShouldProcess($"site {site} (Siège {config.Site.Code})", "Remove from the chain: stop waiting and publishing for it, retire its number for good")) continue;
            RunOperation(config, (c, progress, ct) => NodeRunner.UnregisterAsync(c, site, progress, ct));
        }
    }
}
