using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>The version row of one key, as the receiving database has it.</summary>
internal sealed record VersionRow(long Sequence, long Tx, string Origin, DateTime ChangedAtUtc, char Op);

/// <summary>
/// Prepared statements that apply one table's changes inside an apply transaction: upsert or delete the business
/// row, read and write its version row. Prepared once per table and reused for every row.
/// </summary>
internal sealed class TableApplier : IDisposable
{
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly bool _masterVersions;
    private readonly int[] _keyPositions;
    private FbCommand? _upsert;
    private FbCommand? _delete;
    private FbCommand? _readVersion;
    private FbCommand? _writeVersion;

    /// <param name="masterVersions">True at the Siège: version rows take a new master sequence; false at a site: applied rows have nothing to send.</param>
    public TableApplier(FbConnection connection, FbTransaction transaction, SyncTable table, bool masterVersions)
    {
        _connection = connection;
        _transaction = transaction;
        _masterVersions = masterVersions;
        Table = table;
        _keyPositions = table.KeyColumns.Select(k => IndexOf(table.Columns, k.Name)).ToArray();
    }

    public SyncTable Table { get; }

    public object?[] KeyOf(object?[] rowValues) => _keyPositions.Select(i => rowValues[i]).ToArray();

    public void Upsert(object?[] rowValues)
    {
        _upsert ??= _connection.Prepare(_transaction,
            $"UPDATE OR INSERT INTO {Table.Quoted} ({string.Join(", ", Table.Columns.Select(c => c.Quoted))}) " +
            $"VALUES ({string.Join(", ", Table.Columns.Select(_ => "?"))}) MATCHING ({KeyList()})");
        _upsert.ExecuteNonQuery(rowValues);
    }

    public void Delete(object?[] key)
    {
        _delete ??= _connection.Prepare(_transaction, $"DELETE FROM {Table.Quoted} WHERE {KeyWhere("")}");
        _delete.ExecuteNonQuery(key);
    }

    public VersionRow? ReadVersion(object?[] key)
    {
        _readVersion ??= _connection.Prepare(_transaction,
            $"SELECT SEQ, TX, ORIGIN, CHANGED_AT, OP FROM {Table.VersionTable} WHERE {KeyWhere("")}");
        using var reader = _readVersion.ExecuteReader(key);
        if (!reader.Read()) return null;
        return new VersionRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2).Trim(), LocalClock.ToUtc(reader.GetDateTime(3)), reader.GetString(4)[0]);
    }

    /// <summary>Records the applied change. At the Siège it takes the next master sequence (so it is published);
    /// at a site it gets sequence 0 (nothing to send) and remembers the master sequence as its base.</summary>
    public void WriteVersion(object?[] key, char op, DateTime changedAtUtc, string origin, long baseSequence)
    {
        var keys = KeyList();
        var sequence = _masterVersions ? $"GEN_ID({CaptureObjects.Sequence}, 1), CURRENT_TRANSACTION" : "0, 0";
        _writeVersion ??= _connection.Prepare(_transaction,
            $"UPDATE OR INSERT INTO {Table.VersionTable} ({keys}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
            $"VALUES ({string.Join(", ", Table.KeyColumns.Select(_ => "?"))}, {sequence}, ?, ?, ?, ?) MATCHING ({keys})");
        var args = new object?[key.Length + 4];
        key.CopyTo(args, 0);
        args[key.Length] = op.ToString();
        args[key.Length + 1] = LocalClock.ToLocal(changedAtUtc);
        args[key.Length + 2] = origin;
        args[key.Length + 3] = baseSequence;
        _writeVersion.ExecuteNonQuery(args);
    }

    private string KeyList() => string.Join(", ", Table.KeyColumns.Select(c => c.Quoted));

    private string KeyWhere(string alias) => string.Join(" AND ", Table.KeyColumns.Select(c => $"{alias}{c.Quoted} = ?"));

    private static int IndexOf(IReadOnlyList<SyncColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name == name) return i;
        }
        throw new InvalidOperationException($"Key column {name} is not among the carried columns.");
    }

    public void Dispose()
    {
        _upsert?.Dispose();
        _delete?.Dispose();
        _readVersion?.Dispose();
        _writeVersion?.Dispose();
    }
}
