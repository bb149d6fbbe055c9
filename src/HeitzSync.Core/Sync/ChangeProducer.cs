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

    public ProducedChanges Write(SyncSchema schema, ChangeWriter writer, Watermark acknowledged, string? excludeOrigin, CancellationToken cancellationToken)
    {
        // The guard is read before the snapshot starts (TransactionGuard says why).
        var guard = TransactionGuard.Read(_connection);
        using var snapshot = _connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        var result = new ProducedChanges { Covered = guard.Cover(_connection, snapshot) };
        var filter = acknowledged.SqlStillToSend("v", out var stillToSend) + (excludeOrigin is null ? "" : " AND v.ORIGIN <> ?");
        object?[] FilterArgs() => excludeOrigin is null ? stillToSend : stillToSend.Append(excludeOrigin).ToArray();

        foreach (var table in schema.Tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var columns = string.Join(", ", table.Columns.Select(c => "t." + c.Quoted));
            var sql = $"SELECT v.SEQ, v.CHANGED_AT, v.ORIGIN, v.BASE_SEQ, {columns} FROM {table.VersionTable} v " +
                      $"JOIN {table.Quoted} t ON {KeyJoin(table)} WHERE {filter}";
            var count = WriteSection(snapshot, writer, SectionKind.Upserts, table, table.Columns, sql, FilterArgs(), cancellationToken);
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

    private static void Add(ProducedChanges result, string table, long count)
    {
        result.TableCounts.TryGetValue(table, out var existing);
        result.TableCounts[table] = existing + count;
    }

    private long WriteSection(FbTransaction snapshot, ChangeWriter writer, SectionKind kind, SyncTable table, IReadOnlyList<SyncColumn> columns,
        string sql, object?[] args, CancellationToken cancellationToken)
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
            writer.BeginRow(reader.GetInt64(0), LocalClock.ToUtc(reader.GetDateTime(1)), reader.GetString(2).Trim(), reader.GetInt64(3));
            for (var i = 0; i < columns.Count; i++)
            {
                writer.WriteValue(reader, 4 + i, columns[i]);
            }
        }
        if (started) writer.EndSection();
        return count;
    }

    internal static string KeyJoin(SyncTable table) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"t.{c.Quoted} = v.{c.Quoted}"));
}
