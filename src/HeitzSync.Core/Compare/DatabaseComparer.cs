using HeitzSync.Core.Night;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>
/// Proves that two databases hold the same rows: for each table, both sides are read in primary-key order at the
/// same time and merged (a merge join), comparing every column's exact bytes: text as stored (through a NONE
/// attachment, so WIN1252, ISO8859_1 and UTF8 text compare byte for byte), blobs by content, numbers, dates and
/// times exactly. Only the current row of each side is in memory. Each side is read in one read-only snapshot for
/// the whole comparison, so all its tables are seen as of one instant while the business keeps working.
/// </summary>
public static class DatabaseComparer
{
    public const int MaxDifferencesPerTable = 20;

    /// <summary>Compares <paramref name="tables"/> (exact names, e.g. <c>MEMBERS</c> or <c>Accounting Entries</c>) between
    /// <paramref name="left"/> (the first database, usually the master) and <paramref name="right"/>. <paramref name="progress"/>
    /// hears of each table before it is read ("Compare", the table, the percentage of tables done).
    /// <paramref name="notCompared"/>: per table (exact name), columns left out on both sides (the local columns each
    /// node keeps its own way); null: every stored column of every table.</summary>
    public static IReadOnlyList<TableComparison> Compare(FbConnection left, FbConnection right, IEnumerable<string> tables,
        int maxDifferencesPerTable = MaxDifferencesPerTable, CancellationToken cancellationToken = default, IProgress<SyncProgress>? progress = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? notCompared = null) =>
        Compare(left, right, tables, maxDifferencesPerTable, cancellationToken, progress, checkpoint: null, notCompared);

    /// <summary><see cref="Compare(FbConnection, FbConnection, IEnumerable{string}, int, CancellationToken, IProgress{SyncProgress}?)"/>
    /// with a <paramref name="checkpoint"/> in the middle of each table's merge (where a test measures what a comparison holds).</summary>
    internal static IReadOnlyList<TableComparison> Compare(FbConnection left, FbConnection right, IEnumerable<string> tables,
        int maxDifferencesPerTable, CancellationToken cancellationToken, IProgress<SyncProgress>? progress, RowCheckpoint? checkpoint,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? notCompared = null)
    {
        if (left is null) throw new ArgumentNullException(nameof(left));
        if (right is null) throw new ArgumentNullException(nameof(right));
        if (tables is null) throw new ArgumentNullException(nameof(tables));
        if (maxDifferencesPerTable < 0) throw new ArgumentOutOfRangeException(nameof(maxDifferencesPerTable), maxDifferencesPerTable, "Cannot be negative.");
        using var leftSide = ComparedSide.Open(left);
        using var rightSide = ComparedSide.Open(right);
        var results = new List<TableComparison>();
        var list = tables.ToList();
        foreach (var table in list)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new SyncProgress("Compare", $"{table} ({results.Count + 1} of {list.Count})", 100 * results.Count / Math.Max(1, list.Count)));
            var differences = new List<RowDifference>();
            var skipped = NotComparedIn(notCompared, table);
            results.Add(CompareTable(leftSide, rightSide, table, skipped, cancellationToken, (scan, kind, columns) =>
            {
                if (differences.Count < maxDifferencesPerTable) differences.Add(new RowDifference(table, scan.KeyText, kind, columns));
            }, differences, checkpoint, out _) with { NotCompared = skipped });
        }
        return results;
    }

    /// <summary>
    /// Every key (as parameter values, text keys as their exact bytes) whose row differs between the two databases or
    /// exists on one side only, in key order. Used to re-queue drifted rows; holds the differing keys only.
    /// </summary>
    public static IReadOnlyList<object?[]> DifferingKeys(FbConnection left, FbConnection right, string table, IReadOnlyList<string>? notCompared = null,
        CancellationToken cancellationToken = default)
    {
        if (left is null) throw new ArgumentNullException(nameof(left));
        if (right is null) throw new ArgumentNullException(nameof(right));
        using var leftSide = ComparedSide.Open(left);
        using var rightSide = ComparedSide.Open(right);
        var keys = new List<object?[]>();
        var comparison = CompareTable(leftSide, rightSide, table, notCompared ?? Array.Empty<string>(), cancellationToken,
            (scan, _, _) => keys.Add(scan.KeyValues), Array.Empty<RowDifference>(), null, out var merged);
        if (!merged) throw new InvalidOperationException($"{table} cannot be compared row by row: {comparison.SchemaDifference}.");
        return keys;
    }

    /// <summary>The merge join of one table. <paramref name="onDifference"/> gets the scan positioned on the differing row;
    /// <paramref name="merged"/> is false when the two sides have no common key to merge on (rows are then only counted).</summary>
    private static TableComparison CompareTable(ComparedSide left, ComparedSide right, string table, IReadOnlyList<string> notCompared, CancellationToken cancellationToken,
        Action<TableScan, RowDifferenceKind, string> onDifference, IReadOnlyList<RowDifference> differences, RowCheckpoint? checkpoint, out bool merged)
    {
        merged = false;
        var leftInfo = left.Table(table);
        var rightInfo = right.Table(table);
        if (leftInfo is null && rightInfo is null)
        {
            return new TableComparison(table, 0, 0, "", "", 0, "the table does not exist in either database", differences);
        }
        var shape = TableShape.Of(leftInfo, rightInfo, notCompared);
        if (shape.Keys is null)
        {
            // No key to merge on: count rows only and say why.
            return new TableComparison(table, left.Count(leftInfo), right.Count(rightInfo), "", "", 0, shape.SchemaDifference, differences);
        }

        merged = true;
        using var leftScan = leftInfo is null ? TableScan.Absent(table) : left.Scan(table, shape, cancellationToken);
        using var rightScan = rightInfo is null ? TableScan.Absent(table) : right.Scan(table, shape, cancellationToken);
        long differing = 0;
        long steps = 0;
        var hasLeft = leftScan.Next();
        var hasRight = rightScan.Next();
        while (hasLeft || hasRight)
        {
            if (checkpoint is not null && ++steps % checkpoint.Every == 0) checkpoint.Reached(steps);
            var order = !hasLeft ? 1 : !hasRight ? -1 : TableScan.CompareKeys(leftScan.Key, rightScan.Key);
            if (order < 0)
            {
                differing++;
                onDifference(leftScan, RowDifferenceKind.OnlyLeft, "");
                hasLeft = leftScan.Next();
            }
            else if (order > 0)
            {
                differing++;
                onDifference(rightScan, RowDifferenceKind.OnlyRight, "");
                hasRight = rightScan.Next();
            }
            else
            {
                var changed = DifferingColumns(shape.Columns, leftScan.Cells, rightScan.Cells);
                if (changed.Length > 0)
                {
                    differing++;
                    onDifference(leftScan, RowDifferenceKind.ColumnsDiffer, changed);
                }
                hasLeft = leftScan.Next();
                hasRight = rightScan.Next();
            }
        }
        return new TableComparison(table, leftScan.Rows, rightScan.Rows, leftScan.Checksum, rightScan.Checksum, differing, shape.SchemaDifference, differences);
    }

    private static IReadOnlyList<string> NotComparedIn(IReadOnlyDictionary<string, IReadOnlyList<string>>? notCompared, string table) =>
        notCompared is not null && notCompared.TryGetValue(table, out var columns) ? columns : Array.Empty<string>();

    private static string DifferingColumns(IReadOnlyList<FbColumnInfo> columns, byte[][] left, byte[][] right)
    {
        var names = new List<string>();
        for (var i = 0; i < columns.Count; i++)
        {
            if (!left[i].AsSpan().SequenceEqual(right[i])) names.Add(columns[i].Name);
        }
        return string.Join(", ", names);
    }
}

/// <summary>A call every <paramref name="Every"/> steps of a table's merge, with the steps so far: a test measures there
/// what a comparison holds in the middle of a table.</summary>
internal sealed record RowCheckpoint(int Every, Action<long> Reached);
