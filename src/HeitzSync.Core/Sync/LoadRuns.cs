using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>One run of a site's initial load held at the Siège: every row of the table whose key lies in
/// [<see cref="Low"/>, <see cref="High"/>] and that has no version row is a row of <see cref="Origin"/>'s initial load,
/// consolidated under <see cref="Sequence"/> by transaction <see cref="Tx"/>.</summary>
internal readonly record struct LoadRun(long Low, long High, string Origin, long Sequence, long Tx)
{
    /// <summary>The version these rows have, as a version row would say it (a row of a node's initial load: time 1900-01-01, base 0).</summary>
    public VersionRow Version => new(Sequence, Tx, Origin, CaptureObjects.InitialLoadTime, 'U', 0);
}

/// <summary>
/// The Siège holds a site's initial load as the site does (docs/sync-engine.md, "What each node keeps"): instead of a
/// version row per row, HZ$LOADS keeps runs of consecutive keys, one row per run, with the origin, sequence and
/// transaction their version rows would have had. Only tables keyed by one integer column without additive columns hold
/// their loads so; the others write version rows as before. A key of a run that gets a version row later (an edit, a
/// delete, a re-published conflict) is decided by that version row; a run lives until every site has applied it
/// (<see cref="VersionRows.FoldAtSiege"/>).
/// Runs grow only by the next key (k = high + 1), so a gap in the load, a row that was not new at the Siège, or rows out
/// of key order start a new run: a run never covers a key the load did not bring.
/// </summary>
internal sealed class LoadRuns : IDisposable
{
    public const string TableName = "HZ$LOADS";

    public const string TableDdl = @"CREATE TABLE HZ$LOADS (
            TABLE_ID INTEGER NOT NULL,
            LO BIGINT NOT NULL,
            HI BIGINT NOT NULL,
            ORIGIN VARCHAR(16) CHARACTER SET ASCII NOT NULL,
            SEQ BIGINT NOT NULL,
            TX BIGINT NOT NULL,
            CONSTRAINT HZ$PK_LOADS PRIMARY KEY (TABLE_ID, LO))";

    /// <summary>The run that may hold a key is the one with the highest LO not above it: read through this index.</summary>
    public const string DownIndex = "HZ$IX_LOADS_DOWN";

    public const string DownIndexDdl = "CREATE DESCENDING INDEX HZ$IX_LOADS_DOWN ON HZ$LOADS (TABLE_ID, LO)";

    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly string _origin;
    private readonly Dictionary<int, (long Low, long High)> _open = new();
    private readonly Dictionary<int, long> _sequences = new();
    private FbCommand? _insert;
    private FbCommand? _find;

    /// <param name="origin">The site whose package is consolidated.</param>
    public LoadRuns(FbConnection connection, FbTransaction transaction, string origin)
    {
        _connection = connection;
        _transaction = transaction;
        _origin = origin;
    }

    /// <summary>Whether <paramref name="table"/> holds loads as runs: one integer key column, no additive column.</summary>
    public static bool CanHold(SyncTable table) =>
        table.KeyColumns.Count == 1 && table.KeyColumns[0].Type is FbDbType.SmallInt or FbDbType.Integer or FbDbType.BigInt && !table.HasAdditive;

    /// <summary>Whether this database has HZ$LOADS (made by init; a Siège installed before it writes version rows).</summary>
    public static bool Installed(FbConnection connection, FbTransaction transaction) => connection.Schema.TableExists(transaction, TableName);

    /// <summary>Whether a change is a row of its sender's initial load (time 1900-01-01, made on no master version).</summary>
    public static bool IsLoadRow(ChangeHeader header) => header.BaseSequence == 0 && header.ChangedAtUtc == CaptureObjects.InitialLoadTime;

    /// <summary>Records a row of the load that the master did not have, applied without a version row, in the order the
    /// package brings them.</summary>
    public void Add(SyncTable table, object?[] key)
    {
        var value = Convert.ToInt64(key[0], CultureInfo.InvariantCulture);
        if (_open.TryGetValue(table.Id, out var run))
        {
            if (run.High != long.MaxValue && value == run.High + 1)
            {
                _open[table.Id] = (run.Low, value);
                return;
            }
            Write(table.Id, run);
        }
        _open[table.Id] = (value, value);
    }

    /// <summary>Writes the runs still open (before the consolidation commits).</summary>
    public void Flush()
    {
        foreach (var open in _open) Write(open.Key, open.Value);
        _open.Clear();
    }

    private void Write(int tableId, (long Low, long High) run)
    {
        if (!_sequences.TryGetValue(tableId, out var sequence))
        {
            // One sequence for all of a table's runs of this package: they are published together, as its version rows would be.
            sequence = Convert.ToInt64(_connection.ExecuteScalar(_transaction, $"SELECT GEN_ID({CaptureObjects.Sequence}, 1) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
            _sequences[tableId] = sequence;
        }
        _insert ??= _connection.Prepare(_transaction, "INSERT INTO HZ$LOADS (TABLE_ID, LO, HI, ORIGIN, SEQ, TX) VALUES (?, ?, ?, ?, ?, CURRENT_TRANSACTION)");
        _insert.ExecuteNonQuery(tableId, run.Low, run.High, _origin, sequence);
    }

    /// <summary>The run holding <paramref name="key"/> of <paramref name="table"/>, if any: the version of a key that has
    /// no version row. The table's open run is written first, so that this package's own runs count too.</summary>
    public LoadRun? Find(SyncTable table, object?[] key)
    {
        if (!CanHold(table) || key[0] is null) return null;
        if (_open.TryGetValue(table.Id, out var open))
        {
            _open.Remove(table.Id);
            Write(table.Id, open);
        }
        var value = Convert.ToInt64(key[0], CultureInfo.InvariantCulture);
        _find ??= _connection.Prepare(_transaction,
            $"SELECT FIRST 1 {RunColumns} FROM HZ$LOADS v WHERE v.TABLE_ID = ? AND v.LO <= ? ORDER BY v.TABLE_ID DESC, v.LO DESC");
        using var reader = _find.ExecuteReader(table.Id, value);
        return reader.Read() && reader.GetInt64(1) >= value ? RunAt(reader) : null;
    }

    /// <summary>The runs of <paramref name="table"/> whose origin is <paramref name="origin"/>, by key.</summary>
    public static IEnumerable<LoadRun> Of(FbConnection connection, FbTransaction transaction, SyncTable table, string origin)
    {
        using var command = connection.Prepare(transaction, $"SELECT {RunColumns} FROM HZ$LOADS v WHERE v.TABLE_ID = ? AND v.ORIGIN = ? ORDER BY v.LO");
        using var reader = command.ExecuteReader(table.Id, origin);
        while (reader.Read()) yield return RunAt(reader);
    }

    /// <summary>The runs of <paramref name="table"/> still to send to a receiver (by its watermark), but its own, by sequence and origin.</summary>
    public static IEnumerable<LoadRun> StillToSend(FbConnection connection, FbTransaction transaction, SyncTable table, Watermark acknowledged, string receiver)
    {
        var guard = acknowledged.SqlStillToSend("v", out var guardArgs);
        using var command = connection.Prepare(transaction,
            $"SELECT {RunColumns} FROM HZ$LOADS v WHERE v.TABLE_ID = ? AND v.ORIGIN <> ? AND {guard} ORDER BY v.SEQ, v.ORIGIN, v.LO");
        using var reader = command.ExecuteReader(new object?[] { table.Id, receiver }.Concat(guardArgs).ToArray());
        while (reader.Read()) yield return RunAt(reader);
    }

    /// <summary>The columns <see cref="RunAt"/> reads, in its order (HZ$LOADS aliased v).</summary>
    private const string RunColumns = "v.LO, v.HI, v.ORIGIN, v.SEQ, v.TX";

    private static LoadRun RunAt(FbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2).Trim(), reader.GetInt64(3), reader.GetInt64(4));

    /// <summary>The key ranges of <paramref name="table"/> outside the given runs (ordered by key, not overlapping), within
    /// the key column's type.</summary>
    public static IEnumerable<(long Low, long High)> Outside(SyncTable table, IEnumerable<LoadRun> runs)
    {
        var (min, max) = table.KeyColumns[0].Type switch
        {
            FbDbType.SmallInt => ((long)short.MinValue, (long)short.MaxValue),
            FbDbType.Integer => ((long)int.MinValue, (long)int.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        var from = min;
        foreach (var run in runs)
        {
            if (run.Low > from) yield return (from, run.Low - 1);
            if (run.High >= max) yield break;
            from = Math.Max(from, run.High + 1);
        }
        yield return (from, max);
    }

    /// <summary>A key of <paramref name="table"/> as its key column's own type (an INTEGER parameter takes no BIGINT value).</summary>
    public static object KeyValue(SyncTable table, long value) => table.KeyColumns[0].Type switch
    {
        FbDbType.SmallInt => (short)value,
        FbDbType.Integer => (int)value,
        _ => value,
    };

    public void Dispose()
    {
        _insert?.Dispose();
        _find?.Dispose();
    }
}
