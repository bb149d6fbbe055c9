using System.Management.Automation;
using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Lists the node's last runs (one flat HzSyncRun each, newest first), or given -Id, those runs; with -Detail, their
/// per-site, per-table, conflict and error lines instead, all of one type so Export-Csv keeps its columns. Each
/// pipeline record is read from its own node (its ConfigPath, or the configuration files piped in), so runs and
/// configurations of several nodes can be piped in one go.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HzSyncReport", DefaultParameterSetName = ListSet)]
[OutputType(typeof(HzSyncRun))]
[OutputType(typeof(SyncReportLine))]
public sealed class GetHzSyncReportCommand : HzConfigCmdlet
{
    private const string ListSet = "List";
    private const string IdSet = "Id";

    /// <summary>How many runs, newest first (after -State and -Operation).</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, 100_000)]
    public int Last { get; set; } = 10;

    /// <summary>Only runs that ended in these states.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public ReportState[]? State { get; set; }

    /// <summary>Only these operations (Sync, Consolidate, Init, FullPackage...); wildcards allowed; a name that is no operation is an error.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ValidateOperation]
    [ArgumentCompleter(typeof(OperationCompleter))]
    public string[]? Operation { get; set; }

    /// <summary>The runs to show, by report id (what every operation cmdlet and Get-HzSyncReport output as Id).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("RunId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ReportIdCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>Output the runs' detail lines (sites, tables, conflicts, errors) instead of one row per run.</summary>
    [Parameter]
    public SwitchParameter Detail { get; set; }

    /// <summary>The report store of each node met so far, by configuration path: a record reads its own node's reports.</summary>
    private readonly Dictionary<string, (ReportStore Store, string ConfigPath)> _stores = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        var path = ResolvedConfigPath;
        if (!_stores.TryGetValue(path, out var node))
        {
            if (!TryLoadConfig(out var config)) return;
            node = (new ReportStore(config.Resolve(config.Reports.Folder), config.Reports.Keep), config.ConfigPath ?? path);
            _stores[path] = node;
            WriteVerbose($"Reports of {config.Site.Code} in {node.Store.Folder}.");
        }
        var (store, configPath) = node;
        if (ParameterSetName == IdSet)
        {
            foreach (var id in Id)
            {
                var report = store.Get(id);
                if (report is null)
                {
                    WriteHzError(new ItemNotFoundException($"No report '{id}' in {store.Folder}: list the runs with Get-HzSyncReport (only the last reports.keep are kept)."),
                        ErrorIds.ReportNotFound, ErrorCategory.ObjectNotFound, id);
                    continue;
                }
                Write(report, configPath);
            }
            return;
        }

        var operations = Operation?.Select(o => WildcardPattern.Get(o, WildcardOptions.IgnoreCase)).ToList();
        var states = State;
        Func<SyncReport, bool>? where = operations is null && states is null ? null
            : r => (states is null || states.Contains(r.State)) && (operations is null || operations.Any(p => p.IsMatch(r.Operation)));
        foreach (var report in store.List(Last, where)) Write(report, configPath);
    }

    private void Write(SyncReport report, string configPath)
    {
        if (!Detail)
        {
            WriteObject(new HzSyncRun(report, configPath));
            return;
        }
        foreach (var line in SyncReportLine.From(report)) WriteObject(line);
    }
}
