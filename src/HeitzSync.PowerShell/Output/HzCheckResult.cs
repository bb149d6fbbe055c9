using HeitzSync.Core.Checks;

namespace HeitzSync.PowerShell;

/// <summary>One check of Test-HzSiege: what was checked on which node, how it went, what was seen and what to try.</summary>
public sealed class HzCheckResult
{
    public HzCheckResult(CheckResult result, string? configPath)
    {
        if (result is null) throw new ArgumentNullException(nameof(result));
        Node = result.Node;
        Check = result.Check;
        Status = result.Status.ToString();
        ConfigPath = configPath ?? "";
        Detail = result.Detail;
        Fix = result.Fix ?? "";
    }

    /// <summary>The node that ran the check (its site code).</summary>
    public string Node { get; }

    /// <summary>What was checked: GroupKey, Database, Reachability, Tls, Login, WriteRight, ClockSkew, SiegeDocument,
    /// ModuleVersion, Schema, KeyRange; at the Siège also 'Site &lt;code&gt;' per site and KeyRanges.</summary>
    public string Check { get; }

    /// <summary>Passed, Warning (the night can run, but look at it) or Failed (the night cannot run as it should).</summary>
    public string Status { get; }

    /// <summary>What the check saw.</summary>
    public string Detail { get; }

    /// <summary>What to try when the check did not pass; empty when it passed.</summary>
    public string Fix { get; }

    /// <summary>The configuration file of the node that ran the check.</summary>
    public string ConfigPath { get; }

    public override string ToString() => $"{Status} {Check}: {Detail}";
}
