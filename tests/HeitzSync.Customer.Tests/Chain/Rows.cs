using System.Globalization;
using System.Security.Cryptography;
using HeitzSync.Firebird;

namespace HeitzSync.Customer.Tests.Chain;

/// <summary>One row as text: column name → cell (text and blobs as their exact bytes in hex, numbers and times invariant).</summary>
public sealed class Row
{
    public Row(IReadOnlyDictionary<string, string> cells) => Cells = cells;

    public IReadOnlyDictionary<string, string> Cells { get; }

    public string this[string column] => Cells[column];

    /// <summary>The columns where <paramref name="other"/> differs, <paramref name="ignored"/> left out.</summary>
    public IReadOnlyList<string> Differences(Row other, IReadOnlyCollection<string> ignored) =>
        Cells.Keys.Where(c => !ignored.Contains(c) && (!other.Cells.TryGetValue(c, out var v) || v != Cells[c])).ToList();

    public string Describe(IReadOnlyCollection<string>? ignored = null) =>
        string.Join(", ", Cells.Where(c => ignored is null || !ignored.Contains(c.Key)).Select(c => $"{c.Key}={c.Value}"));
}

/// <summary>Reads rows of the customer's tables through a NONE attachment (text as stored, byte for byte).</summary>
public static class Rows
{
    /// <summary>Every row of <paramref name="table"/>, by key text (<see cref="KeyText"/>).</summary>
    public static Dictionary<string, Row> ReadTable(FbConnection connection, FbTransaction tx, string table)
    {
        var info = connection.Schema.GetTable(tx, table) ?? throw new InvalidOperationException($"no table {table} in {connection.Settings.Database}");
        using var command = connection.Prepare(tx, $"SELECT * FROM {FbSql.QuoteIdentifier(table)}");
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var row = ReadCurrent(reader);
            rows.Add(KeyText(info.PrimaryKey.Select(k => row[k])), row);
        }
        return rows;
    }

    /// <summary>The row of <paramref name="table"/> under <paramref name="key"/> (single or composite key values), or null.</summary>
    public static Row? ReadRow(FbConnection connection, FbTransaction tx, string table, params object[] key)
    {
        var info = connection.Schema.GetTable(tx, table) ?? throw new InvalidOperationException($"no table {table}");
        var where = string.Join(" AND ", info.PrimaryKey.Select(k => $"{FbSql.QuoteIdentifier(k)} = ?"));
        using var command = connection.Prepare(tx, $"SELECT * FROM {FbSql.QuoteIdentifier(table)} WHERE {where}");
        using var reader = command.ExecuteReader(key);
        return reader.Read() ? ReadCurrent(reader) : null;
    }

    /// <summary>The text of a key as <see cref="ReadTable"/> indexes it: values joined by '|'.</summary>
    public static string KeyText(IEnumerable<object> values) => string.Join("|", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));

    private static string KeyText(IEnumerable<string> cells) => string.Join("|", cells);

    private static Row ReadCurrent(FbDataReader reader)
    {
        var cells = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++) cells[reader.GetName(i)] = Cell(reader, i);
        return new Row(cells);
    }

    private static string Cell(FbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) return "NULL";
        return reader.GetColumn(i).Type switch
        {
            FbDbType.Char or FbDbType.VarChar => Convert.ToHexString(reader.GetBytes(i)),
            FbDbType.Blob or FbDbType.TextBlob => Convert.ToHexString(SHA256.HashData(reader.GetBytes(i))),
            FbDbType.Timestamp => reader.GetDateTime(i).ToString("yyyy-MM-dd HH:mm:ss.ffff", CultureInfo.InvariantCulture),
            _ => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "",
        };
    }
}
