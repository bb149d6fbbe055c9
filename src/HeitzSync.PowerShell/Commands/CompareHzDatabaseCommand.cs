using System.Management.Automation;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Firebird;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Compares every synchronised table, full row content, between this node's database and another one (a site's, or a
/// copy of it): one HzDatabaseDifference per differing key (and per table whose definition differs), or with -Summary
/// one HzTableComparison per table. Reads only. With -Repair (Siège), re-queues the differing keys in the master so
/// that the next night brings the other database in line: that changes the master, so it asks for confirmation.
/// </summary>
[Cmdlet(VerbsData.Compare, "HzDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = CompareSet)]
[OutputType(typeof(HzDatabaseDifference), ParameterSetName = new[] { CompareSet })]
[OutputType(typeof(HzTableComparison), ParameterSetName = new[] { CompareSet })]
[OutputType(typeof(HzRepairResult), ParameterSetName = new[] { RepairSet })]
public sealed class CompareHzDatabaseCommand : HzConfigCmdlet
{
    private const string CompareSet = "Compare";
    private const string RepairSet = "Repair";

    /// <summary>The other database: a file path (embedded), or host/port:path on a Firebird server (with -ServerPasswordSecret).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("With")]
    [ValidateNotNullOrEmpty]
    public string Database { get; set; } = "";

    /// <summary>The name of this node's stored secret holding the other server's SYSDBA password (Set-HzSyncCredential -Name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServerPasswordSecret { get; set; }

    /// <summary>Only these synchronised tables (wildcards allowed); default: all of them.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TableCompleter))]
    public string[]? Table { get; set; }

    /// <summary>One HzTableComparison per table (rows, checksums, identical or not) instead of the differing keys.</summary>
    [Parameter(ParameterSetName = CompareSet)]
    public SwitchParameter Summary { get; set; }

    /// <summary>Siège: re-queue every differing key in the master so that the next night fixes the other database.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RepairSet)]
    public SwitchParameter Repair { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        if (Repair && config.Role != NodeRole.Siege)
        {
            WriteHzError(new InvalidOperationException(
                    $"{config.ConfigPath} is the configuration of site {config.Site.Code}: repairs are queued at the Siège, from the master. " +
                    "Run Compare-HzDatabase -Repair with the Siège's configuration and the drifted site's database (or a copy of it)."),
                ErrorIds.NotSiege, ErrorCategory.InvalidOperation, config.ConfigPath);
            return;
        }

        FbConnectionSettings target;
        try
        {
            target = DatabaseComparison.Target(config, Database, ServerPasswordSecret,
                DatabaseComparison.IsServerSpec(Database) ? null : ResolvePath);
        }
        catch (ArgumentException ex)
        {
            WriteHzError(ex, ErrorIds.CompareTargetInvalid, ErrorCategory.InvalidArgument, Database);
            return;
        }
        catch (InvalidOperationException ex)
        {
            WriteHzError(ex, ErrorIds.CompareTargetInvalid, ErrorCategory.ObjectNotFound, ServerPasswordSecret);
            return;
        }

        DatabaseComparison comparison;
        try
        {
            comparison = DatabaseComparison.Open(config, target, Table);
        }
        catch (Exception ex) when (ex is FbException or InvalidOperationException or CaptureSetupException)
        {
            WriteHzError(ex, ErrorIds.DatabaseUnavailable, ErrorCategory.ResourceUnavailable, target.ToString());
            return;
        }
        using (comparison)
        {
            Run(config, comparison);
        }
    }

    private void Run(HzSyncConfig config, DatabaseComparison comparison)
    {
        var node = config.Site.Code;
        WriteVerbose($"{node}: comparing {comparison.Here} with {comparison.There}: {comparison.Tables.Count} table(s) ({string.Join(", ", comparison.Tables)}).");
        if (comparison.Tables.Count == 0)
        {
            WriteWarning(Table is null
                ? $"{comparison.Here} has no synchronised table installed: run Initialize-HzSite first."
                : $"No synchronised table of {comparison.Here} matches {string.Join(", ", Table)}.");
            return;
        }

        var progress = ProgressFor<SyncProgress>(ProgressRecordOf);
        IReadOnlyList<TableComparison> tables;
        try
        {
            tables = RunAsync(ct => Task.Run(() => comparison.Compare(progress, ct), ct));
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            return;   // Ctrl+C: nothing was changed
        }
        catch (FbException ex)
        {
            WriteHzError(ex, ErrorIds.DatabaseUnavailable, ErrorCategory.ReadError, comparison.There);
            return;
        }
        finally
        {
            CompleteProgress();
        }

        foreach (var table in tables)
        {
            WriteVerbose(table.ToString());
            if (Repair && table.SchemaDifference is not null)
            {
                WriteWarning($"{table.Table}: {table.SchemaDifference}. A repair re-queues rows, not definitions: bring both databases to the same schema first.");
            }
            if (table.DifferingRows > table.Differences.Count && !Summary && !Repair)
            {
                WriteWarning($"{table.Table}: {table.DifferingRows} differing row(s), only the first {table.Differences.Count} are listed.");
            }
        }

        if (!Repair)
        {
            foreach (var table in tables)
            {
                if (Summary)
                {
                    WriteObject(new HzTableComparison(node, comparison.Here, comparison.There, table));
                    continue;
                }
                if (table.SchemaDifference is not null) WriteObject(HzDatabaseDifference.Schema(node, table));
                foreach (var row in table.Differences) WriteObject(HzDatabaseDifference.Row(node, row));
            }
            return;
        }

        var differing = tables.Where(t => t.DifferingRows > 0).ToList();
        if (differing.Count == 0)
        {
            WriteVerbose($"{comparison.There} holds the same rows as the master: nothing to re-queue.");
            return;
        }
        var keys = differing.Sum(t => t.DifferingRows);
        if (!ShouldProcess($"master {comparison.Here}",
                $"Re-queue {keys} differing key(s) of {string.Join(", ", differing.Select(t => t.Table))} so that the next night brings {comparison.There} in line"))
        {
            return;
        }
        RepairResult repaired;
        try
        {
            repaired = comparison.Repair();
        }
        catch (Exception ex) when (ex is FbException or InvalidOperationException or CaptureSetupException)
        {
            WriteHzError(ex, ErrorIds.RepairFailed, ErrorCategory.WriteError, comparison.Here);
            return;
        }
        WriteVerbose($"{repaired.KeysRequeued} key(s) re-queued: the next night brings {comparison.There} in line.");
        foreach (var pair in repaired.PerTable.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteObject(new HzRepairResult(node, pair.Key, pair.Value, comparison.There));
        }
    }
}
