using HeitzSync.Core.Capture;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>What consolidating one site package did.</summary>
public sealed class ConsolidationResult
{
    public required string Site { get; init; }
    public required string CycleId { get; init; }
    public bool AlreadyConsolidated { get; init; }
    public IReadOnlyDictionary<string, AppliedTableCounts> Tables { get; init; } = new Dictionary<string, AppliedTableCounts>();
    public IReadOnlyList<Conflict> Conflicts { get; init; } = Array.Empty<Conflict>();
    public long RowsApplied => Tables.Values.Sum(t => t.Upserts + t.Deletes);
    public long RowsSkipped => Tables.Values.Sum(t => t.Skipped);

    /// <summary>Statements executed against the master for this package (calls into the engine, rows are applied in batches).</summary>
    public long Statements { get; init; }

    /// <summary>Rows written as new keys, no lookup (docs/sync-engine.md, "Applying in batches").</summary>
    internal long RowsInsertedFirst { get; init; }

    /// <summary>Rows tried as new keys that were not: undone, then written the ordinary way.</summary>
    internal long InsertFirstMisses { get; init; }

    /// <summary>Rows per call of each table's batch (the engine's limits and the table's width decide).</summary>
    internal IReadOnlyDictionary<string, int> BatchSlots { get; init; } = new Dictionary<string, int>();
}

/// <summary>The facts of a site package the Siège needs besides its change stream.</summary>
public sealed record SitePackageFacts(
    SiteCode Site,
    int SiteNumber,
    long KeyLow,
    long KeyHigh,
    CycleId Cycle,
    Watermark Covered,
    Watermark AppliedFromSiege);

/// <summary>
/// Consolidates site packages into the master (DESIGN.md §6): one transaction per package, recording in HZ$SITES
/// the range the package covers in that same transaction, so a crash leaves all or nothing and a package is never
/// consolidated twice (a package whose range is not after the recorded one is already in). Conflicts follow docs/sync-engine.md.
/// </summary>
public sealed class Consolidator : IDisposable
{
    private const int LockTimeoutSeconds = 30;
    private readonly FbConnection _master;
    private readonly TableRules _siegeWins;
    // A night's packages are consolidated one transaction each on one connection: their batch statements are prepared once.
    private readonly PreparedBatches _prepared = new();

    /// <param name="siegeWinsTables">tables.siegeWins: table names or glob patterns (<c>*</c>, <c>?</c>; case-insensitive,
    /// as every table rule: <see cref="TableRules.IsSiegeWins"/>).</param>
    /// <summary>Upserts per batch call at most (<see cref="ChangeApplier.BatchRows"/>; 1: row by row).</summary>
    internal int BatchRows { get; init; } = UpsertBatch.MaxSlots;

    public Consolidator(FbConnection master, IEnumerable<string> siegeWinsTables)
    {
        _master = master;
        _siegeWins = new TableRules { SiegeWins = siegeWinsTables.ToList() };
    }

    /// <param name="openChanges">Opens the package's change stream (called again when a lock conflict makes the transaction start over).</param>
    public ConsolidationResult Consolidate(SitePackageFacts facts, Func<Stream> openChanges, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return ConsolidateOnce(facts, openChanges, cancellationToken);
            }
            catch (FbException ex) when (attempt < 3 && IsLockConflict(ex))
            {
                // A user at the Siège holds one of the rows: start the whole package over; nothing was kept.
            }
        }
    }

    /// <summary>Releases the batch statements kept for the connection's later packages.</summary>
    public void Dispose() => _prepared.Dispose();

    internal static bool IsLockConflict(FbException ex) =>
        ex.GdsCodes.Contains(335544336) || ex.GdsCodes.Contains(335544345) || ex.GdsCodes.Contains(335544451) || ex.GdsCodes.Contains(335544878);

    private ConsolidationResult ConsolidateOnce(SitePackageFacts facts, Func<Stream> openChanges, CancellationToken cancellationToken)
    {
        FaultPoints.Hit("consolidate.before-tx");
        var statements = _master.StatementsExecuted;
        using var tx = _master.BeginTransaction(new FbTransactionOptions { LockTimeoutSeconds = LockTimeoutSeconds });
        var identity = NodeIdentity.Read(_master, tx);
        if (!identity.IsSiege)
        {
            throw new CaptureSetupException($"{_master.Settings} is initialised as site {identity.Site}, not as the Siège: consolidation runs only on the Siège's database.");
        }
        var registry = SiteRegistry.Read(_master, tx, identity);
        var registered = registry.Register(_master, tx, facts.Site, facts.SiteNumber, facts.KeyLow, facts.KeyHigh);

        if (!facts.Covered.IsAfter(registered.Consolidated))
        {
            // Already in (the same package again, or an older one after a newer): decided by the range the package
            // covers, which only grows, never by its cycle id, which comes from the site's clock. Only the site's
            // acknowledgement of what it applied can be news.
            registry.RecordContact(_master, tx, facts.Site, facts.AppliedFromSiege);
            tx.Commit();
            return new ConsolidationResult { Site = facts.Site.Value, CycleId = facts.Cycle.Value, AlreadyConsolidated = true };
        }

        var schema = CaptureInstaller.ReadInstalledSchema(_master, tx);
        using var stream = openChanges();
        using var reader = new ChangeReader(stream);
        SchemaCheck.Ensure(schema, reader.SchemaText, $"the package of site {facts.Site} ({facts.Cycle})");

        _master.ExecuteScalar(tx, CaptureObjects.MarkApplying);
        using var runs = LoadRuns.Installed(_master, tx) ? new LoadRuns(_master, tx, facts.Site.Value) : null;
        var policy = new SiegePolicy(identity, registry, facts.Site, _siegeWins, runs);
        using (var applier = new ChangeApplier(_master, tx, schema, masterVersions: true, contributor: facts.Site.Value) { BatchRows = BatchRows, Prepared = _prepared })
        {
            applier.Apply(reader, policy, cancellationToken);
            reader.VerifyEnd();
            runs?.Flush();
            registry.RecordConsolidated(_master, tx, facts);
            FaultPoints.Hit("consolidate.inside-tx");
            tx.Commit();
            return new ConsolidationResult
            {
                Site = facts.Site.Value,
                CycleId = facts.Cycle.Value,
                Tables = applier.Counts,
                Conflicts = policy.Conflicts,
                Statements = _master.StatementsExecuted - statements,
                RowsInsertedFirst = applier.InsertedFirst.Inserted,
                InsertFirstMisses = applier.InsertedFirst.Missed,
                BatchSlots = applier.BatchSlots,
            };
        }
    }

    /// <summary>Last writer wins between sites that had not seen each other's version; see docs/sync-engine.md.</summary>
    private sealed class SiegePolicy : IApplyPolicy
    {
        private readonly NodeIdentity _siege;
        private readonly SiteRegistry _registry;
        private readonly SiteCode _from;
        private readonly TableRules _siegeWins;
        private readonly LoadRuns? _runs;
        // A row of the sender's load that Decide found new to the master: Applied holds it in a load run, not a version row.
        private IncomingChange? _holdNext;
        // The master's version to publish again for the change Decide skipped, written once its business row is (Skipped).
        private (IncomingChange Change, VersionRow Master)? _republish;

        /// <param name="runs">Where the sender's initial-load rows new to the master are held (null: a Siège installed
        /// before HZ$LOADS existed writes a version row for each).</param>
        public SiegePolicy(NodeIdentity siege, SiteRegistry registry, SiteCode from, TableRules siegeWins, LoadRuns? runs)
        {
            _siege = siege;
            _registry = registry;
            _from = from;
            _siegeWins = siegeWins;
            _runs = runs;
            FastPath = new FastPath(FastPathTest.NoConcurrentEdit, VersionStamp.FromSender) { Sender = from.Value, HoldsLoads = runs is not null };
        }

        public List<Conflict> Conflicts { get; } = new();

        public FastPath FastPath { get; }

        public bool Decide(IncomingChange change, VersionRow? master)
        {
            // A row the master holds without a version row (held: its own initial load, a site's load run, or folded)
            // matters only to a change made on no master version at all (base 0): a row a site brings when it joins, or
            // edits before it. A load row new to the master is held in a run (Applied), as the batch does.
            _holdNext = null;
            if (master is null && change.Header.BaseSequence == 0)
            {
                if (change.Table.Exists(change.Key)) master = HeldVersion(change.Table, change.Key);
                else if (_runs is not null && !change.IsDelete && LoadRuns.CanHold(change.Table.Table) && LoadRuns.IsLoadRow(change.Header)) _holdNext = change;
            }
            if (master is null || master.Origin == _from.Value || master.RealSequence <= change.Header.BaseSequence)
            {
                return true;   // no concurrent change: the site changed the version it had
            }
            var table = change.Table.Table.Name;
            var incomingTime = change.Header.ChangedAtUtc;
            var masterJoined = master.ChangedAtUtc <= CaptureObjects.InitialLoadTime;
            if (incomingTime <= CaptureObjects.InitialLoadTime)
            {
                // A row the site brought when it joined, under a key the master holds already (the Siège's own row, or
                // that of a site that joined before): that row stands. The same row is a silent merge; another is a
                // conflict, and the site gets the master's row. Additive columns still add up (ChangeApplier).
                if (!change.IsDelete && change.Table.HoldsSameRow(change.Values))
                {
                    // The same row: a silent merge. When the master's is a real edit, the site gets it again, as the base
                    // of its own later edits (otherwise they would pass for conflicting with that edit).
                    if (!masterJoined) _republish = (change, master);
                    return false;
                }
                Conflicts.Add(new Conflict(table, change.KeyText, master.Origin, master.ChangedAtUtc, _from.Value, incomingTime,
                    masterJoined ? ConflictResolution.JoinMasterKept : ConflictResolution.MasterKept));
                _republish = (change, master);
                return false;
            }
            var siegeWins = _siegeWins.IsSiegeWins(table);
            if (masterJoined && !siegeWins)
            {
                return true;   // a real edit of a row nobody has edited since it joined: no edit is lost, no conflict
            }
            bool incomingWins;
            if (siegeWins)
            {
                incomingWins = false;
            }
            else if (incomingTime != master.ChangedAtUtc)
            {
                incomingWins = incomingTime > master.ChangedAtUtc;
            }
            else
            {
                incomingWins = _registry.NumberOf(_from.Value) < _registry.NumberOf(master.Origin);
            }
            Conflicts.Add(incomingWins
                ? new Conflict(table, change.KeyText, _from.Value, incomingTime, master.Origin, master.ChangedAtUtc, ConflictResolution.IncomingWon)
                : new Conflict(table, change.KeyText, master.Origin, master.ChangedAtUtc, _from.Value, incomingTime, ConflictResolution.MasterKept));
            if (!incomingWins)
            {
                // The master's version stands: published again to every site but its origin. The losing site may have
                // skipped it earlier while its own change was pending (its package came a night late); without this it
                // would keep its losing version for good.
                _republish = (change, master);
            }
            return incomingWins;
        }

        public void Applied(IncomingChange change)
        {
            if (ReferenceEquals(_holdNext, change))
            {
                _holdNext = null;
                _runs!.Add(change.Table.Table, change.Key);
                return;
            }
            change.Table.WriteVersion(change.Key, change.IsDelete ? 'D' : 'U', change.Header.ChangedAtUtc, _from.Value, 0);
        }

        public void Held(IncomingChange change) => _runs!.Add(change.Table.Table, change.Key);

        /// <summary>The version of a key the master holds without a version row: that of its load run, else a row of the
        /// Siège's initial load (its own, or folded).</summary>
        private VersionRow HeldVersion(TableApplier table, object?[] key) => _runs?.Find(table.Table, key)?.Version ?? VersionRow.Held(_siege.Site.Value);

        /// <summary>The master's version of a key: its version row, else (a row held without one) its load run's, else none.</summary>
        private VersionRow? VersionOf(TableApplier table, object?[] key) =>
            table.ReadVersion(key) ?? (_runs is not null && _runs.Find(table.Table, key) is { } run && table.Exists(key) ? run.Version : null);

        /// <summary>The master's version stands (published again), or the row's additive value changed although its image
        /// did not: every site must get it. The version row is written with the business row held, after it, as a user's
        /// capture trigger takes them: the row is locked here when no additive total wrote it (a till holding the row and
        /// waiting for its version would otherwise deadlock with a later statement of this package on that row, such as
        /// a local column's trigger).</summary>
        public void Skipped(IncomingChange change, bool contributionsApplied)
        {
            var pending = _republish is { } p && ReferenceEquals(p.Change, change) ? p.Master : null;
            _republish = null;
            if (pending is null && !contributionsApplied) return;
            if (!contributionsApplied) change.Table.Lock(change.Key);
            Republish(change.Table, change.Key, pending ?? VersionOf(change.Table, change.Key));
        }

        public void CannotApply(IncomingChange change, FbException error)
        {
            var master = VersionOf(change.Table, change.Key);
            if (change.IsDelete)
            {
                // A delete of a row still referenced here: the row stays as if the delete had never come, with the version
                // of its last real edit (a later real edit from anywhere still wins), and goes back to the site that deleted it.
                Republish(change.Table, change.Key, master);
                Conflicts.Add(new Conflict(change.Table.Table.Name, change.KeyText, master?.Origin ?? _siege.Site.Value, master?.ChangedAtUtc ?? CaptureObjects.InitialLoadTime,
                    _from.Value, change.Header.ChangedAtUtc, ConflictResolution.DeleteRefused));
                return;
            }
            // A row whose parent the master no longer has: the master's state (no such row) goes back to every site, the
            // origin included; and the parent's delete goes out again, for a site that kept the parent because this very
            // row, not yet sent, referred to it there.
            if (master is not null) Republish(change.Table, change.Key, master);
            else change.Table.WriteVersion(change.Key, 'D', change.Header.ChangedAtUtc, _siege.Site.Value, 0);
            RepublishMissingParents(change);
            Conflicts.Add(new Conflict(change.Table.Table.Name, change.KeyText, _siege.Site.Value, master?.ChangedAtUtc ?? change.Header.ChangedAtUtc,
                _from.Value, change.Header.ChangedAtUtc, ConflictResolution.OrphanRemoved));
        }

        /// <summary>A child the cascade of a refused delete would have taken stays with its parent, and goes back to the site that deleted it.</summary>
        public void KeptWithParent(IncomingChange change)
        {
            var master = VersionOf(change.Table, change.Key);
            Republish(change.Table, change.Key, master);
            Conflicts.Add(new Conflict(change.Table.Table.Name, change.KeyText, master?.Origin ?? _siege.Site.Value, master?.ChangedAtUtc ?? CaptureObjects.InitialLoadTime,
                _from.Value, change.Header.ChangedAtUtc, ConflictResolution.DeleteRefused));
        }

        /// <summary>
        /// Publishes the master's version of a key again without making it a new edit: a new sequence (so it goes out), the
        /// origin and time of its last real edit, and that edit's sequence kept in BASE_SEQ (conflicts compare real edits
        /// only). When that origin is the site being answered, the Siège stands as origin, so the site gets it too.
        /// A key the master has no version of is stamped with the initial-load time: any real edit wins over it.
        /// </summary>
        private void Republish(TableApplier table, object?[] key, VersionRow? master)
        {
            if (master is null)
            {
                table.WriteVersion(key, 'U', CaptureObjects.InitialLoadTime, _siege.Site.Value, 0);
                return;
            }
            var origin = master.Origin == _from.Value ? _siege.Site.Value : master.Origin;
            table.WriteVersion(key, master.Op, master.ChangedAtUtc, origin, master.RealSequence);
        }

        private void RepublishMissingParents(IncomingChange change)
        {
            foreach (var foreignKey in change.Table.Table.ForeignKeys)
            {
                if (change.Table.ParentKeyIn(change.Values, foreignKey) is not { } parentKey || change.Tables(foreignKey.ParentTable) is not { } parent) continue;
                if (parent.Exists(parentKey)) continue;
                if (parent.ReadVersion(parentKey) is { } deleted) Republish(parent, parentKey, deleted);
            }
        }
    }
}
