using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>What a producer wrote: the range it covers and how many rows per table.</summary>
internal sealed class ProducedChanges
{
    public Watermark Covered { get; set; }
    public Dictionary<string, long> TableCounts { get; } = new(StringComparer.Ordinal);
    public long Upserts { get; set; }
    public long Deletes { get; set; }
    public long Rows => Upserts + Deletes;
}

/// <summary>
/// Writes every change not yet acknowledged by the receiver (docs/sync-engine.md, "Watermarks") as a change stream,
/// reading version rows and row images in one snapshot transaction so that users can keep working meanwhile.
/// A site extracting sends its own changes; the Siège publishing for a site sends every master change except
/// that site's own (no echo).
/// </summary>
internal sealed class ChangeProducer
{
    private readonly FbConnection _connection;

    public ChangeProducer(FbConnection connection) => _connection = connection;

    /// <param name="ownSite">A site extracting: its code, whose running totals its additive columns carry.</param>
    public ProducedChanges Write(SyncSchema schema, ChangeWriter writer, Watermark acknowledged, string? excludeOrigin, CancellationToken cancellationToken, string? ownSite = null)
    {
        // The transactions' guard is read before the snapshot starts (TransactionGuard says why).
        var transactions = TransactionGuard.Read(_connection);
        using var snapshot = _connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        var result = new ProducedChanges { Covered = transactions.Cover(_connection, snapshot) };
        var guard = acknowledged.SqlStillToSend("v", out var guardArgs);
        object?[] GuardArgs() => guardArgs;
        var filter = guard + (excludeOrigin is null ? "" : " AND v.ORIGIN <> ?");
        object?[] FilterArgs() => excludeOrigin is null ? GuardArgs() : GuardArgs().Append(excludeOrigin).ToArray();

        var held = VersionRows.HeldSequences(_connection, snapshot);
        var holder = ((string)_connection.ExecuteScalar(snapshot, "SELECT SITE_CODE FROM HZ$NODE WHERE ID = 1")!).Trim();
        // At the Siège, sites' initial loads held in runs (LoadRuns): the publish reads them by key range.
        var runs = excludeOrigin is not null && LoadRuns.Installed(_connection, snapshot);
        foreach (var table in schema.Tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var inRuns = runs && LoadRuns.CanHold(table);
            // Rows held without a version row (docs/sync-engine.md, "What each node keeps"), for a receiver that has not
            // had them: a site's initial load not yet acknowledged; at the Siège, rows every site had when they were
            // folded, and its own initial load, for a site that joins. They travel as initial-load rows. The receiver's
            // own load, held in runs at the Siège, does not go back to it.
            if (held.TryGetValue(table.Id, out var heldSequence) && heldSequence > acknowledged.Sequence)
            {
                var header = new ChangeHeader { Sequence = heldSequence, ChangedAtUtc = CaptureObjects.InitialLoadTime, Origin = holder, BaseSequence = 0 };
                long heldCount;
                if (inRuns)
                {
                    var outside = LoadRuns.Outside(table, LoadRuns.Of(_connection, snapshot, table, excludeOrigin!).ToList());
                    heldCount = WriteRanges(snapshot, writer, table, outside.Select(r => (header, r.Low, r.High)), cancellationToken);
                }
                else
                {
                    var (heldSql, heldArgs) = table.HasAdditive
                        ? AdditiveUpserts(table, "", VersionRows.HeldRowCondition(table), Array.Empty<object?>(), excludeOrigin, ownSite)
                        : ($"SELECT {string.Join(", ", table.Columns.Select(c => "t." + c.Quoted))} FROM {table.Quoted} t WHERE {VersionRows.HeldRowCondition(table)}", Array.Empty<object?>());
                    heldCount = WriteSection(snapshot, writer, SectionKind.Upserts, table, table.Columns, heldSql, heldArgs, cancellationToken, header);
                }
                result.Upserts += heldCount;
                Add(result, table.Name, heldCount);
            }
            else if (inRuns)
            {
                // Other sites' loads the receiver has not applied: each run's rows that still have no version row (those
                // that have go below, as changes), as rows of that site's initial load.
                var pending = LoadRuns.StillToSend(_connection, snapshot, table, acknowledged, excludeOrigin!)
                    .Select(r => (new ChangeHeader { Sequence = r.Sequence, ChangedAtUtc = CaptureObjects.InitialLoadTime, Origin = r.Origin, BaseSequence = 0 }, r.Low, r.High));
                var loadCount = WriteRanges(snapshot, writer, table, pending, cancellationToken);
                result.Upserts += loadCount;
                Add(result, table.Name, loadCount);
            }
            string sql;
            object?[] args;
            if (table.HasAdditive)
            {
                (sql, args) = AdditiveUpserts(table, $"{table.VersionTable} v JOIN ", guard, GuardArgs(), excludeOrigin, ownSite);
            }
            else
            {
                var columns = string.Join(", ", table.Columns.Select(c => "t." + c.Quoted));
                sql = $"SELECT v.SEQ, v.CHANGED_AT, v.ORIGIN, v.BASE_SEQ, {columns} FROM {table.VersionTable} v " +
                      $"JOIN {table.Quoted} t ON {KeyJoin(table)} WHERE {filter}";
                args = FilterArgs();
            }
            var count = WriteSection(snapshot, writer, SectionKind.Upserts, table, table.Columns, sql, args, cancellationToken);
            result.Upserts += count;
            Add(result, table.Name, count);
        }
        foreach (var table in schema.Tables.Reverse())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keys = string.Join(", ", table.KeyColumns.Select(c => "v." + c.Quoted));
            var sql = $"SELECT v.SEQ, v.CHANGED_AT, v.ORIGIN, v.BASE_SEQ, {keys} FROM {table.VersionTable} v " +
                      $"WHERE {filter} AND NOT EXISTS (SELECT 1 FROM {table.Quoted} t WHERE {KeyJoin(table)})";
            var count = WriteSection(snapshot, writer, SectionKind.Deletes, table, table.KeyColumns, sql, FilterArgs(), cancellationToken);
            result.Deletes += count;
            Add(result, table.Name, count);
        }
        snapshot.Commit();
        return result;
    }

    /// <summary>
    /// Upserts of a table with additive columns, which carry running totals instead of the values (docs/sync-engine.md,
    /// "Derived values"): a site sends its own totals; the Siège sends a site the value less that site's own totals (all
    /// the other nodes' changes). The Siège sends such rows back to their origin too: the origin needs the others'
    /// changes that came in meanwhile, and the rest of the row is its own (or newer).
    /// </summary>
    /// <param name="versions">"HZ$V_n v JOIN " to read version rows with their row, or "" to read held rows alone (no
    /// version columns selected).</param>
    private static (string Sql, object?[] Args) AdditiveUpserts(SyncTable table, string versions, string filter, object?[] filterArgs, string? target, string? ownSite)
    {
        var totalsOf = target ?? ownSite ?? throw new InvalidOperationException($"{table.Name} has additive columns: the extract must name its own site.");
        var columns = string.Join(", ", table.Columns.Select(c => !c.IsAdditive
            ? "t." + c.Quoted
            : target is null
                ? $"CAST(COALESCE(a.{c.Quoted}, 0) AS {c.TotalSqlType})"
                : $"CAST(COALESCE(t.{c.Quoted}, 0) - COALESCE(a.{c.Quoted}, 0) AS {c.TotalSqlType})"));
        var totalsJoin = string.Join(" AND ", table.KeyColumns.Select(c => $"a.{c.Quoted} = t.{c.Quoted}"));
        var from = versions.Length == 0 ? $"{table.Quoted} t" : $"{versions}{table.Quoted} t ON {KeyJoin(table)}";
        var sql = $"SELECT {(versions.Length == 0 ? "" : "v.SEQ, v.CHANGED_AT, v.ORIGIN, v.BASE_SEQ, ")}{columns} FROM {from} " +
                  $"LEFT JOIN {table.TotalsTable} a ON {totalsJoin} AND a.HZ$ORIGIN = ? WHERE {filter}";
        return (sql, new object?[] { totalsOf }.Concat(filterArgs).ToArray());
    }

    private static void Add(ProducedChanges result, string table, long count)
    {
        result.TableCounts.TryGetValue(table, out var existing);
        result.TableCounts[table] = existing + count;
    }

    /// <param name="header">Given: every row has this header, and the query selects the row's columns alone. Otherwise the
    /// query selects SEQ, CHANGED_AT, ORIGIN and BASE_SEQ first.</param>
    private long WriteSection(FbTransaction snapshot, ChangeWriter writer, SectionKind kind, SyncTable table, IReadOnlyList<SyncColumn> columns,
        string sql, object?[] args, CancellationToken cancellationToken, ChangeHeader? header = null)
    {
        using var command = _connection.Prepare(snapshot, sql);
        using var reader = command.ExecuteReader(args);
        long count = 0;
        var started = false;
        while (reader.Read())
        {
            if (!started)
            {
                writer.BeginSection(kind, table, columns);
                started = true;
            }
            if ((++count & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            var first = 0;
            if (header is null)
            {
                writer.BeginRow(reader.GetInt64(0), LocalClock.ToUtc(reader.GetDateTime(1)), reader.GetString(2).Trim(), reader.GetInt64(3));
                first = 4;
            }
            else
            {
                writer.BeginRow(header.Sequence, header.ChangedAtUtc, header.Origin, header.BaseSequence);
            }
            for (var i = 0; i < columns.Count; i++)
            {
                writer.WriteValue(reader, first + i, columns[i]);
            }
        }
        if (started) writer.EndSection();
        return count;
    }

    /// <summary>
    /// The held rows (no version row) of a table keyed by one integer column, range by range, each range's rows under its
    /// header: one section per run of ranges with the same header. The ranges are read lazily, while rows are written.
    /// </summary>
    private long WriteRanges(FbTransaction snapshot, ChangeWriter writer, SyncTable table, IEnumerable<(ChangeHeader Header, long Low, long High)> ranges,
        CancellationToken cancellationToken)
    {
        var key = table.KeyColumns[0].Quoted;
        using var command = _connection.Prepare(snapshot,
            $"SELECT {string.Join(", ", table.Columns.Select(c => "t." + c.Quoted))} FROM {table.Quoted} t WHERE t.{key} BETWEEN ? AND ? AND {VersionRows.HeldRowCondition(table)}");
        long count = 0;
        ChangeHeader? open = null;
        foreach (var (header, low, high) in ranges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var reader = command.ExecuteReader(LoadRuns.KeyValue(table, low), LoadRuns.KeyValue(table, high));
            while (reader.Read())
            {
                if (open is null || open.Sequence != header.Sequence || open.Origin != header.Origin)
                {
                    if (open is not null) writer.EndSection();
                    writer.BeginSection(SectionKind.Upserts, table, table.Columns);
                    open = header;
                }
                if ((++count & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                writer.BeginRow(header.Sequence, header.ChangedAtUtc, header.Origin, header.BaseSequence);
                for (var i = 0; i < table.Columns.Count; i++) writer.WriteValue(reader, i, table.Columns[i]);
            }
        }
        if (open is not null) writer.EndSection();
        return count;
    }

    internal static string KeyJoin(SyncTable table) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"t.{c.Quoted} = v.{c.Quoted}"));
}
