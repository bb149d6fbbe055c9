using System.Text.RegularExpressions;

namespace HeitzSync.Core.Configuration;

public enum TableClass { Synchronised, LocalOnly, Excluded }

/// <summary>Which tables travel: glob patterns (<c>*</c>, <c>?</c>) on table names, case-insensitive.</summary>
public sealed record TableRules
{
    public IReadOnlyList<string> Include { get; init; } = new[] { "*" };
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();
    /// <summary>Tables local by nature (workstation settings): never leave the site, may lack a primary key.</summary>
    public IReadOnlyList<string> LocalOnly { get; init; } = Array.Empty<string>();
    /// <summary>Tables where, in a conflict, the Siège's version wins.</summary>
    public IReadOnlyList<string> SiegeWins { get; init; } = Array.Empty<string>();
    /// <summary>Business triggers switched off while HeitzSync applies replicated rows (side effects must not run twice).</summary>
    public IReadOnlyList<string> TriggersOffDuringApply { get; init; } = Array.Empty<string>();

    public TableClass Classify(string table)
    {
        if (Matches(LocalOnly, table)) return TableClass.LocalOnly;
        if (Matches(Exclude, table) || !Matches(Include, table)) return TableClass.Excluded;
        return TableClass.Synchronised;
    }

    private static bool Matches(IEnumerable<string> patterns, string table) =>
        patterns.Any(p => Regex.IsMatch(table, "^" + Regex.Escape(p).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant));
}
