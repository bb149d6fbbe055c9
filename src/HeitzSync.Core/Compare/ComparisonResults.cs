namespace HeitzSync.Core.Compare;

/// <summary>How a row differs between the first (left) and the second (right) database.</summary>
public enum RowDifferenceKind
{
    /// <summary>The key exists in the first database only.</summary>
    OnlyLeft,

    /// <summary>The key exists in the second database only.</summary>
    OnlyRight,

    /// <summary>The key exists on both sides, with different content in the columns named.</summary>
    ColumnsDiffer,
}

/// <summary>One differing row: its table, its key as text (<c>ID=12</c>, <c>SALE_ID=5, LINE_NO=2</c>, <c>CODE='YEAR'</c>),
/// how it differs and, for <see cref="RowDifferenceKind.ColumnsDiffer"/>, which columns.</summary>
public sealed record RowDifference(string Table, string Key, RowDifferenceKind Kind, string Columns)
{
    /// <summary>A sentence for people and logs.</summary>
    public string What => Kind switch
    {
        RowDifferenceKind.OnlyLeft => "only in the first database",
        RowDifferenceKind.OnlyRight => "only in the second database",
        _ => "columns differ: " + Columns,
    };

    public override string ToString() => $"{Table} {Key}: {What}";
}

/// <summary>
/// One table compared across two databases, full row content. Checksums are SHA-256 (hex) over every compared
/// column's exact bytes, rows in key order: equal checksums mean equal content, whichever machine computed them.
/// <see cref="Differences"/> lists the first differing rows only; <see cref="DifferingRows"/> counts them all.
/// </summary>
public sealed record TableComparison(
    string Table,
    long RowsLeft,
    long RowsRight,
    string ChecksumLeft,
    string ChecksumRight,
    long DifferingRows,
    string? SchemaDifference,
    IReadOnlyList<RowDifference> Differences)
{
    /// <summary>Same columns, same keys, same content in every row.</summary>
    public bool Identical => SchemaDifference is null && DifferingRows == 0 && RowsLeft == RowsRight && ChecksumLeft == ChecksumRight;

    /// <summary>The table's local columns (<c>tables.localColumns</c>), left out of the comparison and the checksums: each
    /// node keeps them its own way, so they may rightly differ.</summary>
    public IReadOnlyList<string> NotCompared { get; init; } = Array.Empty<string>();

    public override string ToString() =>
        $"{Table}: {RowsLeft} / {RowsRight} rows, " + (Identical ? "identical" : $"{DifferingRows} differing row(s)" + (SchemaDifference is null ? "" : "; " + SchemaDifference))
        + (NotCompared.Count == 0 ? "" : $" (local column(s) not compared: {string.Join(", ", NotCompared)})");
}
