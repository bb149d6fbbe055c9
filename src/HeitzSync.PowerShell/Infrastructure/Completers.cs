using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;
using HeitzSync.Firebird;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// Tab completion of the values an admin would otherwise look up: report operations, report ids, the Siège's sites and
/// a node's synchronised tables. Each reads the node named by -ConfigPath on the command line (or the default one);
/// whatever fails (no configuration yet, a database that cannot be opened) just completes nothing.
/// </summary>
public abstract class HzCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = WildcardPattern.Get(typed + "*", WildcardOptions.IgnoreCase);
        IEnumerable<(string Value, string Tip)> values;
        try
        {
            values = Values(fakeBoundParameters).ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Array.Empty<CompletionResult>();   // completion never throws at the user
        }
        return values.Where(v => pattern.IsMatch(v.Value))
            .Select(v => new CompletionResult(Quoted(v.Value), v.Value, CompletionResultType.ParameterValue, string.IsNullOrEmpty(v.Tip) ? v.Value : v.Tip))
            .ToList();
    }

    protected abstract IEnumerable<(string Value, string Tip)> Values(IDictionary fakeBoundParameters);

    /// <summary>The configuration -ConfigPath names (resolved against the current location), or the default one.</summary>
    protected static HzSyncConfig Config(IDictionary fakeBoundParameters)
    {
        var given = fakeBoundParameters?["ConfigPath"] as string;
        var path = string.IsNullOrEmpty(given) ? HzSyncConfigStore.DefaultPath : given!;
        // Relative to PowerShell's current location (not the process's): asked of the session completing the command.
        using (var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
        {
            var resolved = shell.AddScript("param($p) $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p)").AddArgument(path).Invoke();
            if (resolved.Count == 1 && resolved[0]?.BaseObject is string full) path = full;
        }
        return HzSyncConfigStore.Load(path);
    }

    private static string Quoted(string value) => value.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', '(', ')', ';', ',', '{', '}' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
}

/// <summary>Get-HzSyncReport -Operation: the operations a node's reports carry.</summary>
public sealed class OperationCompleter : HzCompleter
{
    protected override IEnumerable<(string Value, string Tip)> Values(IDictionary fakeBoundParameters) =>
        NodeOperations.Names.Select(n => (n, $"runs of {n}"));
}

/// <summary>Get-HzSyncReport -Id: the node's last report ids, newest first, each with its state and summary.</summary>
public sealed class ReportIdCompleter : HzCompleter
{
    protected override IEnumerable<(string Value, string Tip)> Values(IDictionary fakeBoundParameters)
    {
        var config = Config(fakeBoundParameters);
        return new ReportStore(config.Resolve(config.Reports.Folder), config.Reports.Keep).List(30)
            .Select(r => (r.Id, $"{r.State} {r.Operation} {r.StartedUtc.ToLocalTime():yyyy-MM-dd HH:mm}: {r.Summary}"));
    }
}

/// <summary>Invoke-HzConsolidation -FullPackageFor, Unregister-HzSite -Site: the sites registered in the Siège's drop (and schedule.sites).</summary>
public sealed class SiteCompleter : HzCompleter
{
    protected override IEnumerable<(string Value, string Tip)> Values(IDictionary fakeBoundParameters) =>
        NodeRunner.KnownSites(Config(fakeBoundParameters)).Select(s => (s.Value, $"site {s.Value}"));
}

/// <summary>Compare-HzDatabase -Table: the synchronised tables the capture installed in the node's database.</summary>
public sealed class TableCompleter : HzCompleter
{
    protected override IEnumerable<(string Value, string Tip)> Values(IDictionary fakeBoundParameters)
    {
        var config = Config(fakeBoundParameters);
        using var connection = FbConnection.Open(NodeContext.DatabaseSettings(config) with { Charset = "NONE" });
        return CaptureInstaller.ReadInstalledSchemaNames(connection).Select(t => (t, $"synchronised table {t}")).ToList();
    }
}

/// <summary>
/// Get-HzSyncReport -Operation: each name is a report operation, or a wildcard pattern that matches one; anything else
/// is refused when the command is bound (as ValidateSet would), rather than giving an empty result that looks like "no run".
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateOperationAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        var name = (element is PSObject wrapped ? wrapped.BaseObject : element) as string ?? "";
        var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
        if (NodeOperations.Names.Any(pattern.IsMatch)) return;
        throw new ValidationMetadataException(WildcardPattern.ContainsWildcardCharacters(name)
            ? $"'{name}' matches no HeitzSync operation; the operations are {string.Join(", ", NodeOperations.Names)}."
            : $"'{name}' is not a HeitzSync operation; use one of {string.Join(", ", NodeOperations.Names)} (wildcards allowed).");
    }
}
