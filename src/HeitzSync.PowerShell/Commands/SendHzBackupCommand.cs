using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Site: uploads delta packages to the Siège's drop. Takes the packages Start-HzBackup made (by their Path and
/// ConfigPath), files piped from Get-ChildItem (by their PSPath, as -LiteralPath), or -Path with wildcards; safety backups
/// piped in stay on the node (skipped, said in -Verbose). With no input, uploads what waits in the outgoing folder. Only
/// the newest package of a node is sent: it holds every change of the older ones, which are forgotten. The input is
/// collected first and sent at the end of the pipeline, one run (one lock, one report) per node; outputs those runs.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "HzBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(HzSyncRun))]
public sealed class SendHzBackupCommand : HzNodeOperationCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>The packages of each node (by its configuration file), in the order the nodes came.</summary>
    private readonly List<(string ConfigPath, List<string> Packages)> _nodes = new();
    private bool _inputGiven;
    private string _commandLineConfig = "";

    /// <summary>Package files to upload, wildcards allowed (./outgoing/*.hzp); default: the packages pending in the outgoing folder.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Package files taken exactly as written (no wildcards): what Get-ChildItem pipes by its PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>
    /// The site's configuration file; default: HEITZSYNC_CONFIG, else the platform's default path. Binds by property
    /// name from Start-HzBackup's objects (their ConfigPath), never from a piped file's PSPath: that is a package.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public override string? ConfigPath { get; set; }

    protected override void BeginProcessing()
    {
        _commandLineConfig = ResolvedConfigPath;   // before any pipeline input is bound
        base.BeginProcessing();
    }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == LiteralPathSet;
        var given = literal ? LiteralPath : Path;
        if (given is null) return;
        var configPath = ResolvedConfigPath;   // this record's node
        foreach (var item in given)
        {
            _inputGiven = true;
            foreach (var path in Files(item, literal))
            {
                var name = System.IO.Path.GetFileName(path);
                if (PackageNames.TryParse(name, out var parsed) && parsed!.Kind == PackageName.DeltaKind)
                {
                    PackagesOf(configPath).Add(path);
                }
                else if (name.EndsWith(".fbk", StringComparison.OrdinalIgnoreCase))
                {
                    WriteVerbose($"{path} is a safety backup: it stays on this node, not sent.");
                }
                else
                {
                    WriteHzError(new ArgumentException($"{path} is not a delta package (a name like LYON01_<cycle>_d_<from>-<to>.hzp, made by Start-HzBackup): not sent."),
                        ErrorIds.NotAPackage, ErrorCategory.InvalidArgument, item);
                }
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_nodes.Count == 0)
        {
            if (_inputGiven)
            {
                WriteVerbose("No delta package in the input: nothing to send.");
                return;
            }
            Send(_commandLineConfig, new List<string>());   // no input: what is pending in the outgoing folder
            return;
        }
        foreach (var (configPath, packages) in _nodes) Send(configPath, packages);
    }

    private void Send(string configPath, List<string> packages)
    {
        if (!TryLoadConfig(configPath, out var config)) return;
        if (!IsSite(config, "sending a package")) return;
        var what = packages.Count == 0
            ? "Upload the packages pending in the outgoing folder (the newest; it holds the older ones' changes)"
            : "Upload " + string.Join(", ", packages.Select(System.IO.Path.GetFileName)) + (packages.Count > 1 ? " (the newest; it holds the older ones' changes)" : "");
        if (!ShouldProcess($"drop of site {config.Site.Code} ({config.Drop.Kind})", what)) return;
        RunOperation(config, (c, progress, ct) => NodeRunner.UploadAsync(c, packages.Count == 0 ? null : packages, progress, ct));
    }

    private List<string> PackagesOf(string configPath)
    {
        var node = _nodes.FirstOrDefault(n => n.ConfigPath == configPath);
        if (node.Packages is null)
        {
            node = (configPath, new List<string>());
            _nodes.Add(node);
        }
        return node.Packages;
    }

    /// <summary>The files a -Path (wildcards expanded, as Get-Item does) or a -LiteralPath names; an error for one that does not exist.</summary>
    private IEnumerable<string> Files(string given, bool literal)
    {
        if (literal || !WildcardPattern.ContainsWildcardCharacters(given))
        {
            var path = ResolvePath(given);
            if (File.Exists(path)) return new[] { path };
            WriteHzError(new ItemNotFoundException($"{path} does not exist: give a package file (Start-HzBackup -Kind Delta makes one in the outgoing folder)."),
                ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, given);
            return Array.Empty<string>();
        }
        try
        {
            var matches = SessionState.Path.GetResolvedProviderPathFromPSPath(given, out _).Where(File.Exists).ToList();
            if (matches.Count == 0) WriteVerbose($"No file matches {given}.");
            return matches;
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            WriteVerbose($"No file matches {given}.");
            return Array.Empty<string>();
        }
    }
}
