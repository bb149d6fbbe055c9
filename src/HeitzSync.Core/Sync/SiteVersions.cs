using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// A site's version rows during the apply of a Siège package (docs/sync-engine.md, "What each node keeps"): which keys
/// keep their local version (a change not yet acknowledged, or a row of an initial load not acknowledged yet), what an
/// applied row leaves behind (nothing, except the mark that keeps a row applied during an unacknowledged initial load
/// out of that load), and the compaction once the package is in.
/// </summary>
internal sealed class SiteVersions : IDisposable
{
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly Watermark _acknowledged;
    private readonly string _site;
    private readonly Dictionary<int, long> _held;
    private readonly Dictionary<int, FbCommand> _loadRows = new();

    /// <param name="acknowledged">What the Siège has consolidated from this site, this package's acknowledgement included.</param>
    public SiteVersions(FbConnection connection, FbTransaction transaction, Watermark acknowledged, string site)
    {
        _connection = connection;
        _transaction = transaction;
        _acknowledged = acknowledged;
        _site = site;
        _held = VersionRows.HeldSequences(connection, transaction);
    }

    /// <summary>True while the table's initial load has not been acknowledged: its rows without a version row are still to be sent.</summary>
    private bool LoadPending(SyncTable table, out long load) =>
        _held.TryGetValue(table.Id, out load) && load > _acknowledged.Sequence;

    /// <summary>The ids of the tables whose initial load is not acknowledged yet (an apply batch's fast path treats them apart).</summary>
    public HashSet<int> LoadPendingTables => new HashSet<int>(_held.Where(h => h.Value > _acknowledged.Sequence).Select(h => h.Key));

    /// <summary>
    /// Whether the key keeps the site's version: it has a change the Siège has not consolidated yet (it goes up next
    /// night and wins or loses there), or it is a row of the initial load not acknowledged yet. Such a load row is written
    /// down as a version row here (sequence of the load, base 0), so that a later local edit of it keeps base 0: the site
    /// never had the master's version it skips now.
    /// </summary>
    /// <param name="local">The key's version row, as the apply read it (null: none).</param>
    public bool KeepsLocalVersion(IncomingChange change, VersionRow? local)
    {
        if (local is not null) return _acknowledged.StillToSend(local.Sequence, local.Tx);
        if (!LoadPending(change.Table.Table, out var load) || !change.Table.Exists(change.Key)) return false;
        WriteLoadRow(change.Table.Table, change.Key, load);
        return true;
    }

    /// <summary>After an applied change: while the table's initial load is not acknowledged, the key is marked (sequence
    /// 0: nothing to send) so that the load does not send the master's row as this site's; otherwise nothing is kept.</summary>
    public void Applied(IncomingChange change)
    {
        if (!LoadPending(change.Table.Table, out _)) return;
        change.Table.WriteVersion(change.Key, change.IsDelete ? 'D' : 'U', change.Header.ChangedAtUtc, change.Header.Origin, change.Header.Sequence);
    }

    /// <summary>Once the package is in: drops what the acknowledgement made useless (<see cref="VersionRows.CompactAtSite"/>).</summary>
    public long Compact(SyncSchema schema) => VersionRows.CompactAtSite(_connection, _transaction, schema, _acknowledged);

    private void WriteLoadRow(SyncTable table, object?[] key, long load)
    {
        if (!_loadRows.TryGetValue(table.Id, out var command))
        {
            var keys = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
            command = _connection.Prepare(_transaction,
                $"INSERT INTO {table.VersionTable} ({keys}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
                $"VALUES ({string.Join(", ", table.KeyColumns.Select(_ => "?"))}, ?, 0, 'I', ?, ?, 0)");
            _loadRows[table.Id] = command;
        }
        var args = key.Concat(new object?[] { load, LocalClock.ToLocal(CaptureObjects.InitialLoadTime), _site }).ToArray();
        command.ExecuteNonQuery(args);
    }

    public void Dispose()
    {
        foreach (var command in _loadRows.Values) command.Dispose();
        _loadRows.Clear();
    }
}
