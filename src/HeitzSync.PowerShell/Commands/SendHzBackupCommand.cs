using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Site: uploads delta packages to the Siège's drop. Takes the packages Start-HzBackup made (by their Path); safety
/// backups piped in stay on the node (skipped, said in -Verbose). With no input, uploads what waits in the outgoing
/// folder. Only the newest package is sent: it holds every change of the older ones, which are forgotten. The input is
/// collected first and sent in one run (one lock, one report) at the end of the pipeline; outputs that run.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "HzBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncRun))]
public sealed class SendHzBackupCommand : HzNodeOperationCmdlet
{
    private readonly List<string> _packages = new();
    private bool _inputGiven;

    /// <summary>Package files to upload (Start-HzBackup's Path); default: the packages pending in the outgoing folder.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    private string? _configPathOfCommandLine;

    protected override void BeginProcessing()
    {
        _configPathOfCommandLine = ConfigPath;   // before any pipeline input is bound
        base.BeginProcessing();
    }

    protected override void ProcessRecord()
    {
        // A file piped in (Get-ChildItem outgoing | Send-HzBackup) also binds its PSPath to -ConfigPath by that
        // parameter's alias: a package is never the configuration, which stays the one of the command line.
        ConfigPath = _configPathOfCommandLine;
        if (Path is null) return;
        foreach (var given in Path)
        {
            _inputGiven = true;
            var path = ResolvePath(given);
            var name = System.IO.Path.GetFileName(path);
            if (PackageNames.TryParse(name, out var parsed) && parsed!.Kind == PackageName.DeltaKind)
            {
                _packages.Add(path);
            }
            else if (name.EndsWith(".fbk", StringComparison.OrdinalIgnoreCase))
            {
                WriteVerbose($"{path} is a safety backup: it stays on this node, not sent.");
            }
            else
            {
                WriteHzError(new ArgumentException($"{path} is not a delta package (a name like LYON01_<cycle>_d_<from>-<to>.hzp, made by Start-HzBackup): not sent."),
                    ErrorIds.NotAPackage, ErrorCategory.InvalidArgument, given);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_inputGiven && _packages.Count == 0)
        {
            WriteVerbose("No delta package in the input: nothing to send.");
            return;
        }
        if (!TryLoadConfig(out var config)) return;
        if (!IsSite(config, "sending a package")) return;
        var what = _packages.Count == 0
            ? "Upload the packages pending in the outgoing folder (the newest; it holds the older ones' changes)"
            : "Upload " + string.Join(", ", _packages.Select(System.IO.Path.GetFileName)) + (_packages.Count > 1 ? " (the newest; it holds the older ones' changes)" : "");
        if (!ShouldProcess($"drop of site {config.Site.Code} ({config.Drop.Kind})", what)) return;
        RunOperation(config, (c, progress, ct) => NodeRunner.UploadAsync(c, _packages.Count == 0 ? null : _packages, progress, ct));
    }
}
