using HeitzSync.Core.Compare;

namespace HeitzSync.PowerShell;

/// <summary>One table compared by Compare-HzDatabase -Summary: row counts and SHA-256 checksums of both sides.</summary>
public sealed class HzTableComparison
{
    public HzTableComparison(string node, string here, string there, TableComparison table)
    {
        if (table is null) throw new ArgumentNullException(nameof(table));
        Node = node;
        Table = table.Table;
        Identical = table.Identical;
        RowsHere = table.RowsLeft;
        RowsThere = table.RowsRight;
        DifferingRows = table.DifferingRows;
        SchemaDifference = table.SchemaDifference ?? "";
        NotCompared = string.Join(", ", table.NotCompared);
        ChecksumHere = table.ChecksumLeft;
        ChecksumThere = table.ChecksumRight;
        Here = here;
        There = there;
    }

    /// <summary>The node whose database was compared (its site code).</summary>
    public string Node { get; }

    public string Table { get; }

    /// <summary>Same columns, same keys, same content in every row.</summary>
    public bool Identical { get; }

    /// <summary>Rows in this node's database.</summary>
    public long RowsHere { get; }

    /// <summary>Rows in the other database.</summary>
    public long RowsThere { get; }

    /// <summary>Keys that exist on one side only or whose content differs.</summary>
    public long DifferingRows { get; }

    /// <summary>How the table's definitions differ; empty when they match.</summary>
    public string SchemaDifference { get; }

    /// <summary>The table's local columns (tables.localColumns), left out of the comparison and the checksums: each node
    /// keeps them its own way. Empty when the table has none.</summary>
    public string NotCompared { get; }

    /// <summary>SHA-256 (hex) over every compared column of every row in key order, in this node's database.</summary>
    public string ChecksumHere { get; }

    /// <summary>The same checksum in the other database: equal checksums mean equal content.</summary>
    public string ChecksumThere { get; }

    /// <summary>This node's database (no password).</summary>
    public string Here { get; }

    /// <summary>The other database (no password).</summary>
    public string There { get; }

    public override string ToString() => $"{Table}: {RowsHere} / {RowsThere} rows, " + (Identical ? "identical" : $"{DifferingRows} differing row(s)");
}
