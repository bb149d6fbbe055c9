namespace HeitzSync.Core.Capture;

/// <summary>
/// tables.additiveColumns and tables.localColumns: <c>TABLE.COLUMN</c> names, matched without regard to case (the last
/// dot separates the table from the column, so a quoted table name may hold dots of its own).
/// </summary>
public sealed class ColumnDeclarations
{
    public static readonly ColumnDeclarations None = new(Array.Empty<string>(), Array.Empty<string>());

    private readonly HashSet<(string Table, string Column)> _additive;
    private readonly HashSet<(string Table, string Column)> _local;

    public ColumnDeclarations(IEnumerable<string> additive, IEnumerable<string> local)
    {
        Additive = additive.ToList();
        Local = local.ToList();
        _additive = new HashSet<(string, string)>(Additive.Select(Parse).Where(p => p is not null).Select(p => p!.Value), Comparer);
        _local = new HashSet<(string, string)>(Local.Select(Parse).Where(p => p is not null).Select(p => p!.Value), Comparer);
    }

    public IReadOnlyList<string> Additive { get; }
    public IReadOnlyList<string> Local { get; }

    /// <summary>Additive, Local, or null for a column carried as it is.</summary>
    public ColumnKind? KindOf(string table, string column) =>
        _additive.Contains((table, column)) ? ColumnKind.Additive : _local.Contains((table, column)) ? ColumnKind.Local : null;

    /// <summary>The table and column of an entry, or null when it is not <c>TABLE.COLUMN</c>.</summary>
    public static (string Table, string Column)? Parse(string? entry)
    {
        if (entry is null) return null;
        var dot = entry.LastIndexOf('.');
        if (dot <= 0 || dot == entry.Length - 1) return null;
        var table = entry.Substring(0, dot).Trim().Trim('"');
        var column = entry.Substring(dot + 1).Trim().Trim('"');
        return table.Length == 0 || column.Length == 0 ? null : (table, column);
    }

    private static readonly PairComparer Comparer = new();

    private sealed class PairComparer : IEqualityComparer<(string Table, string Column)>
    {
        public bool Equals((string Table, string Column) x, (string Table, string Column) y) =>
            string.Equals(x.Table, y.Table, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Column, y.Column, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Table, string Column) pair) =>
            StringComparer.OrdinalIgnoreCase.GetHashCode(pair.Table) * 31 + StringComparer.OrdinalIgnoreCase.GetHashCode(pair.Column);
    }
}
