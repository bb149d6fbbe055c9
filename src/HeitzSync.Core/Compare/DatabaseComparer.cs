using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>One difference between two databases: a key missing on one side, or the columns that differ.</summary>
public sealed record RowDifference(string Table, string Key, string What);

/// <summary>One table compared across two databases, full row content (text and blobs byte for byte).</summary>
public sealed record TableComparison(string Table, long RowsLeft, long RowsRight, string ChecksumLeft, string ChecksumRight, IReadOnlyList<RowDifference> Differences)
{
    public bool Identical => RowsLeft == RowsRight && ChecksumLeft == ChecksumRight;
}

/// <summary>
/// Compares tables of two databases row by row: each row becomes a key and a SHA-256 of every column's exact
/// bytes (so WIN1252 text and blobs compare byte for byte). Rows are streamed; only the key and a 32-byte hash per
/// row of the left side are held, never the rows themselves.
/// </summary>
public static class DatabaseComparer
{
    public const int MaxDifferencesPerTable = 20;

    public static IReadOnlyList<TableComparison> Compare(FbConnection left, FbConnection right, IEnumerable<string> tables)
    {
        var results = new List<TableComparison>();
        foreach (var table in tables)
        {
            var leftRows = new Dictionary<string, string>(StringComparer.Ordinal);
            var leftChecksum = Scan(left, table, (key, _, hash) => leftRows[key] = hash, out var leftCount);
            var differences = new List<RowDifference>();
            var rightChecksum = Scan(right, table, (key, _, hash) =>
            {
                if (!leftRows.TryGetValue(key, out var other))
                {
                    if (differences.Count < MaxDifferencesPerTable) differences.Add(new RowDifference(table, key, "only in the second database"));
                    return;
                }
                if (other != hash && differences.Count < MaxDifferencesPerTable) differences.Add(new RowDifference(table, key, "different content"));
                leftRows.Remove(key);
            }, out var rightCount);
            foreach (var key in leftRows.Keys.Take(Math.Max(0, MaxDifferencesPerTable - differences.Count)))
            {
                differences.Add(new RowDifference(table, key, "only in the first database"));
            }
            results.Add(new TableComparison(table, leftCount, rightCount, leftChecksum, rightChecksum, differences));
        }
        return results;
    }

    /// <summary>Every key (as typed values) whose row differs between the two databases or exists on one side only.</summary>
    public static IReadOnlyList<object?[]> DifferingKeys(FbConnection left, FbConnection right, string table)
    {
        var leftRows = new Dictionary<string, (object?[] Key, string Hash)>(StringComparer.Ordinal);
        Scan(left, table, (key, values, hash) => leftRows[key] = (values, hash), out _);
        var differing = new List<object?[]>();
        Scan(right, table, (key, values, hash) =>
        {
            if (!leftRows.TryGetValue(key, out var other)) differing.Add(values);
            else
            {
                if (other.Hash != hash) differing.Add(values);
                leftRows.Remove(key);
            }
        }, out _);
        differing.AddRange(leftRows.Values.Select(v => v.Key));
        return differing;
    }

    /// <summary>Reads a table ordered by its key; returns the checksum of the whole table (row hashes in key order).</summary>
    private static string Scan(FbConnection connection, string table, Action<string, object?[], string> onRow, out long count)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        var info = connection.Schema.GetTable(tx, table) ?? throw new InvalidOperationException($"Table {table} does not exist in {connection.Settings}.");
        if (info.PrimaryKey.Count == 0) throw new InvalidOperationException($"Table {table} has no primary key and cannot be compared row by row.");
        var keyPositions = info.PrimaryKey.Select(k => info.Columns.ToList().FindIndex(c => c.Name == k)).ToArray();
        var columns = string.Join(", ", info.Columns.Select(c => FbSql.QuoteIdentifier(c.Name)));
        var order = string.Join(", ", info.PrimaryKey.Select(FbSql.QuoteIdentifier));
        using var command = connection.Prepare(tx, $"SELECT {columns} FROM {FbSql.QuoteIdentifier(table)} ORDER BY {order}");
        using var reader = command.ExecuteReader();
        using var tableHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        count = 0;
        while (reader.Read())
        {
            using var rowHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var cell = CellBytes(reader, i);
                rowHash.AppendData(BitConverter.GetBytes(cell?.Length ?? -1));
                if (cell is not null) rowHash.AppendData(cell);
            }
            var hash = Convert.ToBase64String(rowHash.GetHashAndReset());
            var key = string.Join(", ", keyPositions.Select(p => KeyText(reader, p)));
            tableHash.AppendData(Encoding.UTF8.GetBytes(key + "=" + hash + "\n"));
            onRow(key, keyPositions.Select(p => KeyValue(reader, p)).ToArray(), hash);
            count++;
        }
        return Convert.ToBase64String(tableHash.GetHashAndReset());
    }

    private static byte[]? CellBytes(FbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) return null;
        return reader.GetColumn(i).Type switch
        {
            FbDbType.Char or FbDbType.VarChar or FbDbType.Blob or FbDbType.TextBlob => reader.GetBytes(i),
            _ => Encoding.UTF8.GetBytes(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? ""),
        };
    }

    /// <summary>A key value as a parameter: text keys as their exact bytes, so they match whatever the charset.</summary>
    private static object? KeyValue(FbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null
        : reader.GetColumn(i).Type is FbDbType.Char or FbDbType.VarChar ? new FbRawText(reader.GetBytes(i))
        : reader.GetValue(i);

    private static string KeyText(FbDataReader reader, int i) =>
        reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)?.TrimEnd() ?? "";
}
