using HeitzSync.Core.Compare;

namespace HeitzSync.PowerShell;

/// <summary>How a table or a row differs between this node's database (here) and the other one (there).</summary>
public enum HzDifferenceKind
{
    /// <summary>The key exists in this node's database only.</summary>
    OnlyHere,

    /// <summary>The key exists in the other database only.</summary>
    OnlyThere,

    /// <summary>The key exists on both sides, with different content in the columns named.</summary>
    Different,

    /// <summary>The table's definition differs (or it is missing on one side); Columns says how.</summary>
    Schema,
}

/// <summary>One difference that Compare-HzDatabase found: a differing row (by key), or a table whose definition differs.</summary>
public sealed class HzDatabaseDifference
{
    private HzDatabaseDifference(string node, string table, string key, HzDifferenceKind difference, string columns)
    {
        Node = node;
        Table = table;
        Key = key;
        Difference = difference.ToString();
        Columns = columns;
    }

    internal static HzDatabaseDifference Row(string node, RowDifference row) => new(node, row.Table, row.Key, row.Kind switch
    {
        RowDifferenceKind.OnlyLeft => HzDifferenceKind.OnlyHere,
        RowDifferenceKind.OnlyRight => HzDifferenceKind.OnlyThere,
        _ => HzDifferenceKind.Different,
    }, row.Columns);

    internal static HzDatabaseDifference Schema(string node, TableComparison table) =>
        new(node, table.Table, "", HzDifferenceKind.Schema, table.SchemaDifference ?? "");

    /// <summary>The node whose database was compared (its site code).</summary>
    public string Node { get; }

    public string Table { get; }

    /// <summary>The row's primary key as text (<c>ID=12</c>, <c>SALE_ID=5, LINE_NO=2</c>, <c>CODE='YEAR'</c>); empty for a Schema difference.</summary>
    public string Key { get; }

    /// <summary>OnlyHere, OnlyThere, Different or Schema: an HzDifferenceKind's name.</summary>
    public string Difference { get; }

    /// <summary>For Different, the columns whose content differs; for Schema, how the definitions differ; else empty.</summary>
    public string Columns { get; }

    public override string ToString() => $"{Table} {Key}: {Difference} {Columns}".TrimEnd();
}
