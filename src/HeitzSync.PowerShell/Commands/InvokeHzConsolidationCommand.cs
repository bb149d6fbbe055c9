using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Siège: waits up to the reception time for the sites' packages, validates and consolidates them into the master, and
/// publishes one package per site. With -FullPackageFor, publishes a full package of the master for each site named
/// instead (to seed a new site or recover a lost one): one run each.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "HzConsolidation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ConsolidateSet)]
[OutputType(typeof(HzSyncRun))]
public sealed class InvokeHzConsolidationCommand : HzNodeOperationCmdlet
{
    private const string ConsolidateSet = "Consolidate";
    private const string FullPackageSet = "FullPackage";

    /// <summary>How long to wait for the sites' packages; default: the configuration's schedule.receptionMinutes.</summary>
    [Parameter(ParameterSetName = ConsolidateSet)]
    [ValidateRange(0, 24 * 60)]
    public int? ReceptionMinutes { get; set; }

    /// <summary>The sites to publish a full package for (their site codes).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FullPackageSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Site", "SiteCode")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SiteCompleter))]
    public string[] FullPackageFor { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        if (config.Role != NodeRole.Siege)
        {
            WriteHzError(new InvalidOperationException(
                    $"{config.ConfigPath} is the configuration of site {config.Site.Code} (role Site): consolidation runs at the Siège only. " +
                    "On a site, run Invoke-HzSync (or Send-HzBackup and Receive-HzBackup); give -ConfigPath the Siège's configuration."),
                ErrorIds.NotSiege, ErrorCategory.InvalidOperation, config.ConfigPath);
            return;
        }

        if (ParameterSetName == FullPackageSet)
        {
            foreach (var code in FullPackageFor)
            {
                if (!SiteCode.TryParse(code, out var site))
                {
                    WriteHzError(new ArgumentException($"'{code}' is not a site code (a capital letter then 1 to 15 capital letters, digits or '_', e.g. LYON01)."), ErrorIds.SiteCodeInvalid, ErrorCategory.InvalidArgument, code);
                    continue;
                }
                if (string.Equals(site.Value, config.Site.Code, StringComparison.Ordinal))
                {
                    WriteHzError(new ArgumentException($"{site} is the Siège itself: a full package is for a site."), ErrorIds.SiteCodeInvalid, ErrorCategory.InvalidArgument, code);
                    continue;
                }
                if (!ShouldProcess($"site {site} (drop of {config.Site.Code})", "Publish a full package of the master")) continue;
                RunOperation(config, (c, progress, ct) => NodeRunner.PublishFullAsync(c, site, progress, ct));
            }
            return;
        }

        var minutes = ReceptionMinutes ?? config.Schedule.ReceptionMinutes;
        if (!ShouldProcess($"Siege {config.Site.Code} ({config.ConfigPath})", $"Wait up to {minutes} min for the sites, consolidate into the master and publish")) return;
        RunOperation(config, (c, progress, ct) => NodeRunner.ConsolidateAsync(c, TimeSpan.FromMinutes(minutes), progress, ct));
    }
}
