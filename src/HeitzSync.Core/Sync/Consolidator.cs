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
public sealed class Consolidator
{
    private const int LockTimeoutSeconds = 30;
    private readonly FbConnection _master;
    private readonly TableRules _siegeWins;

    /// <param name="siegeWinsTables">tables.siegeWins: table names or glob patterns (<c>*</c>, <c>?</c>; case-insensitive,
    /// as every table rule: <see cref="TableRules.IsSiegeWins"/>).</param>
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

    internal static bool IsLockConflict(FbException ex) =>
        ex.GdsCodes.Contains(335544336) || ex.GdsCodes.Contains(335544345) || ex.GdsCodes.Contains(335544451) || ex.GdsCodes.Contains(335544878);

    private ConsolidationResult ConsolidateOnce(SitePackageFacts facts, Func<Stream> openChanges, CancellationToken cancellationToken)
    {
        FaultPoints.Hit("consolidate.before-tx");
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
        var policy = new SiegePolicy(identity, registry, facts.Site, _siegeWins);
        using (var applier = new ChangeApplier(_master, tx, schema, masterVersions: true))
        {
            applier.Apply(reader, policy, cancellationToken);
            reader.VerifyEnd();
            registry.RecordConsolidated(_master, tx, facts);
            FaultPoints.Hit("consolidate.inside-tx");
            tx.Commit();
            return new ConsolidationResult
            {
                Site = facts.Site.Value,
                CycleId = facts.Cycle.Value,
                Tables = applier.Counts,
                Conflicts = policy.Conflicts,
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

        public SiegePolicy(NodeIdentity siege, SiteRegistry registry, SiteCode from, TableRules siegeWins)
        {
            _siege = siege;
            _registry = registry;
            _from = from;
            _siegeWins = siegeWins;
        }

        public List<Conflict> Conflicts { get; } = new();

        public bool ShouldApply(IncomingChange change)
        {
            var master = change.Table.ReadVersion(change.Key);
            if (master is null || master.Origin == _from.Value || master.Sequence <= change.Header.BaseSequence)
            {
                return true;   // no concurrent change: the site changed the version it had
            }
            var incomingTime = change.Header.ChangedAtUtc;
            bool incomingWins;
            if (_siegeWins.IsSiegeWins(change.Table.Table.Name))
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
            // Rows queued by two sites' initial loads are a merge of existing data, not a conflict anyone made.
            var bothInitial = incomingTime <= CaptureObjects.InitialLoadTime && master.ChangedAtUtc <= CaptureObjects.InitialLoadTime;
            if (!bothInitial)
            {
                Conflicts.Add(incomingWins
                    ? new Conflict(change.Table.Table.Name, change.KeyText, _from.Value, incomingTime, master.Origin, master.ChangedAtUtc, ConflictResolution.IncomingWon)
                    : new Conflict(change.Table.Table.Name, change.KeyText, master.Origin, master.ChangedAtUtc, _from.Value, incomingTime, ConflictResolution.MasterKept));
            }
            if (!incomingWins)
            {
                // The master's version stands: stamp it anew so it is published again to every site but its origin. The
                // losing site may have skipped it earlier while its own change was pending (its package came a night
                // late); without this it would keep its losing version for good.
                change.Table.WriteVersion(change.Key, master.Op, master.ChangedAtUtc, master.Origin, 0);
            }
            return incomingWins;
        }

        public void Applied(IncomingChange change) =>
            change.Table.WriteVersion(change.Key, change.IsDelete ? 'D' : 'U', change.Header.ChangedAtUtc, _from.Value, 0);

        public void CannotApply(IncomingChange change, FbException error)
        {
            // The master's state wins and is re-published to everyone (the origin site included): a row that lost
            // its parent is deleted everywhere; a delete of a row still referenced brings the row back everywhere.
            var now = DateTime.UtcNow;
            var resolution = change.IsDelete ? ConflictResolution.DeleteRefused : ConflictResolution.OrphanRemoved;
            change.Table.WriteVersion(change.Key, change.IsDelete ? 'U' : 'D', now, _siege.Site.Value, 0);
            Conflicts.Add(new Conflict(change.Table.Table.Name, change.KeyText, _siege.Site.Value, now, _from.Value, change.Header.ChangedAtUtc, resolution));
        }
    }
}
