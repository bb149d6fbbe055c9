using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>The version row of one key, as the receiving database has it.</summary>
internal sealed record VersionRow(long Sequence, long Tx, string Origin, DateTime ChangedAtUtc, char Op, long BaseSequence)
{
    /// <summary>At the Siège: the sequence of the real edit this version carries. A version re-published without a new
    /// edit (a conflict the master's version won, a refused delete) gets a new sequence and keeps its edit's one in
    /// BASE_SEQ, so that conflicts are decided between real edits only.</summary>
    public long RealSequence => BaseSequence > 0 ? BaseSequence : Sequence;

    /// <summary>At the Siège, a row held without a version row (docs/sync-engine.md, "What each node keeps"): as a row of
    /// the Siège's initial load, at the first sequence (older than any base a site that received it carries).</summary>
    public static VersionRow Held(string siege) => new(1, 0, siege, CaptureObjects.InitialLoadTime, 'U', 0);
}

/// <summary>Which changes an apply takes engine-side, in a batch, without asking its policy (docs/sync-engine.md,
/// "Applying in batches"). The others come back to <see cref="IApplyPolicy.Decide"/> with the version row read.</summary>
internal enum FastPathTest
{
    /// <summary>Every change (a full restore re-queues the site's own changes).</summary>
    Always,

    /// <summary>Siège: no concurrent edit. The master has no version of the key, or its version came from the sender,
    /// or the master's last real edit is not above the change's base (the sender changed the version it had).</summary>
    NoConcurrentEdit,

    /// <summary>Site: the key has no local change the Siège has not consolidated yet (by the acknowledged watermark).</summary>
    NothingPendingHere,
}

/// <summary>What a version row written for an applied change says besides its sequence: whose change it is and its base.</summary>
internal enum VersionStamp
{
    /// <summary>Siège: the sending site is the origin; base 0 (a real edit).</summary>
    FromSender,

    /// <summary>Site: the origin the change carries; base = the master sequence it came with.</summary>
    CarriedOriginMasterBase,

    /// <summary>Full restore: the origin and base the change carries (it is re-queued as it was).</summary>
    CarriedOriginAndBase,
}

/// <summary>A policy's decisions as an apply batch takes them engine-side; the same as its <see cref="IApplyPolicy.Decide"/>
/// for the changes it applies, and the same version row as its <see cref="IApplyPolicy.Applied"/>.</summary>
internal sealed record FastPath(FastPathTest Test, VersionStamp Stamp)
{
    /// <summary>Siège: the site whose package is consolidated.</summary>
    public string Sender { get; init; } = "";

    /// <summary>Siège: the sender's initial-load rows new to the master are held in load runs, not stamped (<see cref="LoadRuns"/>).</summary>
    public bool HoldsLoads { get; init; }

    /// <summary>Site: what the Siège has consolidated from it.</summary>
    public Watermark Acknowledged { get; init; }

    /// <summary>Site: the tables whose initial load the Siège has not acknowledged yet (docs/sync-engine.md, "What each
    /// node keeps"): there a row without a version row is still to be sent, and an applied row is marked.</summary>
    public HashSet<int> LoadPendingTables { get; init; } = new HashSet<int>();

    /// <summary>Whether an applied change leaves a version row in <paramref name="table"/>: always, except at a site
    /// whose load of that table is acknowledged (nothing is kept there for a row applied from the Siège).</summary>
    public bool Stamps(SyncTable table) => Stamp != VersionStamp.CarriedOriginMasterBase || LoadPendingTables.Contains(table.Id);

    /// <summary>Whether <see cref="IApplyPolicy.Decide"/> needs the version row (the row-by-row path reads it first).</summary>
    public bool ReadsVersion => Test != FastPathTest.Always;
}

/// <summary>
/// The SQL of version rows (HZ$V_n, docs/sync-engine.md) in one place: reading a key's version, stamping an applied
/// change, and the same inside an apply batch's EXECUTE BLOCK (PSQL over the variables <see cref="Declarations"/> names).
/// Version rows take a new master sequence at the Siège (<c>masterVersions</c>, so the change is published) and
/// sequence 0 at a site (nothing to send; BASE_SEQ then holds the master sequence it came with).
/// </summary>
internal static partial class VersionRows
{
    private const string Columns = "SEQ, TX, ORIGIN, CHANGED_AT, OP, BASE_SEQ";
    private const string WrittenColumns = "SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ";

    /// <summary>Parameters: the key columns.</summary>
    public static string ReadSql(SyncTable table) => $"SELECT {Columns} FROM {table.VersionTable} WHERE {KeyMatch(table, _ => "?")}";

    public static VersionRow FromReader(FbDataReader reader, int first) =>
        new(reader.GetInt64(first), reader.GetInt64(first + 1), reader.GetString(first + 2).Trim(), LocalClock.ToUtc(reader.GetDateTime(first + 3)),
            reader.GetString(first + 4)[0], reader.GetInt64(first + 5));

    /// <summary>Parameters: the key columns, then OP, CHANGED_AT (local time), ORIGIN, BASE_SEQ.</summary>
    public static string WriteSql(SyncTable table, bool masterVersions)
    {
        var keys = KeyList(table);
        return $"UPDATE OR INSERT INTO {table.VersionTable} ({keys}, {WrittenColumns}) " +
               $"VALUES ({string.Join(", ", table.KeyColumns.Select(_ => "?"))}, {SequenceAndTx(masterVersions)}, ?, ?, ?, ?) MATCHING ({keys})";
    }

    /// <summary>PSQL variables of an apply batch that hold the version row read (also its output columns, so that a
    /// change left to the policy comes back with it).</summary>
    public const string Declarations =
        "HZ_V_SEQ BIGINT, HZ_V_TX BIGINT, HZ_V_ORIGIN VARCHAR(16) CHARACTER SET ASCII, HZ_V_AT TIMESTAMP, HZ_V_OP CHAR(1) CHARACTER SET ASCII, HZ_V_BASE BIGINT";

    /// <summary>The output columns after the slot and status: where <see cref="FromReader"/> starts.</summary>
    public const int FirstOutput = 2;

    /// <summary>PSQL: reads the key's version row into the variables (all NULL when there is none).</summary>
    public static string ReadInto(SyncTable table, Func<SyncColumn, string> keyValue) =>
        $"HZ_V_SEQ = NULL; HZ_V_TX = NULL; HZ_V_ORIGIN = NULL; HZ_V_AT = NULL; HZ_V_OP = NULL; HZ_V_BASE = NULL;\n" +
        $"    SELECT {Columns} FROM {table.VersionTable} WHERE {KeyMatch(table, keyValue)} INTO HZ_V_SEQ, HZ_V_TX, HZ_V_ORIGIN, HZ_V_AT, HZ_V_OP, HZ_V_BASE;";

    /// <summary>Block parameters the fast path tests against (bound by <see cref="BlockArguments"/>).</summary>
    public const string BlockParameters = "HZ_SENDER VARCHAR(16) CHARACTER SET ASCII = ?, HZ_ACK_SEQ BIGINT = ?, HZ_ACK_TX BIGINT = ?";

    public static object?[] BlockArguments(FastPath fastPath) => new object?[] { fastPath.Sender, fastPath.Acknowledged.Sequence, fastPath.Acknowledged.ResendFromTx };

    /// <summary>PSQL condition: the change applies without the policy (the same test as its Decide, for these changes).
    /// <paramref name="changeBase"/> is the change's BASE_SEQ. A key without a version row may still hold a row that
    /// needs the policy (a held row, docs/sync-engine.md "What each node keeps"): at the Siège when the change was made on
    /// no master version (base 0), at a site while the table's initial load is not acknowledged.</summary>
    public static string FastPathCondition(SyncTable table, Func<SyncColumn, string> keyValue, FastPath fastPath, string changeBase)
    {
        var noRow = $"NOT EXISTS (SELECT 1 FROM {table.Quoted} WHERE {KeyMatch(table, keyValue)})";
        return fastPath.Test switch
        {
            FastPathTest.Always => "1 = 1",
            FastPathTest.NoConcurrentEdit =>
                $"(HZ_V_SEQ IS NULL AND ({changeBase} > 0 OR {noRow})) OR HZ_V_ORIGIN = :HZ_SENDER OR IIF(HZ_V_BASE > 0, HZ_V_BASE, HZ_V_SEQ) <= {changeBase}",
            FastPathTest.NothingPendingHere =>
                $"{(fastPath.LoadPendingTables.Contains(table.Id) ? $"(HZ_V_SEQ IS NULL AND {noRow})" : "HZ_V_SEQ IS NULL")} " +
                $"OR NOT (HZ_V_SEQ > :HZ_ACK_SEQ OR (HZ_V_SEQ > 0 AND (HZ_V_TX >= :HZ_ACK_TX{OpenIn(fastPath.Acknowledged)})))",
            _ => throw new ArgumentOutOfRangeException(nameof(fastPath)),
        };
    }

    /// <summary>Watermark.StillToSend's open transactions: numbers written into the statement (long values, never text
    /// from outside; at most <see cref="OpenTransactions.MaxListed"/>), as <see cref="Watermark.SqlStillToSend"/> does.</summary>
    private static string OpenIn(Watermark acknowledged) => acknowledged.Open.IsEmpty ? "" : $" OR HZ_V_TX IN ({acknowledged.Open})";

    /// <summary>PSQL: writes the version row of an applied upsert, after <see cref="ReadInto"/> (an insert when the key
    /// had none, so no second lookup). The values are PSQL expressions of the change's own fields.</summary>
    public static string Stamp(SyncTable table, Func<SyncColumn, string> keyValue, bool masterVersions, FastPath fastPath,
        string changedAt, string origin, string sequence, string baseSequence)
    {
        if (!fastPath.Stamps(table)) return "";
        var (seq, tx, stampOrigin, stampBase) = StampValues(masterVersions, fastPath, origin, sequence, baseSequence);
        return $"IF (HZ_V_SEQ IS NULL) THEN\n" +
               $"      {InsertStamp(table, keyValue, masterVersions, fastPath, changedAt, origin, sequence, baseSequence)}\n" +
               $"    ELSE\n" +
               $"      UPDATE {table.VersionTable} SET SEQ = {seq}, TX = {tx}, OP = 'U', CHANGED_AT = {changedAt}, ORIGIN = {stampOrigin}, BASE_SEQ = {stampBase} WHERE {KeyMatch(table, keyValue)};";
    }

    /// <summary>PSQL: inserts the version row of an applied upsert whose key has none (a unique violation if it has one).</summary>
    public static string InsertStamp(SyncTable table, Func<SyncColumn, string> keyValue, bool masterVersions, FastPath fastPath,
        string changedAt, string origin, string sequence, string baseSequence)
    {
        var (seq, tx, stampOrigin, stampBase) = StampValues(masterVersions, fastPath, origin, sequence, baseSequence);
        return $"INSERT INTO {table.VersionTable} ({KeyList(table)}, {WrittenColumns}) VALUES ({string.Join(", ", table.KeyColumns.Select(keyValue))}, {seq}, {tx}, 'U', {changedAt}, {stampOrigin}, {stampBase});";
    }

    private static (string Sequence, string Tx, string Origin, string Base) StampValues(bool masterVersions, FastPath fastPath, string origin, string sequence, string baseSequence)
    {
        var (stampOrigin, stampBase) = fastPath.Stamp switch
        {
            VersionStamp.FromSender => (":HZ_SENDER", "0"),
            VersionStamp.CarriedOriginMasterBase => (origin, sequence),
            VersionStamp.CarriedOriginAndBase => (origin, baseSequence),
            _ => throw new ArgumentOutOfRangeException(nameof(fastPath)),
        };
        var (seq, tx) = NewSequenceAndTx(masterVersions);
        return (seq, tx, stampOrigin, stampBase);
    }

    private static string SequenceAndTx(bool masterVersions)
    {
        var (seq, tx) = NewSequenceAndTx(masterVersions);
        return $"{seq}, {tx}";
    }

    /// <summary>SEQ and TX of a version row written now: a new master sequence and this transaction at the Siège, 0 at a site.</summary>
    private static (string Sequence, string Tx) NewSequenceAndTx(bool masterVersions) =>
        masterVersions ? ($"GEN_ID({CaptureObjects.Sequence}, 1)", "CURRENT_TRANSACTION") : ("0", "0");

    private static string KeyList(SyncTable table) => string.Join(", ", table.KeyColumns.Select(c => c.Quoted));

    private static string KeyMatch(SyncTable table, Func<SyncColumn, string> value) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"{c.Quoted} = {value(c)}"));
}

/// <summary>
/// What each node keeps per key, and the housekeeping that keeps it so small (docs/sync-engine.md, "What each node
/// keeps"). A business row without a version row is <em>held</em>: at a site, a row of the initial load not yet
/// acknowledged (while HZ$TABLES.HELD_SEQ is above the acknowledgement) or a row nobody needs to be told about; at the
/// Siège, a row whose last version every site has applied (folded) or a row of the Siège's own initial load, sent to a
/// site whose applied watermark is below HELD_SEQ. The apply's per-row reads and writes of version rows stay in
/// <see cref="TableApplier"/>; this is everything else that reads or writes them.
/// </summary>
internal static partial class VersionRows
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
            if (LoadRuns.Installed(restored, tx)) restored.Execute(tx, $"DELETE FROM {LoadRuns.TableName}");   // the master's, as its version rows
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
        bool runs;
        using (var tx = master.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            runs = LoadRuns.Installed(master, tx);
        }
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
                if (runs)
                {
                    // Load runs every site has applied fold the same way: their rows are then held like any folded row.
                    using var tx = master.BeginTransaction(new FbTransactionOptions { Wait = false });
                    master.Execute(tx, $"DELETE FROM {LoadRuns.TableName} v WHERE v.TABLE_ID = ? AND v.SEQ <= ? AND {string.Join(" AND ", taken)}",
                        new object?[] { table.Id }.Concat(arguments).ToArray());
                    tx.Commit();
                }
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
