using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Makes the node's verified full safety backup (rotated: the newest backup.keep are kept) and/or, on a site, the delta
/// package of every change the Siège has not acknowledged, in the outgoing folder (nothing is sent: pipe to
/// Send-HzBackup). Default: both on a site, the safety backup at the Siège. One run under the node's lock, one report;
/// outputs one <see cref="HzBackupInfo"/> per file made.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "HzBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(HzBackupInfo))]
public sealed class StartHzBackupCommand : HzNodeOperationCmdlet
{
    /// <summary>Safety, Delta or Both; default: Both on a site, Safety at the Siège.</summary>
    [Parameter(Position = 0)]
    public BackupKind? Kind { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        var kind = Kind ?? NodeRunner.DefaultBackupKind(config);
        if ((kind & BackupKind.Delta) != 0 && !IsSite(config, "a delta package")) return;
        var action = kind switch
        {
            BackupKind.Safety => "Make a verified full safety backup of the database (keeping the newest " + config.Backup.Keep + ")",
            BackupKind.Delta => "Extract the changes the Siège has not acknowledged into a delta package (not sent)",
            _ => "Make a verified full safety backup, then extract the changes the Siège has not acknowledged into a delta package (not sent)",
        };
        if (!ShouldProcess($"{config.Role} {config.Site.Code} ({config.ConfigPath})", action)) return;
        IReadOnlyList<BackupArtefact> made = Array.Empty<BackupArtefact>();
        RunOperation(config, async (c, progress, ct) =>
        {
            var run = await NodeRunner.StartBackupAsync(c, kind, progress, ct).ConfigureAwait(false);
            made = run.Artefacts;
            return run.Report;
        }, writeRun: false);
        foreach (var artefact in made)
        {
            WriteVerbose($"{artefact.Kind}: {artefact.Path} ({artefact.SizeBytes / 1024} KB{(artefact.Kind == BackupKind.Delta ? $", {artefact.Rows} change(s)" : "")}).");
            WriteObject(new HzBackupInfo(config.Site.Code, artefact, config.ConfigPath));
        }
    }
}
