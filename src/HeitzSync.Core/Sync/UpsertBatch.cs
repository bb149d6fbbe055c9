using System.Globalization;
using System.Text;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>What became of one change of an <see cref="UpsertBatch"/>.</summary>
internal enum BatchOutcome
{
    /// <summary>Written and its version row stamped, engine-side.</summary>
    Applied,

    /// <summary>Not written: the fast path leaves it to the policy, which decides with the version row read.</summary>
    LeftToPolicy,

    /// <summary>Not written: a foreign key refused it (its parent may come later); nothing of it was kept.</summary>
    RefusedByForeignKey,

    /// <summary>Siège: a row of the sender's initial load the master did not have, written without a version row: the
    /// policy holds it in a load run (<see cref="LoadRuns"/>).</summary>
    Held,

    /// <summary>Not written: tried as a new key, it was not (or a foreign key refused it), and its table has blobs, which
    /// went with the refused INSERT: it goes row by row, as if it had never been in the batch.</summary>
    NotNew,
}

/// <summary>
/// The upserts of one table, several rows per call (docs/sync-engine.md, "Applying in batches"): one prepared EXECUTE
/// BLOCK takes up to <see cref="Slots"/> changes and, for each, reads the key's version row; when the policy's
/// <see cref="FastPath"/> says the change applies, it writes the row and stamps the version row, all engine-side. A row a
/// foreign key refuses is undone alone (its own savepoint) and reported; a change the fast path leaves out comes back
/// with the version row read. Changes wait here (their blobs too) until the batch runs: at most <see cref="Slots"/> rows
/// and <see cref="BlobBudget"/> bytes of blobs in memory.
/// At the Siège a batch may first try each change as a new key (<see cref="InsertsFirst"/>): a plain INSERT of the row
/// and of its version row, no lookup. When both go in, the key had neither, and the fast path would have done exactly
/// that; when either is refused (the key exists, a foreign key), both are undone and the change takes the ordinary way.
/// <see cref="InsertFirstGate"/> stops trying while a table's changes are mostly not new.
/// </summary>
internal sealed class UpsertBatch : IDisposable
{
    /// <summary>Rows per call at most; measured on the sample schema, more gains little.</summary>
    public const int MaxSlots = 32;

    /// <summary>Bytes of blobs held in memory before the batch runs early (larger blobs wait in temporary files).</summary>
    public const long BlobBudget = 8 * 1024 * 1024;

    /// <summary>Firebird 3 takes statements up to 64 KiB; a table so wide that two rows do not fit goes row by row.</summary>
    private const int MaxStatementLength = 60_000;

    /// <summary>Firebird 3 takes at most 256 table references (contexts) in one statement; a slot makes about 7 (a table
    /// with additive columns about 13).</summary>
    private const int MaxContexts = 240;

    /// <summary>Rows per call at most at the Siège for a table that tries inserts first (<see cref="InsertsFirst"/>): a
    /// slot then makes about 9 table references.</summary>
    public const int MaxSlotsInsertingFirst = MaxContexts / 9;

    private const int BlockArgumentCount = 5;   // SENDER, ACK_SEQ, ACK_TX, ORIGIN, INSERT_FIRST

    private readonly TableApplier _table;
    private readonly FastPath _fastPath;
    private readonly string _contributor;
    private readonly bool _holdsLoads;
    private readonly bool _insertsFirst;
    private readonly SlotFields _fields;
    private readonly InsertFirstGate _gate = new();
    private readonly FbCommand _command;
    private readonly bool _ownsCommand;
    private readonly List<Pending> _pending = new();
    private readonly HashSet<object?[]> _keys = new(KeyComparer.Instance);
    private long _blobBytes;

    private UpsertBatch(TableApplier table, FastPath fastPath, bool masterVersions, string contributor, FbCommand command, int slots, bool ownsCommand)
    {
        _ownsCommand = ownsCommand;
        _table = table;
        _fastPath = fastPath;
        _contributor = contributor;
        _holdsLoads = HoldsLoads(table, fastPath);
        _insertsFirst = InsertsFirst(table.Table, fastPath, masterVersions);
        _fields = SlotFields.Of(table.Table, fastPath);
        _command = command;
        Slots = slots;
    }

    private sealed record Pending(IncomingChange Change, IReadOnlyList<Stream> Blobs);

    public int Slots { get; }

    /// <summary>Changes written as new keys (<see cref="InsertsFirst"/>), since this batch was made.</summary>
    public long InsertedFirst { get; private set; }

    /// <summary>Changes tried as new keys that were refused (the key existed, a foreign key…), since this batch was made.</summary>
    public long InsertFirstMisses { get; private set; }
    public int Count => _pending.Count;
    public bool IsFull => _pending.Count >= Slots || _blobBytes >= BlobBudget;

    /// <summary>Prepares the batch statement of <paramref name="table"/>, or null when two rows of it do not fit one
    /// statement (those go row by row). With <paramref name="prepared"/>, a statement prepared by an earlier transaction
    /// of the connection is taken again, and one prepared now is kept there.</summary>
    public static UpsertBatch? Create(FbConnection connection, FbTransaction transaction, TableApplier table, FastPath fastPath, bool masterVersions,
        string contributor, int maxSlots, PreparedBatches? prepared = null)
    {
        if (prepared is null) return Prepare(connection, transaction, table, fastPath, masterVersions, contributor, maxSlots, ownsCommand: true);
        var key = Sql(table, fastPath, masterVersions, maxSlots);
        if (prepared.TryTake(key, transaction, out var command, out var slots))
        {
            return command is null ? null : new UpsertBatch(table, fastPath, masterVersions, contributor, command, slots, ownsCommand: false);
        }
        var batch = Prepare(connection, transaction, table, fastPath, masterVersions, contributor, maxSlots, ownsCommand: false);
        prepared.Keep(key, batch?._command, batch?.Slots ?? 0);
        return batch;
    }

    private static UpsertBatch? Prepare(FbConnection connection, FbTransaction transaction, TableApplier table, FastPath fastPath, bool masterVersions,
        string contributor, int maxSlots, bool ownsCommand)
    {
        var head = Head(table, fastPath, masterVersions);
        var slotLength = Math.Max(SlotParameters(table, fastPath, 0).Length, SlotParameters(table, fastPath, maxSlots - 1).Length)
                         + Math.Max(SlotBody(table, fastPath, masterVersions, 0).Length, SlotBody(table, fastPath, masterVersions, maxSlots - 1).Length) + 4;
        for (var slots = Math.Min(SlotsAtMost(table.Table, fastPath, masterVersions, maxSlots), (MaxStatementLength - head.Length) / slotLength); slots >= 2; slots /= 2)
        {
            try
            {
                return new UpsertBatch(table, fastPath, masterVersions, contributor, connection.Prepare(transaction, Sql(table, fastPath, masterVersions, slots)), slots, ownsCommand);
            }
            catch (FbException)
            {
                // An implementation limit this estimate missed (contexts, message size): fewer rows per call.
            }
        }
        return null;
    }

    /// <summary>Rows per call the engine's limits allow (its table references: a slot makes about 7, 9 when it tries an
    /// insert first, 13 with additive columns); the statement's length may allow fewer.</summary>
    private static int SlotsAtMost(SyncTable table, FastPath fastPath, bool masterVersions, int maxSlots) =>
        Math.Min(maxSlots, table.HasAdditive ? MaxContexts / 13 : InsertsFirst(table, fastPath, masterVersions) ? MaxSlotsInsertingFirst : MaxContexts / 7);

    /// <summary>Whether a batch of this table tries each change as a new key first: at the Siège (the fast path of no
    /// concurrent edit, version rows with master sequences), for a table without additive columns (their totals need the
    /// row read).</summary>
    internal static bool InsertsFirst(SyncTable table, FastPath fastPath, bool masterVersions) =>
        fastPath.Test == FastPathTest.NoConcurrentEdit && masterVersions && fastPath.Stamps(table) && !table.HasAdditive;

    private static string Sql(TableApplier table, FastPath fastPath, bool masterVersions, int slots)
    {
        var sql = new StringBuilder(Open);
        for (var s = 0; s < slots; s++) sql.Append(",\n  ").Append(SlotParameters(table, fastPath, s));
        sql.Append(Between(table, fastPath, masterVersions));
        for (var s = 0; s < slots; s++) sql.Append(SlotBody(table, fastPath, masterVersions, s));
        sql.Append(Close(table, fastPath, masterVersions));
        return sql.ToString();
    }

    private static string Head(TableApplier table, FastPath fastPath, bool masterVersions) =>
        Open + Between(table, fastPath, masterVersions) + Close(table, fastPath, masterVersions);

    /// <summary>The block's own parameters, bound first (<see cref="BlockArgumentCount"/>).</summary>
    private const string Open = "EXECUTE BLOCK (" + VersionRows.BlockParameters + ", HZ_ORIGIN VARCHAR(16) CHARACTER SET ASCII = ?, HZ_INSERT_FIRST SMALLINT = ?";

    private static string Between(TableApplier table, FastPath fastPath, bool masterVersions) =>
        ")\nRETURNS (HZ_SLOT SMALLINT, HZ_STATUS SMALLINT, " + VersionRows.Declarations + ")\nAS\n" + table.Declarations() +
        (InsertsFirst(table.Table, fastPath, masterVersions) ? "DECLARE HZ_MISSES INTEGER = 0;\n" : "") + "BEGIN\n";

    /// <summary>The end of the block: with inserts first, one more row (slot -1) tells how many of them missed.</summary>
    private static string Close(TableApplier table, FastPath fastPath, bool masterVersions) =>
        (InsertsFirst(table.Table, fastPath, masterVersions)
            ? "  IF (HZ_MISSES > 0) THEN\n  BEGIN\n    HZ_SLOT = -1;\n    HZ_STATUS = HZ_MISSES;\n    HZ_V_SEQ = NULL;\n    SUSPEND;\n  END\n"
            : "") + "END";

    /// <summary>A slot's parameters: USE (0 or NULL: an empty slot; 1: a change; 2: a load row to hold), the fields of
    /// the change's header its SQL reads (<see cref="SlotFields"/>), then the row's columns.</summary>
    private static string SlotParameters(TableApplier table, FastPath fastPath, int s)
    {
        var fields = SlotFields.Of(table.Table, fastPath);
        return $"S{s}_USE SMALLINT = ?, " +
               (fields.ChangedAt ? $"S{s}_AT TIMESTAMP = ?, " : "") +
               (fields.Origin ? $"S{s}_ORIGIN VARCHAR(16) CHARACTER SET ASCII = ?, " : "") +
               (fields.Sequence ? $"S{s}_SEQ BIGINT = ?, " : "") +
               (fields.BaseSequence ? $"S{s}_BASE BIGINT = ?, " : "") +
               string.Join(", ", table.Table.Columns.Select((c, i) => $"S{s}_P{i} {TableApplier.CarriedSqlType(c)} = ?"));
    }

    /// <summary>
    /// Which fields of a change's header a slot binds: only those its SQL reads, since every parameter costs the engine
    /// a copy and an assignment per row, whether read or not (measured: four unread ones cost a batch a tenth of its
    /// rate). The change time stamps a version row; the origin and sequence are stamped at a site only (the Siège stamps
    /// the sender, base 0); the base decides the Siège's fast path and a full restore's stamp.
    /// </summary>
    private sealed record SlotFields(bool ChangedAt, bool Origin, bool Sequence, bool BaseSequence)
    {
        public static SlotFields Of(SyncTable table, FastPath fastPath)
        {
            var stamps = fastPath.Stamps(table);
            return new SlotFields(
                ChangedAt: stamps,
                Origin: stamps && fastPath.Stamp != VersionStamp.FromSender,
                Sequence: stamps && fastPath.Stamp == VersionStamp.CarriedOriginMasterBase,
                BaseSequence: fastPath.Test == FastPathTest.NoConcurrentEdit || (stamps && fastPath.Stamp == VersionStamp.CarriedOriginAndBase));
        }

        /// <summary>Parameters of a slot before its columns, USE included.</summary>
        public int Count => 1 + (ChangedAt ? 1 : 0) + (Origin ? 1 : 0) + (Sequence ? 1 : 0) + (BaseSequence ? 1 : 0);
    }

    /// <summary>Whether the Siège holds this table's load rows in runs instead of stamping them (<see cref="LoadRuns"/>).</summary>
    private static bool HoldsLoads(TableApplier table, FastPath fastPath) => fastPath.HoldsLoads && LoadRuns.CanHold(table.Table);

    /// <summary>One slot: read the version, take the fast path (write, stamp; a foreign key undoes both), or hand it back.
    /// A load row to hold (USE = 2) the master has neither a version nor a row of is written without a version row (status 3): the
    /// fast path lets a change on no version (base 0) through only when the key has no row.</summary>
    private static string SlotBody(TableApplier table, FastPath fastPath, bool masterVersions, int s)
    {
        var columns = table.Table.Columns;
        var values = columns.Select((_, i) => $":S{s}_P{i}").ToList();
        string KeyValue(SyncColumn key) => values[IndexOf(columns, key)];
        var stamp = VersionRows.Stamp(table.Table, KeyValue, masterVersions, fastPath, $":S{s}_AT", $":S{s}_ORIGIN", $":S{s}_SEQ", $":S{s}_BASE");
        var holds = HoldsLoads(table, fastPath);
        var hold = holds ? $"IF (S{s}_USE = 2 AND HZ_V_SEQ IS NULL) THEN HZ_STATUS = 3;" : "";
        var stampUnlessHeld = holds ? "IF (HZ_STATUS = 0) THEN\n    BEGIN\n    " + stamp + "\n    END" : stamp;
        var ordinary = $@"    {VersionRows.ReadInto(table.Table, KeyValue)}
    HZ_STATUS = 0;
    IF ({VersionRows.FastPathCondition(table.Table, KeyValue, fastPath, $":S{s}_BASE")}) THEN
    BEGIN
      {hold}
      {table.UpsertBody(values)}
    {stampUnlessHeld}
      WHEN GDSCODE foreign_key DO HZ_STATUS = 2;
    END
    ELSE HZ_STATUS = 1;
";
        if (InsertsFirst(table.Table, fastPath, masterVersions))
        {
            // A load row to hold is never tried: it must not get a version row. The two INSERTs sit in a block of their
            // own, without a handler, so that a refusal undoes both (a handler in the same block would undo only the
            // statement refused, and keep a row written before it). Any refusal is a miss (the key exists, a foreign
            // key, a business trigger that objects to an INSERT): the ordinary way then meets the change as it always
            // did, its errors included. It runs in the block, but in a table with blobs (the refused INSERT took them
            // with it): that one goes row by row.
            var insertStamp = VersionRows.InsertStamp(table.Table, KeyValue, masterVersions, fastPath, $":S{s}_AT", $":S{s}_ORIGIN", $":S{s}_SEQ", $":S{s}_BASE");
            var tried = $"HZ_INSERT_FIRST = 1 AND S{s}_USE = 1";
            var afterMiss = columns.Any(c => c.IsBlob)
                ? $@"    IF (HZ_STATUS = -1 AND {tried}) THEN
    BEGIN
      HZ_STATUS = 4;
      HZ_V_SEQ = NULL;
    END
    ELSE IF (HZ_STATUS = -1) THEN"
                : "    IF (HZ_STATUS = -1) THEN";
            ordinary = $@"    HZ_STATUS = -1;
    IF ({tried}) THEN
    BEGIN
      BEGIN
        {table.InsertBody(values)}
        {insertStamp}
        HZ_STATUS = 0;
      END
      WHEN ANY DO HZ_MISSES = HZ_MISSES + 1;
    END
{afterMiss}
    BEGIN
  {ordinary.Replace("\n", "\n  ").TrimEnd()}
    END
";
        }
        return $@"  IF (S{s}_USE > 0) THEN
  BEGIN
{ordinary}    IF (HZ_STATUS > 0) THEN
    BEGIN
      HZ_SLOT = {s.ToString(CultureInfo.InvariantCulture)};
      SUSPEND;
    END
  END
";
    }

    /// <summary>Whether a change of this key already waits in the batch (the batch must run first, to keep the order).</summary>
    public bool Holds(object?[] key) => _keys.Contains(key);

    /// <summary>Adds a change; <paramref name="blobs"/> are its blob streams, which the batch now owns.</summary>
    public void Add(IncomingChange change, IReadOnlyList<Stream> blobs)
    {
        if (_pending.Count >= Slots) throw new InvalidOperationException("The batch is full: run it first.");
        _pending.Add(new Pending(change, blobs));
        _keys.Add(change.Key);
        foreach (var blob in blobs)
        {
            if (blob is MemoryStream memory) _blobBytes += memory.Length;
        }
    }

    /// <summary>Runs the batch: one call for every waiting change. Returns what became of each, in the order they came,
    /// with the version row read for those left to the policy. The changes stay readable (blobs rewound) until
    /// <see cref="Clear"/>.</summary>
    public IReadOnlyList<(IncomingChange Change, BatchOutcome Outcome, VersionRow? Version)> Run()
    {
        var columns = _table.Table.Columns.Count;
        var perSlot = _fields.Count + columns;
        var args = new object?[BlockArgumentCount + Slots * perSlot];
        VersionRows.BlockArguments(_fastPath).CopyTo(args, 0);
        args[3] = _contributor;
        var insertFirst = _insertsFirst && _gate.TryNow();
        args[4] = (short)(insertFirst ? 1 : 0);
        var tried = 0;
        for (var s = 0; s < _pending.Count; s++)
        {
            var change = _pending[s].Change;
            var at = BlockArgumentCount + s * perSlot;
            var held = _holdsLoads && LoadRuns.IsLoadRow(change.Header);
            args[at++] = (short)(held ? 2 : 1);
            if (!held) tried++;
            if (_fields.ChangedAt) args[at++] = LocalClock.ToLocal(change.Header.ChangedAtUtc);
            if (_fields.Origin) args[at++] = change.Header.Origin;
            if (_fields.Sequence) args[at++] = change.Header.Sequence;
            if (_fields.BaseSequence) args[at++] = change.Header.BaseSequence;
            Array.Copy(change.Values, 0, args, at, columns);
        }
        var misses = 0;
        var outcomes = new BatchOutcome[_pending.Count];
        var versions = new VersionRow?[_pending.Count];
        using (var reader = _command.ExecuteReader(args))
        {
            while (reader.Read())
            {
                var slot = reader.GetInt32(0);
                if (slot < 0)
                {
                    misses = reader.GetInt32(1);
                    continue;
                }
                outcomes[slot] = reader.GetInt32(1) switch
                {
                    1 => BatchOutcome.LeftToPolicy,
                    2 => BatchOutcome.RefusedByForeignKey,
                    3 => BatchOutcome.Held,
                    _ => BatchOutcome.NotNew,
                };
                versions[slot] = reader.IsDBNull(VersionRows.FirstOutput) ? null : VersionRows.FromReader(reader, VersionRows.FirstOutput);
            }
        }
        if (insertFirst)
        {
            _gate.Ran(tried, misses);
            InsertedFirst += tried - misses;
            InsertFirstMisses += misses;
        }
        foreach (var pending in _pending)
        {
            foreach (var blob in pending.Blobs) blob.Position = 0;   // a change left to the policy may be written again
        }
        return _pending.Select((p, i) => (p.Change, outcomes[i], versions[i])).ToList();
    }

    /// <summary>Forgets the changes of the last run and releases their blobs.</summary>
    public void Clear()
    {
        foreach (var pending in _pending)
        {
            foreach (var blob in pending.Blobs) blob.Dispose();
        }
        _pending.Clear();
        _keys.Clear();
        _blobBytes = 0;
    }

    private static int IndexOf(IReadOnlyList<SyncColumn> columns, SyncColumn column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name == column.Name) return i;
        }
        throw new InvalidOperationException($"Column {column.Name} is not among the carried columns.");
    }

    public void Dispose()
    {
        Clear();
        if (_ownsCommand) _command.Dispose();
    }

    /// <summary>Keys of one table compared by value (text byte for byte).</summary>
    private sealed class KeyComparer : IEqualityComparer<object?[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(object?[]? x, object?[]? y)
        {
            if (x is null || y is null || x.Length != y.Length) return ReferenceEquals(x, y);
            for (var i = 0; i < x.Length; i++)
            {
                var same = (x[i], y[i]) switch
                {
                    (FbRawText a, FbRawText b) => a.Bytes.AsSpan().SequenceEqual(b.Bytes),
                    var (a, b) => Equals(a, b),
                };
                if (!same) return false;
            }
            return true;
        }

        public int GetHashCode(object?[] key)
        {
            var hash = 17;
            foreach (var value in key)
            {
                var part = value switch
                {
                    null => 0,
                    FbRawText raw => Fnv(raw.Bytes),
                    _ => value.GetHashCode(),
                };
                hash = unchecked(hash * 31 + part);
            }
            return hash;
        }

        private static int Fnv(byte[] bytes)
        {
            var hash = unchecked((int)2166136261);
            foreach (var b in bytes) hash = unchecked((hash ^ b) * 16777619);
            return hash;
        }
    }
}

/// <summary>
/// Whether a batch tries its changes as new keys first (<see cref="UpsertBatch.InsertsFirst"/>). A change that was not
/// new costs about twice the ordinary way (the refused INSERT is undone, then the ordinary way runs), one that was saves
/// a fifth (bench/README.md), so the gate tries while at most one change in eight misses. After a batch that missed
/// more, it lets the next batches take the ordinary way, then tries one again: 1, 2, 4… up to 64 batches while the
/// table's changes keep missing (updates, a package sent again), back to every batch once they are new again.
/// </summary>
internal sealed class InsertFirstGate
{
    public const int LongestPause = 64;

    private int _pause = 1;
    private int _skip;

    /// <summary>Whether the next batch tries inserts first (false counts a batch of the pause).</summary>
    public bool TryNow()
    {
        if (_skip == 0) return true;
        _skip--;
        return false;
    }

    /// <summary>What became of a batch that tried: <paramref name="tried"/> changes, <paramref name="misses"/> of them not new.</summary>
    public void Ran(int tried, int misses)
    {
        if (misses * 8 > tried)
        {
            _skip = _pause;
            _pause = Math.Min(_pause * 2, LongestPause);
        }
        else
        {
            _pause = 1;
        }
    }
}
