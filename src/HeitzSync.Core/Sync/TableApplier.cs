using System.Globalization;
using System.Text;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// Prepared statements that apply one table's changes inside an apply transaction: upsert or delete the business
/// row, read and write its version row. Prepared once per table and reused for every row.
/// A table with additive columns is written by one EXECUTE BLOCK per row that also keeps the running totals of HZ$A_n
/// (docs/sync-engine.md, "Derived values"); local columns are never written, so each node keeps its own.
/// </summary>
internal sealed class TableApplier : IDisposable
{
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly bool _masterVersions;
    private readonly string _contributor;
    private readonly PreparedBatches? _prepared;
    private readonly int[] _keyPositions;
    private readonly int[] _additivePositions;
    private FbCommand? _upsert;
    private FbCommand? _contributions;
    private FbCommand? _delete;
    private FbCommand? _exists;
    private FbCommand? _lock;
    private FbCommand? _readVersion;
    private FbCommand? _writeVersion;
    private FbCommand? _readRow;
    private UpsertBatch? _batch;
    private bool _batchPrepared;
    private readonly Dictionary<string, FbCommand> _foreignKeyReads = new(StringComparer.Ordinal);

    /// <param name="masterVersions">True at the Siège: version rows take a new master sequence; false at a site: applied rows have nothing to send.</param>
    /// <param name="contributor">The origin under which incoming additive totals are kept in HZ$A_n: at the Siège the
    /// sending site, at a site "*" (everything the Siège sent of the other nodes).</param>
    /// <param name="prepared">Batch statements kept across this connection's transactions (null: prepared for this one).</param>
    public TableApplier(FbConnection connection, FbTransaction transaction, SyncTable table, bool masterVersions, string contributor, PreparedBatches? prepared = null)
    {
        _prepared = prepared;
        _connection = connection;
        _transaction = transaction;
        _masterVersions = masterVersions;
        _contributor = contributor;
        Table = table;
        _keyPositions = table.KeyColumns.Select(k => IndexOf(table.Columns, k.Name)).ToArray();
        _additivePositions = table.AdditiveColumns.Select(a => IndexOf(table.Columns, a.Name)).ToArray();
    }

    public SyncTable Table { get; }

    /// <summary>What the batch of this table wrote as new keys, and what it tried so in vain (<see cref="UpsertBatch.InsertsFirst"/>).</summary>
    public (long Inserted, long Missed) InsertedFirst => _batch is null ? (0, 0) : (_batch.InsertedFirst, _batch.InsertFirstMisses);

    /// <summary>Rows per call of this table's batch, once prepared (null: none, or row by row).</summary>
    public int? BatchSlots => _batch?.Slots;

    /// <summary>The batch statement of this table's upserts (prepared at the first call), or null when the table is too
    /// wide for two rows per statement.</summary>
    public UpsertBatch? Batch(FastPath fastPath, int maxRows)
    {
        if (!_batchPrepared)
        {
            _batch = UpsertBatch.Create(_connection, _transaction, this, fastPath, _masterVersions, _contributor, maxRows, _prepared);
            _batchPrepared = true;
        }
        return _batch;
    }

    public object?[] KeyOf(object?[] rowValues) => _keyPositions.Select(i => rowValues[i]).ToArray();

    /// <summary>Writes the row as it came. Its additive columns are the sender's running totals: the row takes the
    /// difference from the totals last received from that sender (a new row: the sum of every node's totals).</summary>
    public void Upsert(object?[] rowValues)
    {
        if (!Table.HasAdditive)
        {
            _upsert ??= _connection.Prepare(_transaction,
                $"UPDATE OR INSERT INTO {Table.Quoted} ({string.Join(", ", Table.Columns.Select(c => c.Quoted))}) " +
                $"VALUES ({string.Join(", ", Table.Columns.Select(_ => "?"))}) MATCHING ({KeyList()})");
            _upsert.ExecuteNonQuery(rowValues);
            return;
        }
        _upsert ??= _connection.Prepare(_transaction, AdditiveUpsertSql());
        var args = new object?[rowValues.Length + 1];
        rowValues.CopyTo(args, 0);
        args[rowValues.Length] = _contributor;
        _upsert.ExecuteNonQuery(args);
    }

    /// <summary>For a row whose image is not applied (a conflict lost, a pending local change): takes in its additive
    /// totals all the same, so that every node's changes add up. True when the row's value changed.</summary>
    public bool ApplyContributions(object?[] rowValues)
    {
        _contributions ??= _connection.Prepare(_transaction, ContributionsSql());
        var args = _keyPositions.Concat(_additivePositions).Select(i => rowValues[i]).Append(_contributor).ToArray();
        return Convert.ToInt32(_contributions.ExecuteScalar(args), CultureInfo.InvariantCulture) != 0;
    }

    public void Delete(object?[] key)
    {
        _delete ??= _connection.Prepare(_transaction, $"DELETE FROM {Table.Quoted} WHERE {KeyWhere("")}");
        _delete.ExecuteNonQuery(key);
    }

    /// <summary>Takes the row's lock without changing it or firing its triggers (SELECT ... WITH LOCK), before a version row
    /// is written alone: a user's transaction takes a row, then its version row (capture trigger), and so must an apply.</summary>
    public void Lock(object?[] key)
    {
        _lock ??= _connection.Prepare(_transaction, $"SELECT 1 FROM {Table.Quoted} WHERE {KeyWhere("")} WITH LOCK");
        using var reader = _lock.ExecuteReader(key);
        reader.Read();
    }

    public bool Exists(object?[] key)
    {
        _exists ??= _connection.Prepare(_transaction, $"SELECT 1 FROM {Table.Quoted} WHERE {KeyWhere("")}");
        using var reader = _exists.ExecuteReader(key);
        return reader.Read();
    }

    public VersionRow? ReadVersion(object?[] key)
    {
        _readVersion ??= _connection.Prepare(_transaction, VersionRows.ReadSql(Table));
        using var reader = _readVersion.ExecuteReader(key);
        return reader.Read() ? VersionRows.FromReader(reader, 0) : null;
    }

    /// <summary>Records the applied change. At the Siège it takes the next master sequence (so it is published);
    /// at a site it gets sequence 0 (nothing to send) and remembers the master sequence as its base.</summary>
    public void WriteVersion(object?[] key, char op, DateTime changedAtUtc, string origin, long baseSequence)
    {
        _writeVersion ??= _connection.Prepare(_transaction, VersionRows.WriteSql(Table, _masterVersions));
        var args = new object?[key.Length + 4];
        key.CopyTo(args, 0);
        args[key.Length] = op.ToString();
        args[key.Length + 1] = LocalClock.ToLocal(changedAtUtc);
        args[key.Length + 2] = origin;
        args[key.Length + 3] = baseSequence;
        _writeVersion.ExecuteNonQuery(args);
    }

    /// <summary>Whether the receiving database holds this very row: every carried column but the additive ones (which are
    /// totals, not values, in a change) equal to the incoming image, text and blobs byte for byte. False when it has no such row.</summary>
    public bool HoldsSameRow(object?[] rowValues)
    {
        var compared = Table.Columns.Select((c, i) => (Column: c, Index: i)).Where(p => !p.Column.IsKey && !p.Column.IsAdditive).ToList();
        if (compared.Count == 0) return Exists(KeyOf(rowValues));
        _readRow ??= _connection.Prepare(_transaction, $"SELECT {string.Join(", ", compared.Select(p => p.Column.Quoted))} FROM {Table.Quoted} WHERE {KeyWhere("")}");
        using var reader = _readRow.ExecuteReader(KeyOf(rowValues));
        if (!reader.Read()) return false;
        for (var i = 0; i < compared.Count; i++)
        {
            if (!SameValue(compared[i].Column, reader, i, rowValues[compared[i].Index])) return false;
        }
        return true;
    }

    /// <summary>The values of a foreign key of the receiving database's row, in the parent's key order (null when the row
    /// is gone or a value is NULL): which parent row a child hangs on.</summary>
    public object?[]? ParentKeyOf(object?[] key, SyncForeignKey foreignKey)
    {
        if (!_foreignKeyReads.TryGetValue(foreignKey.Name, out var command))
        {
            command = _connection.Prepare(_transaction,
                $"SELECT {string.Join(", ", foreignKey.Columns.Select(FbSql.QuoteIdentifier))} FROM {Table.Quoted} WHERE {KeyWhere("")}");
            _foreignKeyReads[foreignKey.Name] = command;
        }
        using var reader = command.ExecuteReader(key);
        if (!reader.Read() || foreignKey.ParentKeyOrder is null) return null;
        var values = new object?[foreignKey.ParentKeyOrder.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var at = foreignKey.ParentKeyOrder[i];
            if (reader.IsDBNull(at)) return null;
            values[i] = reader.GetColumn(at).Type is FbDbType.Char or FbDbType.VarChar ? new FbRawText(reader.GetBytes(at)) : reader.GetValue(at);
        }
        return values;
    }

    /// <summary>The values of a foreign key in an incoming row image, in the parent's key order (null when one is NULL).</summary>
    public object?[]? ParentKeyIn(object?[] rowValues, SyncForeignKey foreignKey)
    {
        if (foreignKey.ParentKeyOrder is null) return null;
        var values = new object?[foreignKey.ParentKeyOrder.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var value = rowValues[IndexOf(Table.Columns, foreignKey.Columns[foreignKey.ParentKeyOrder[i]])];
            if (value is null) return null;
            values[i] = value;
        }
        return values;
    }

    /// <summary>A key as one comparable string, whatever types its values came in (the package's or the database's).</summary>
    public static string Identity(string table, object?[] key)
    {
        var text = new StringBuilder(table).Append('|');
        foreach (var value in key)
        {
            text.Append(value switch
            {
                null => "~",
                FbRawText raw => ToHex(raw.Bytes),
                byte[] bytes => ToHex(bytes),
                string s => ToHex(Encoding.UTF8.GetBytes(s)),
                DateTime d => d.Ticks.ToString(CultureInfo.InvariantCulture),
                TimeSpan t => t.Ticks.ToString(CultureInfo.InvariantCulture),
                bool b => b ? "1" : "0",
                IConvertible number => Convert.ToDecimal(number, CultureInfo.InvariantCulture).ToString("G29", CultureInfo.InvariantCulture),
                _ => value.ToString(),
            }).Append('|');
        }
        return text.ToString();
    }

    private static string ToHex(byte[] bytes)
    {
        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] == 0x20) length--;   // CHAR padding
        var text = new StringBuilder(length * 2);
        for (var i = 0; i < length; i++) text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static bool SameValue(SyncColumn column, FbDataReader reader, int ordinal, object? incoming)
    {
        if (reader.IsDBNull(ordinal) || incoming is null) return reader.IsDBNull(ordinal) && incoming is null;
        switch (column.Type)
        {
            case FbDbType.Char:
            case FbDbType.VarChar:
                return incoming is FbRawText raw && raw.Bytes.AsSpan().SequenceEqual(reader.GetBytes(ordinal));
            case FbDbType.Blob:
            case FbDbType.TextBlob:
                if (incoming is not Stream stream) return false;
                var here = reader.GetBytes(ordinal);
                stream.Position = 0;
                using (var copy = new MemoryStream())
                {
                    stream.CopyTo(copy);
                    stream.Position = 0;   // the row may still be written from it
                    return copy.ToArray().AsSpan().SequenceEqual(here);
                }
            case FbDbType.SmallInt:
            case FbDbType.Integer:
            case FbDbType.BigInt:
                return reader.GetInt64(ordinal) == Convert.ToInt64(incoming, CultureInfo.InvariantCulture);
            case FbDbType.Numeric:
                return reader.GetDecimal(ordinal) == Convert.ToDecimal(incoming, CultureInfo.InvariantCulture);
            case FbDbType.Float:
                return (float)reader.GetDouble(ordinal) == Convert.ToSingle(incoming, CultureInfo.InvariantCulture);
            case FbDbType.Double:
                return reader.GetDouble(ordinal) == Convert.ToDouble(incoming, CultureInfo.InvariantCulture);
            case FbDbType.Date:
            case FbDbType.Timestamp:
                return incoming is DateTime d && reader.GetDateTime(ordinal) == d;
            case FbDbType.Time:
                return incoming is TimeSpan t && reader.GetTimeSpan(ordinal) == t;
            case FbDbType.Boolean:
                return incoming is bool b && reader.GetBoolean(ordinal) == b;
            default:
                return Equals(reader.GetValue(ordinal), incoming);
        }
    }

    /// <summary>
    /// One round trip per row: the difference between the sender's incoming totals and those last received from it is
    /// added to the row (col = col + difference, so changes made meanwhile by users of this database are kept), the
    /// sender's totals are recorded, and a row this database does not have takes the sum of every node's totals.
    /// </summary>
    private string AdditiveUpsertSql()
    {
        var p = Table.Columns.Select((_, i) => $":P{i}").ToList();
        return $@"EXECUTE BLOCK ({string.Join(", ", Table.Columns.Select((c, i) => $"P{i} {CarriedSqlType(c)} = ?"))}, HZ_ORIGIN VARCHAR(16) CHARACTER SET ASCII = ?)
AS
{Declarations()}BEGIN
  {AdditiveUpsertBody(p)}
END";
    }

    /// <summary>PSQL that writes one incoming row whose values are the expressions <paramref name="p"/> (one per carried
    /// column): UPDATE OR INSERT, or for a table with additive columns the body of <see cref="AdditiveUpsertSql"/>
    /// (which needs <see cref="Declarations"/> and the block parameter HZ_ORIGIN, the contributor).</summary>
    internal string UpsertBody(IReadOnlyList<string> p)
    {
        if (!Table.HasAdditive)
        {
            return $"UPDATE OR INSERT INTO {Table.Quoted} ({string.Join(", ", Table.Columns.Select(c => c.Quoted))}) VALUES ({string.Join(", ", p)}) MATCHING ({KeyList()});";
        }
        return AdditiveUpsertBody(p);
    }

    /// <summary>PSQL that inserts one incoming row (a unique violation when its key exists), for a table without additive columns.</summary>
    internal string InsertBody(IReadOnlyList<string> p) =>
        $"INSERT INTO {Table.Quoted} ({string.Join(", ", Table.Columns.Select(c => c.Quoted))}) VALUES ({string.Join(", ", p)});";

    private string AdditiveUpsertBody(IReadOnlyList<string> p)
    {
        var additive = Table.AdditiveColumns;
        var keyMatch = string.Join(" AND ", Table.KeyColumns.Select(c => $"{c.Quoted} = {p[IndexOf(Table.Columns, c.Name)]}"));
        var sets = Table.Columns.Select((c, i) => (c, i)).Where(x => !x.c.IsKey)
            .Select(x => x.c.IsAdditive ? $"{x.c.Quoted} = COALESCE({x.c.Quoted}, 0) + :HZ_D{AdditiveIndex(x.c)}" : $"{x.c.Quoted} = {p[x.i]}");
        var insertValues = Table.Columns.Select((c, i) => c.IsAdditive ? $":HZ_D{AdditiveIndex(c)}" : p[i]);
        return $@"{TakeDifferences(p)}
  {RecordTotals(p)}
  UPDATE {Table.Quoted} SET {string.Join(", ", sets)} WHERE {keyMatch};
  IF (ROW_COUNT = 0) THEN
  BEGIN
    SELECT {string.Join(", ", additive.Select(c => $"COALESCE(SUM({c.Quoted}), 0)"))} FROM {Table.TotalsTable} WHERE {keyMatch}
      INTO {string.Join(", ", additive.Select((_, j) => $":HZ_D{j}"))};
    INSERT INTO {Table.Quoted} ({string.Join(", ", Table.Columns.Select(c => c.Quoted))}) VALUES ({string.Join(", ", insertValues)});
  END";
    }

    /// <summary>The type a carried column's value has in a change (an additive column's running total is wider).</summary>
    internal static string CarriedSqlType(SyncColumn column) => column.IsAdditive ? column.TotalSqlType : column.SqlType;

    /// <summary>The same for the additive columns alone (the row image is not applied); returns 1 when the row changed.</summary>
    private string ContributionsSql()
    {
        var parameters = Table.KeyColumns.Concat(Table.AdditiveColumns).ToList();
        var p = Table.Columns.Select(c => parameters.IndexOf(c) is var at and >= 0 ? $":P{at}" : "").ToList();
        var keyMatch = string.Join(" AND ", Table.KeyColumns.Select(c => $"{c.Quoted} = {p[IndexOf(Table.Columns, c.Name)]}"));
        var anyChange = string.Join(" OR ", Table.AdditiveColumns.Select((_, j) => $"HZ_D{j} <> 0"));
        return $@"EXECUTE BLOCK ({string.Join(", ", parameters.Select((c, i) => $"P{i} {(c.IsAdditive ? c.TotalSqlType : c.SqlType)} = ?"))}, HZ_ORIGIN VARCHAR(16) CHARACTER SET ASCII = ?)
RETURNS (HZ_CHANGED SMALLINT)
AS
{Declarations()}BEGIN
  HZ_CHANGED = 0;
  {TakeDifferences(p)}
  IF ({anyChange}) THEN
  BEGIN
    {RecordTotals(p)}
    UPDATE {Table.Quoted} SET {string.Join(", ", Table.AdditiveColumns.Select((c, j) => $"{c.Quoted} = COALESCE({c.Quoted}, 0) + :HZ_D{j}"))} WHERE {keyMatch};
    HZ_CHANGED = ROW_COUNT;
  END
  SUSPEND;
END";
    }

    internal string Declarations() => string.Concat(Table.AdditiveColumns.Select((c, j) => $"DECLARE HZ_D{j} {c.TotalSqlType};\n"));

    /// <summary>HZ_Dj = incoming total − the total last recorded from this sender (none yet: 0).</summary>
    private string TakeDifferences(IReadOnlyList<string> p)
    {
        var additive = Table.AdditiveColumns;
        var keyMatch = string.Join(" AND ", Table.KeyColumns.Select(c => $"{c.Quoted} = {p[IndexOf(Table.Columns, c.Name)]}"));
        return string.Join("\n  ", additive.Select((c, j) => $"HZ_D{j} = COALESCE({p[IndexOf(Table.Columns, c.Name)]}, 0);")) + $@"
  SELECT {string.Join(", ", additive.Select((c, j) => $":HZ_D{j} - {c.Quoted}"))} FROM {Table.TotalsTable} WHERE {keyMatch} AND HZ$ORIGIN = :HZ_ORIGIN
    INTO {string.Join(", ", additive.Select((_, j) => $":HZ_D{j}"))};";
    }

    private string RecordTotals(IReadOnlyList<string> p)
    {
        var keys = string.Join(", ", Table.KeyColumns.Select(c => c.Quoted));
        return $"UPDATE OR INSERT INTO {Table.TotalsTable} ({keys}, HZ$ORIGIN, {string.Join(", ", Table.AdditiveColumns.Select(c => c.Quoted))}) " +
               $"VALUES ({string.Join(", ", Table.KeyColumns.Select(c => p[IndexOf(Table.Columns, c.Name)]))}, :HZ_ORIGIN, " +
               $"{string.Join(", ", Table.AdditiveColumns.Select(c => $"COALESCE({p[IndexOf(Table.Columns, c.Name)]}, 0)"))}) MATCHING ({keys}, HZ$ORIGIN);";
    }

    private int AdditiveIndex(SyncColumn column)
    {
        for (var j = 0; j < Table.AdditiveColumns.Count; j++)
        {
            if (Table.AdditiveColumns[j].Name == column.Name) return j;
        }
        throw new InvalidOperationException($"{column.Name} is not an additive column of {Table.Name}.");
    }

    private string KeyList() => string.Join(", ", Table.KeyColumns.Select(c => c.Quoted));

    private string KeyWhere(string alias) => string.Join(" AND ", Table.KeyColumns.Select(c => $"{alias}{c.Quoted} = ?"));

    private static int IndexOf(IReadOnlyList<SyncColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name == name) return i;
        }
        throw new InvalidOperationException($"Column {name} is not among the carried columns.");
    }

    public void Dispose()
    {
        _upsert?.Dispose();
        _contributions?.Dispose();
        _delete?.Dispose();
        _exists?.Dispose();
        _lock?.Dispose();
        _readVersion?.Dispose();
        _writeVersion?.Dispose();
        _readRow?.Dispose();
        _batch?.Dispose();
        foreach (var command in _foreignKeyReads.Values) command.Dispose();
    }
}
