using System.Globalization;
using System.Text;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>One change as the apply loop sees it.</summary>
internal sealed class IncomingChange
{
    public IncomingChange(TableApplier table, SectionKind kind, object?[] key, object?[] values, ChangeHeader header, Func<string, TableApplier?> tables)
    {
        Table = table;
        Kind = kind;
        Key = key;
        Values = values;
        Header = header;
        Tables = tables;
    }

    public TableApplier Table { get; }

    /// <summary>The statements of another synchronised table of the same apply (null when it is not synchronised).</summary>
    public Func<string, TableApplier?> Tables { get; }
    public SectionKind Kind { get; }
    public object?[] Key { get; }
    public object?[] Values { get; }
    public ChangeHeader Header { get; }
    public bool IsDelete => Kind == SectionKind.Deletes;
    public string KeyText => ChangeApplier.FormatKey(Key);
}

/// <summary>What the receiving node decides about each change (Siège: conflicts; site: pending local changes).</summary>
internal interface IApplyPolicy
{
    /// <summary>The decisions that need no call to <see cref="Decide"/>, as an apply batch takes them engine-side, and the
    /// version row such a change gets (the same as <see cref="Applied"/> writes).</summary>
    FastPath FastPath { get; }

    /// <summary>True to apply; false to skip (the policy records why). <paramref name="version"/> is the receiving
    /// database's version row of the key (null when it has none, or when <see cref="FastPath"/> says it is not needed).</summary>
    bool Decide(IncomingChange change, VersionRow? version);

    /// <summary>Called after the business row was written (or, for a delete, once the row is gone): records the version row.</summary>
    void Applied(IncomingChange change);

    /// <summary>Called, in the package's order, for a row an apply batch wrote without a version row (<see cref="BatchOutcome.Held"/>:
    /// only when <see cref="FastPath"/> holds loads).</summary>
    void Held(IncomingChange change);

    /// <summary>Called for every skipped row once its additive totals were applied; <paramref name="contributionsApplied"/>
    /// when they changed the row's value (it must reach the others). A policy writes the row's version here, after its
    /// business row: the order a user's transaction takes them in (its capture trigger), so the two never wait on each other.</summary>
    void Skipped(IncomingChange change, bool contributionsApplied);

    /// <summary>Called for a change that still breaks a foreign key after every other change was applied.</summary>
    void CannotApply(IncomingChange change, FbException error);

    /// <summary>Called for the delete of a child row that the refused delete of its parent would have taken by ON DELETE
    /// CASCADE: the child stays with its parent.</summary>
    void KeptWithParent(IncomingChange change);
}

/// <summary>Per-table counts of one apply, for the report.</summary>
public sealed class AppliedTableCounts
{
    public long Upserts { get; internal set; }
    public long Deletes { get; internal set; }
    public long Skipped { get; internal set; }
}

/// <summary>
/// Applies a change stream inside one transaction: sections in the order they come (parents first for upserts,
/// children first for deletes); a row refused by a foreign key is retried once everything else is in, in case its
/// parent came later (self-references, cycles) and is then handed to the policy.
/// Upserts go in batches (<see cref="UpsertBatch"/>): the changes the policy's fast path takes are written engine-side,
/// several per call; the others, and deletes, go row by row through the policy as before.
/// The delete of a row whose parent may take it by ON DELETE CASCADE waits until the parents' deletes are settled:
/// when its parent's delete goes through, the parent's cascade deletes it here as at its origin; when that delete is
/// refused, the child stays too, as if the delete had never come (DESIGN.md §6). A child deleted on its own (its parent
/// stays) is deleted then.
/// </summary>
internal sealed class ChangeApplier : IDisposable
{
    public const int ForeignKeyViolation = 335544466;

    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly SyncSchema _schema;
    private readonly bool _masterVersions;
    private readonly string _contributor;
    private readonly Dictionary<string, TableApplier> _tables = new(StringComparer.Ordinal);

    /// <param name="contributor">Under which origin incoming additive totals are kept (see <see cref="TableApplier"/>).</param>
    public ChangeApplier(FbConnection connection, FbTransaction transaction, SyncSchema schema, bool masterVersions, string contributor)
    {
        _connection = connection;
        _transaction = transaction;
        _schema = schema;
        _masterVersions = masterVersions;
        _contributor = contributor;
    }

    public Dictionary<string, AppliedTableCounts> Counts { get; } = new(StringComparer.Ordinal);

    /// <summary>Changes the batches wrote as new keys, and changes they tried so in vain (docs/sync-engine.md, "Applying in batches").</summary>
    public (long Inserted, long Missed) InsertedFirst =>
        (_tables.Values.Sum(t => t.InsertedFirst.Inserted), _tables.Values.Sum(t => t.InsertedFirst.Missed));

    /// <summary>Rows per call of each table's batch (those that had one).</summary>
    public IReadOnlyDictionary<string, int> BatchSlots =>
        _tables.Where(t => t.Value.BatchSlots is not null).ToDictionary(t => t.Key, t => t.Value.BatchSlots!.Value, StringComparer.Ordinal);

    /// <summary>Upserts per batch call at most; 1 applies every change row by row (the tests compare both ways).</summary>
    public int BatchRows { get; init; } = UpsertBatch.MaxSlots;

    /// <summary>Batch statements kept across the connection's transactions (null: prepared for this apply).</summary>
    public PreparedBatches? Prepared { get; init; }

    public void Apply(ChangeReader reader, IApplyPolicy policy, CancellationToken cancellationToken)
    {
        var deferred = new List<IncomingChange>();
        var cascadable = new List<IncomingChange>();
        var header = new ChangeHeader();
        while (reader.NextSection())
        {
            var table = TableFor(reader);
            var batch = reader.SectionKind == SectionKind.Upserts ? BatchOf(table, policy.FastPath) : null;
            var values = new object?[reader.ColumnNames.Count];
            var rows = 0;
            while (reader.NextRow(header, values))
            {
                if ((++rows & 255) == 0) cancellationToken.ThrowIfCancellationRequested();
                if (batch is not null)
                {
                    var batchKey = table.KeyOf(values);
                    if (batch.Holds(batchKey)) Run(batch, policy, deferred, cascadable);   // the same key twice: in order
                    batch.Add(new IncomingChange(table, reader.SectionKind, batchKey, values, header.Copy(), TableNamed), reader.TakeBlobs());
                    if (batch.IsFull) Run(batch, policy, deferred, cascadable);
                    values = new object?[values.Length];
                    continue;
                }
                var key = reader.SectionKind == SectionKind.Upserts ? table.KeyOf(values) : (object?[])values.Clone();
                RowByRow(new IncomingChange(table, reader.SectionKind, key, values, header, TableNamed), policy, deferred, cascadable);
            }
            if (batch is not null) Run(batch, policy, deferred, cascadable);
        }
        Settle(deferred, cascadable, policy, cancellationToken);
    }

    /// <summary>A change outside any batch: the policy decides with the version row it needs, read now.</summary>
    private void RowByRow(IncomingChange change, IApplyPolicy policy, List<IncomingChange> deferred, List<IncomingChange> cascadable)
    {
        var version = policy.FastPath.ReadsVersion ? change.Table.ReadVersion(change.Key) : null;
        Take(change, policy.Decide(change, version), policy, deferred, cascadable);
    }

    /// <summary>Applies the policy's decision about one change, row by row.</summary>
    private void Take(IncomingChange change, bool apply, IApplyPolicy policy, List<IncomingChange> deferred, List<IncomingChange> cascadable)
    {
        if (!apply)
        {
            Count(change.Table).Skipped++;
            // The row image stays out, never the changes an additive column carries: they add up whoever wins.
            policy.Skipped(change, !change.IsDelete && change.Table.Table.HasAdditive && change.Table.ApplyContributions(change.Values));
            return;
        }
        if (change.IsDelete && change.Table.Table.HasCascadeParents)
        {
            cascadable.Add(Detach(change));
            return;
        }
        if (!TryWrite(change, policy, out _))
        {
            deferred.Add(Detach(change));
        }
    }

    /// <summary>Runs a batch and takes what it left: a change refused by a foreign key waits like any other; one the fast
    /// path left to the policy is decided with the version row the batch read, then goes row by row.</summary>
    private void Run(UpsertBatch batch, IApplyPolicy policy, List<IncomingChange> deferred, List<IncomingChange> cascadable)
    {
        if (batch.Count == 0) return;
        foreach (var (change, outcome, version) in batch.Run())
        {
            switch (outcome)
            {
                case BatchOutcome.Applied:
                    Count(change.Table).Upserts++;
                    break;
                case BatchOutcome.RefusedByForeignKey:
                    deferred.Add(Detach(change));
                    break;
                case BatchOutcome.Held:
                    Count(change.Table).Upserts++;
                    policy.Held(change);
                    break;
                case BatchOutcome.NotNew:
                    RowByRow(change, policy, deferred, cascadable);
                    break;
                default:
                    Take(change, policy.Decide(change, version), policy, deferred, cascadable);
                    break;
            }
        }
        batch.Clear();
    }

    private UpsertBatch? BatchOf(TableApplier table, FastPath fastPath) => BatchRows > 1 ? table.Batch(fastPath, BatchRows) : null;

    /// <summary>Retries what a foreign key refused and settles the deletes that wait for their parents, while that makes
    /// progress; then hands what is left to the policy.</summary>
    private void Settle(List<IncomingChange> deferred, List<IncomingChange> cascadable, IApplyPolicy policy, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<IncomingChange, FbException>();
        while (deferred.Count > 0 || cascadable.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var progress = false;
            foreach (var change in deferred.ToList())
            {
                if (TryWrite(change, policy, out var error))
                {
                    deferred.Remove(change);
                    progress = true;
                }
                else
                {
                    errors[change] = error!;
                }
            }
            var pendingDeletes = PendingDeletes(deferred.Concat(cascadable));
            foreach (var change in cascadable.ToList())
            {
                if (!change.Table.Exists(change.Key))
                {
                    Record(change, policy);   // its parent's cascade took it, here as at its origin
                    cascadable.Remove(change);
                    progress = true;
                }
                else if (!WaitsForParent(change, pendingDeletes) && TryDelete(change, cascadable, errors, policy))
                {
                    progress = true;
                }
            }
            if (progress) continue;

            // No progress: the deletes still refused are final. A row that hangs on one of them (or on a row kept with
            // one, and so on) stays with it; any other waiting row waited on a parent that is itself only waiting (a
            // cycle of cascades): it is deleted now.
            var kept = KeptWithRefusedParents(deferred, cascadable);
            foreach (var change in cascadable.Where(c => !kept.Contains(Identity(c))).ToList())
            {
                progress |= TryDelete(change, cascadable, errors, policy);
            }
            if (progress) continue;

            foreach (var change in deferred) policy.CannotApply(change, errors[change]);
            foreach (var change in cascadable)
            {
                if (kept.Contains(Identity(change))) policy.KeptWithParent(change);
                else policy.CannotApply(change, errors[change]);   // its own delete failed in the pass just above
            }
            return;
        }
    }

    private bool TryDelete(IncomingChange change, List<IncomingChange> cascadable, Dictionary<IncomingChange, FbException> errors, IApplyPolicy policy)
    {
        if (TryWrite(change, policy, out var error))
        {
            cascadable.Remove(change);
            return true;
        }
        errors[change] = error!;
        return false;
    }

    /// <summary>The refused deletes, and the waiting child deletes that hang on one of them, transitively.</summary>
    private static HashSet<string> KeptWithRefusedParents(IEnumerable<IncomingChange> deferred, List<IncomingChange> cascadable)
    {
        var kept = PendingDeletes(deferred);
        bool grew;
        do
        {
            grew = false;
            foreach (var change in cascadable)
            {
                var id = Identity(change);
                if (!kept.Contains(id) && WaitsForParent(change, kept))
                {
                    kept.Add(id);
                    grew = true;
                }
            }
        }
        while (grew);
        return kept;
    }

    private static string Identity(IncomingChange change) => TableApplier.Identity(change.Table.Table.Name, change.Key);

    private static HashSet<string> PendingDeletes(IEnumerable<IncomingChange> changes) =>
        new(changes.Where(c => c.IsDelete).Select(Identity), StringComparer.Ordinal);

    /// <summary>Whether the row hangs, by an ON DELETE CASCADE key, on a parent row whose delete is still pending.</summary>
    private static bool WaitsForParent(IncomingChange change, HashSet<string> pendingDeletes)
    {
        foreach (var foreignKey in change.Table.Table.ForeignKeys.Where(fk => fk.CascadesDelete))
        {
            if (change.Table.ParentKeyOf(change.Key, foreignKey) is { } parent && pendingDeletes.Contains(TableApplier.Identity(foreignKey.ParentTable, parent)))
            {
                return true;
            }
        }
        return false;
    }

    private bool TryWrite(IncomingChange change, IApplyPolicy policy, out FbException? error)
    {
        try
        {
            if (change.IsDelete) change.Table.Delete(change.Key);
            else change.Table.Upsert(change.Values);
        }
        catch (FbException ex) when (ex.GdsCodes.Contains(ForeignKeyViolation))
        {
            error = ex;
            return false;
        }
        Record(change, policy);
        error = null;
        return true;
    }

    private void Record(IncomingChange change, IApplyPolicy policy)
    {
        policy.Applied(change);
        var counts = Count(change.Table);
        if (change.IsDelete) counts.Deletes++;
        else counts.Upserts++;
    }

    private TableApplier? TableNamed(string name)
    {
        if (_tables.TryGetValue(name, out var existing)) return existing;
        if (_schema.Find(name) is not { } table) return null;
        var applier = new TableApplier(_connection, _transaction, table, _masterVersions, _contributor, Prepared);
        _tables[name] = applier;
        return applier;
    }

    private TableApplier TableFor(ChangeReader reader)
    {
        var table = _schema.Find(reader.TableName)
            ?? throw new SchemaMismatchException($"The package carries table {reader.TableName}, which is not synchronised in this database.", Array.Empty<string>());
        var expected = reader.SectionKind == SectionKind.Upserts ? table.Columns : table.KeyColumns;
        if (!expected.Select(c => c.Name).SequenceEqual(reader.ColumnNames, StringComparer.Ordinal))
        {
            throw new SchemaMismatchException(
                $"The package's columns of {table.Name} ({string.Join(", ", reader.ColumnNames)}) differ from this database's ({string.Join(", ", expected.Select(c => c.Name))}).",
                Array.Empty<string>());
        }
        return TableNamed(table.Name)!;
    }

    private AppliedTableCounts Count(TableApplier table)
    {
        if (!Counts.TryGetValue(table.Table.Name, out var counts))
        {
            counts = new AppliedTableCounts();
            Counts[table.Table.Name] = counts;
        }
        return counts;
    }

    /// <summary>Copies a change so it survives the reader moving on (blob streams become byte arrays).</summary>
    internal static IncomingChange Detach(IncomingChange change)
    {
        object? Copy(object? value)
        {
            if (value is Stream stream)
            {
                using var memory = new MemoryStream();
                stream.Position = 0;
                stream.CopyTo(memory);
                return memory.ToArray();
            }
            return value;
        }
        var header = new ChangeHeader
        {
            Sequence = change.Header.Sequence,
            ChangedAtUtc = change.Header.ChangedAtUtc,
            Origin = change.Header.Origin,
            BaseSequence = change.Header.BaseSequence,
        };
        return new IncomingChange(change.Table, change.Kind, change.Key.Select(Copy).ToArray(), change.Values.Select(Copy).ToArray(), header, change.Tables);
    }

    /// <summary>A key as text for reports: numbers and dates invariant, text decoded (UTF-8, else Latin-1).</summary>
    public static string FormatKey(object?[] key) => string.Join(", ", key.Select(FormatValue));

    private static string FormatValue(object? value) => value switch
    {
        null => "NULL",
        FbRawText raw => DecodeText(raw.Bytes).TrimEnd(),
        DateTime d => d.ToString(d.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string DecodeText(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding(28591).GetString(bytes);
        }
    }

    public void Dispose()
    {
        foreach (var table in _tables.Values)
        {
            table.Dispose();
        }
        _tables.Clear();
    }
}

/// <summary>The package was made from a different schema; nothing was applied.</summary>
public sealed class SchemaMismatchException : Exception
{
    public SchemaMismatchException(string message, IReadOnlyList<string> differences) : base(message) => Differences = differences;

    public IReadOnlyList<string> Differences { get; }
}
