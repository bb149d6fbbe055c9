using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Configuration;

public enum TableClass { Synchronised, LocalOnly, Excluded }

/// <summary>
/// Which tables travel: glob patterns (<c>*</c> any run of characters, <c>?</c> one character) on table names,
/// case-insensitive. A table is local-only if it matches <see cref="LocalOnly"/>, else synchronised if it matches
/// <see cref="Include"/> and not <see cref="Exclude"/>, else excluded.
/// </summary>
public sealed record TableRules
{
    public IReadOnlyList<string> Include { get; init; } = new[] { "*" };
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>Tables local by nature (workstation settings): never leave the site, may lack a primary key.</summary>
    public IReadOnlyList<string> LocalOnly { get; init; } = Array.Empty<string>();

    /// <summary>Tables where, in a conflict, the Siège's version wins.</summary>
    public IReadOnlyList<string> SiegeWins { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Deprecated. Business triggers (trigger names) switched off for the whole database while HeitzSync applies
    /// replicated rows: for every user, so a row a user writes meanwhile misses them. Not needed any more: init adds a
    /// guard to every business trigger of the synchronised tables, which skips it for replicated rows only.
    /// </summary>
    public IReadOnlyList<string> TriggersOffDuringApply { get; init; } = Array.Empty<string>();

    /// <summary>Columns (<c>TABLE.COLUMN</c>) whose changes travel as differences and add up at every node: a stock, a
    /// balance, a counter (docs/sync-engine.md, "Derived values"). The same on every node.</summary>
    public IReadOnlyList<string> AdditiveColumns { get; init; } = Array.Empty<string>();

    /// <summary>Columns (<c>TABLE.COLUMN</c>) never carried: each node's own triggers keep them. The same on every node.</summary>
    public IReadOnlyList<string> LocalColumns { get; init; } = Array.Empty<string>();

    /// <summary>Business triggers (trigger names) that run for replicated rows too (init adds no guard to them), e.g. the
    /// trigger that keeps a local column.</summary>
    public IReadOnlyList<string> TriggersRunDuringApply { get; init; } = Array.Empty<string>();

    public TableClass Classify(string table)
    {
        if (table is null) throw new ArgumentNullException(nameof(table));
        if (Glob.MatchesAny(LocalOnly, table)) return TableClass.LocalOnly;
        if (Glob.MatchesAny(Exclude, table) || !Glob.MatchesAny(Include, table)) return TableClass.Excluded;
        return TableClass.Synchronised;
    }

    /// <summary>Whether a conflict on <paramref name="table"/> goes to the Siège's version.</summary>
    public bool IsSiegeWins(string table) => Glob.MatchesAny(SiegeWins, table ?? throw new ArgumentNullException(nameof(table)));
}

/// <summary>Case-insensitive glob matching of names (<c>*</c>, <c>?</c>); each pattern is compiled once.</summary>
internal static class Glob
{
    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);

    public static bool Matches(string pattern, string name) => ToRegex(pattern).IsMatch(name);

    public static bool MatchesAny(IEnumerable<string>? patterns, string name) =>
        patterns is not null && patterns.Any(p => p is not null && Matches(p, name));

    private static Regex ToRegex(string pattern) => Compiled.GetOrAdd(pattern, p =>
    {
        var regex = new StringBuilder("^");
        foreach (var c in p)
        {
            regex.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
    });
}
