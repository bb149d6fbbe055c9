using System.Management.Automation;
using HeitzSync.Core.Checks;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Checks everything a night needs, from this node: group key, database and its identity, drop reachability, TLS, login,
/// write right, clock skew, module version, schema and key ranges against the Siège's; at the Siège also each site's
/// last contact and overlapping ranges. One HzCheckResult per check: a failed check is output, not an error (only a
/// configuration that cannot be used is an ErrorRecord). With -Quiet, one bool: true when no check failed.
/// Changes nothing: the write-right check writes a one-byte probe file in the drop and deletes it again.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "HzSiege")]
[OutputType(typeof(HzCheckResult))]
[OutputType(typeof(bool))]
public sealed class TestHzSiegeCommand : HzConfigCmdlet
{
    /// <summary>Output only $true (no check failed; warnings allowed) or $false, like Test-Connection -Quiet.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        WriteVerbose($"{config.Role} {config.Site.Code}: checking (configuration {config.ConfigPath}).");
        var progress = ProgressFor<SyncProgress>(ProgressRecordOf);
        IReadOnlyList<CheckResult> results;
        try
        {
            results = RunAsync(ct => SiegeChecks.RunAsync(config, progress, ct));
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            return;   // Ctrl+C: the probe file, if written, was deleted by the check itself
        }
        finally
        {
            CompleteProgress();
        }
        foreach (var result in results)
        {
            WriteVerbose($"{result.Status} {result.Check}: {result.Detail}" + (result.Fix is null ? "" : $" (fix: {result.Fix})"));
            if (!Quiet) WriteObject(new HzCheckResult(result, config.ConfigPath));
        }
        if (Quiet) WriteObject(results.All(r => r.Status != CheckStatus.Failed));
    }
}
