using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// What each node keeps per key, and the housekeeping that keeps it so small (docs/sync-engine.md, "What each node
/// keeps"). A business row without a version row is <em>held</em>: at a site, a row of the initial load not yet
/// acknowledged (while HZ$TABLES.HELD_SEQ is above the acknowledgement) or a row nobody needs to be told about; at the
/// Siège, a row whose last version every site has applied (folded) or a row of the Siège's own initial load, sent to a
/// site whose applied watermark is below HELD_SEQ. The apply's per-row reads and writes of version rows stay in
/// <see cref="TableApplier"/>; this is everything else that reads or writes them.
/// </summary>
internal static class VersionRows
{
    /// <summary>HZ$TABLES.HELD_SEQ per table id: held rows go to a receiver whose watermark is below it.</summary>
    public static Dictionary<int, long> HeldSequences(FbConnection connection, FbTransaction transaction)
    {
        var held = new Dictionary<int, long>();
        using var command = connection.Prepare(transaction, "SELECT ID, HELD_SEQ FROM HZ$TABLES");
        using var reader = command.ExecuteReader();
        while (reader.Read()) held[reader.GetInt32(0)] = reader.GetInt64(1);
        return held;
    }

    /// <summary>The rows of <paramref name="table"/> (aliased t) that have no version row.</summary>
    public static string HeldRowCondition(SyncTable table) =>
        $"NOT EXISTS (SELECT 1 FROM {table.VersionTable} v WHERE {ChangeProducer.KeyJoin(table)})";

    /// <summary>
    /// Site, inside the apply's transaction, once the package is applied: deletes every version row the Siège has
    /// acknowledged (its change is consolidated, and this package, built after that, carried the master's answer), in
    /// every table whose initial load is acknowledged too; such a table holds nothing any more. What stays: pending
    /// changes, and while a table's load is not acknowledged, the marks of the rows applied meanwhile.
    /// </summary>
    public static long CompactAtSite(FbConnection connection, FbTransaction transaction, SyncSchema schema, Watermark acknowledged)
    {
        var held = HeldSequences(connection, transaction);
        long removed = 0;
        foreach (var table in schema.Tables)
        {
            if (held.TryGetValue(table.Id, out var load) && load > acknowledged.Sequence) continue;
            var pending = acknowledged.SqlStillToSend("v", out var arguments);
            removed += connection.Execute(transaction, $"DELETE FROM {table.VersionTable} v WHERE NOT {pending}", arguments);
            if (load > 0) connection.Execute(transaction, "UPDATE HZ$TABLES SET HELD_SEQ = 0 WHERE ID = ?", table.Id);
        }
        return removed;
    }

    /// <summary>
    /// Site, after an apply committed: new version rows take <paramref name="applied"/> (the master sequence the site now
    /// has) as their base. Only ever raised; raised after the commit, so that a base never claims a version not applied
    /// (a crash in between leaves it lower: a change may then be compared with a version it had, never the reverse).
    /// </summary>
    public static void RaiseBase(FbConnection connection, long applied)
    {
        using var tx = connection.BeginTransaction();
        var current = Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.BaseSequence}, 0) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        if (applied > current)
        {
            connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.BaseSequence}, {(applied - current).ToString(CultureInfo.InvariantCulture)}) FROM RDB$DATABASE");
        }
        tx.Commit();
    }

    /// <summary>Sets the base generator to exactly <paramref name="applied"/> (a database restored from the master's
    /// full package, whose own value means nothing here).</summary>
    public static void SetBase(FbConnection connection, FbTransaction transaction, long applied)
    {
        var current = Convert.ToInt64(connection.ExecuteScalar(transaction, $"SELECT GEN_ID({CaptureObjects.BaseSequence}, 0) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        if (applied != current)
        {
            connection.ExecuteScalar(transaction, $"SELECT GEN_ID({CaptureObjects.BaseSequence}, {(applied - current).ToString(CultureInfo.InvariantCulture)}) FROM RDB$DATABASE");
        }
    }

    /// <summary>
    /// A database just restored from the Siège's full package, before it takes the site's identity: its version rows are
    /// the master's (the site needs none of them: it holds the master's state, and sends only its own changes) and
    /// nothing is held. The version tables are dropped and made anew empty by init, not emptied row by row: the rows'
    /// pages are free at once, and the first send reads nothing (updating millions of rows left garbage that it had to
    /// clean up). The capture triggers go with them (a trigger names its version table); init puts them back.
    /// </summary>
    public static void ForgetForRestoredSite(FbConnection restored)
    {
        List<int> ids;
        using (var tx = restored.BeginTransaction())
        {
            ids = new List<int>();
            using (var command = restored.Prepare(tx, "SELECT ID FROM HZ$TABLES"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) ids.Add(reader.GetInt32(0));
            }
            if (HasHeldColumn(restored, tx)) restored.Execute(tx, "UPDATE HZ$TABLES SET HELD_SEQ = 0");
            tx.Commit();
        }
        foreach (var id in ids)
        {
            if (Exists(restored, "RDB$TRIGGERS", "RDB$TRIGGER_NAME", "HZ$T_" + id)) restored.ExecuteInNewTransaction($"DROP TRIGGER {FbSql.QuoteIdentifier("HZ$T_" + id)}");
            if (Exists(restored, "RDB$RELATIONS", "RDB$RELATION_NAME", "HZ$V_" + id)) restored.ExecuteInNewTransaction($"DROP TABLE {FbSql.QuoteIdentifier("HZ$V_" + id)}");
        }
    }

    private static bool HasHeldColumn(FbConnection connection, FbTransaction tx) =>
        Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM RDB$RELATION_FIELDS WHERE RDB$RELATION_NAME = 'HZ$TABLES' AND RDB$FIELD_NAME = 'HELD_SEQ'"), CultureInfo.InvariantCulture) > 0;

    private static bool Exists(FbConnection connection, string catalog, string column, string name)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT COUNT(*) FROM {catalog} WHERE {column} = ?", name), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>What a fold at the Siège did.</summary>
    public sealed record FoldResult(long Folded, long FoldedUpTo);

    /// <summary>Version rows deleted per transaction by a fold: a user who changes one of them meanwhile waits for one
    /// chunk at most.</summary>
    private const int FoldChunk = 20_000;

    /// <summary>
    /// Siège, after a night's publish: deletes the version rows of existing rows that every registered site has applied
    /// (by sequence and by transaction guard, as recorded in HZ$SITES): no site will be sent them again, and no change a
    /// site can still send conflicts with them (a site's change carries as base at least the master sequence it had
    /// applied when the change began, except a change it made while it skipped that very version, which reaches the
    /// Siège before the site can report having applied past it). The table's HELD_SEQ rises to that line, so that a site
    /// that joins later (applied 0) gets every held row. Delete versions stay: a site that joins later with an old copy
    /// of such a row gets the delete. Nothing is folded while a registered site has applied nothing.
    /// Deletes go by chunks, each committed; a user holding one of the rows makes the fold leave that table until the
    /// next night (it is only housekeeping).
    /// </summary>
    public static FoldResult FoldAtSiege(FbConnection master, CancellationToken cancellationToken)
    {
        List<Watermark> applied;
        SyncSchema schema;
        using (var tx = master.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            var identity = NodeIdentity.Read(master, tx);
            if (!identity.IsSiege) throw new CaptureSetupException($"{master.Settings} is site {identity.Site}, not the Siège: only the Siège folds version rows.");
            applied = SiteRegistry.Read(master, tx, identity).Sites.Select(s => s.AppliedFromSiege).ToList();
            schema = CaptureInstaller.ReadInstalledSchema(master, tx);
        }
        if (applied.Count == 0 || applied.Any(w => w.Sequence == 0)) return new FoldResult(0, 0);
        var line = applied.Min(w => w.Sequence);
        var taken = new List<string>();
        var arguments = new List<object?> { line };
        foreach (var watermark in applied)
        {
            taken.Add("NOT " + watermark.SqlStillToSend("v", out var args));
            arguments.AddRange(args);
        }
        long folded = 0;
        foreach (var table in schema.Tables)
        {
            var sql = $"DELETE FROM {table.VersionTable} v WHERE v.SEQ <= ? AND {string.Join(" AND ", taken)} " +
                      $"AND EXISTS (SELECT 1 FROM {table.Quoted} t WHERE {ChangeProducer.KeyJoin(table)}) ROWS {FoldChunk}";
            long fromTable = 0;
            try
            {
                int count;
                do
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var tx = master.BeginTransaction(new FbTransactionOptions { Wait = false });
                    count = master.Execute(tx, sql, arguments.ToArray());
                    master.Execute(tx, "UPDATE HZ$TABLES SET HELD_SEQ = ? WHERE ID = ? AND HELD_SEQ < ?", line, table.Id, line);
                    tx.Commit();
                    fromTable += count;
                }
                while (count == FoldChunk);
            }
            catch (FbException ex) when (Consolidator.IsLockConflict(ex))
            {
                // A user changes one of its rows right now: the rest of this table waits for the next night.
            }
            if (fromTable == 0) continue;
            folded += fromTable;
            // The deleted rows' space is reused once garbage-collected: done now, not by the next night's consolidation.
            using var sweep = master.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            master.ExecuteScalar(sweep, $"SELECT COUNT(*) FROM {table.VersionTable}");
        }
        return new FoldResult(folded, line);
    }
}
