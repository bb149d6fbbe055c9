using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>
/// What of a table both sides can be compared on: the stored columns they share (by name, in name order, so the
/// checksum does not depend on column positions) and the primary key to merge on. Whatever differs in the
/// definitions is said in <see cref="SchemaDifference"/>.
/// </summary>
internal sealed class TableShape
{
    private TableShape(IReadOnlyList<FbColumnInfo> columns, IReadOnlyList<FbColumnInfo>? keys, string? schemaDifference)
    {
        Columns = columns;
        Keys = keys;
        SchemaDifference = schemaDifference;
    }

    public IReadOnlyList<FbColumnInfo> Columns { get; }

    /// <summary>The key columns in key order, or null when there is no key common to both sides.</summary>
    public IReadOnlyList<FbColumnInfo>? Keys { get; }

    public string? SchemaDifference { get; }

    /// <param name="notCompared">Columns of this table left out on both sides (a node's local columns, which each
    /// node keeps its own way); null or empty: every stored column.</param>
    public static TableShape Of(FbTableInfo? left, FbTableInfo? right, IReadOnlyCollection<string>? notCompared = null)
    {
        var skipped = notCompared ?? Array.Empty<string>();
        List<FbColumnInfo> Stored(FbTableInfo table) =>
            table.Columns.Where(c => !c.IsComputed && !skipped.Contains(c.Name, StringComparer.Ordinal)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

        if (left is null || right is null)
        {
            var present = (left ?? right)!;
            var missing = left is null ? "the first" : "the second";
            var columns = Stored(present);
            return present.PrimaryKey.Count == 0
                ? new TableShape(columns, null, $"the table does not exist in {missing} database and has no primary key in the other")
                : new TableShape(columns, KeyColumns(present, present), $"the table does not exist in {missing} database");
        }

        var notes = new List<string>();
        var leftColumns = Stored(left);
        var rightColumns = Stored(right).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var onlyLeft = leftColumns.Where(c => !rightColumns.ContainsKey(c.Name)).Select(c => c.Name).ToList();
        var onlyRight = rightColumns.Keys.Where(n => leftColumns.All(c => c.Name != n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (onlyLeft.Count > 0) notes.Add("columns only in the first database: " + string.Join(", ", onlyLeft));
        if (onlyRight.Count > 0) notes.Add("columns only in the second database: " + string.Join(", ", onlyRight));
        var shared = leftColumns.Where(c => rightColumns.ContainsKey(c.Name)).ToList();
        foreach (var column in shared)
        {
            var other = rightColumns[column.Name];
            if (Describe(column) != Describe(other)) notes.Add($"{column.Name} is {Describe(column)} in the first database and {Describe(other)} in the second");
        }

        IReadOnlyList<FbColumnInfo>? keys = null;
        if (left.PrimaryKey.Count == 0 || right.PrimaryKey.Count == 0)
        {
            notes.Add(left.PrimaryKey.Count == 0 && right.PrimaryKey.Count == 0
                ? "no primary key in either database: rows counted, content not compared"
                : $"no primary key in the {(left.PrimaryKey.Count == 0 ? "first" : "second")} database: rows counted, content not compared");
        }
        else if (!left.PrimaryKey.SequenceEqual(right.PrimaryKey, StringComparer.Ordinal)
                 || left.PrimaryKey.Any(k => TableScan.KeyKind(Column(left, k).Type) != TableScan.KeyKind(Column(right, k).Type)))
        {
            notes.Add($"primary keys differ: ({string.Join(", ", left.PrimaryKey)}) in the first database, ({string.Join(", ", right.PrimaryKey)}) in the second; rows counted, content not compared");
        }
        else
        {
            keys = KeyColumns(left, right);
        }
        return new TableShape(shared, keys, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    /// <summary>The key columns; a text key is read at the larger of the two byte lengths so neither side is cut.</summary>
    private static List<FbColumnInfo> KeyColumns(FbTableInfo left, FbTableInfo right) =>
        left.PrimaryKey.Select(k => Column(left, k) with { Length = Math.Max(Column(left, k).Length, Column(right, k).Length) }).ToList();

    private static FbColumnInfo Column(FbTableInfo table, string name) => table.Columns.First(c => c.Name == name);

    private static string Describe(FbColumnInfo c) => c.Type switch
    {
        FbDbType.Char or FbDbType.VarChar => $"{c.Type}({c.CharacterLength}) {c.CharsetName}",
        FbDbType.Numeric => $"NUMERIC({c.Precision},{-c.Scale})",
        FbDbType.TextBlob => $"text BLOB {c.CharsetName}",
        _ => c.Type.ToString(),
    };
}
