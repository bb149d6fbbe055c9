using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>The facts of a Siège package a site needs besides its change stream.</summary>
public sealed record SiegePackageFacts(
    SiteCode Target,
    CycleId Cycle,
    Watermark Covered,
    Watermark ConsolidatedFromTarget);

/// <summary>What applying one Siège package at a site did.</summary>
public sealed class SiteApplyResult
{
    public required string CycleId { get; init; }
    public bool AlreadyApplied { get; init; }
    public IReadOnlyDictionary<string, AppliedTableCounts> Tables { get; init; } = new Dictionary<string, AppliedTableCounts>();
    public IReadOnlyList<string> Unapplied { get; init; } = Array.Empty<string>();
    public long RowsApplied => Tables.Values.Sum(t => t.Upserts + t.Deletes);
    public long RowsSkipped => Tables.Values.Sum(t => t.Skipped);

    /// <summary>Statements executed against the site's database for this package (rows are applied in batches).</summary>
    public long Statements { get; init; }
}

/// <summary>
/// Applies the Siège's package at a site (DESIGN.md §6), in one transaction with the record of what was applied,
/// capture suppressed, skipping keys with a local change the Siège has not consolidated yet.
/// </summary>
public sealed class SiteApplier
{
    private readonly FbConnection _site;

    public SiteApplier(FbConnection site) => _site = site;

    /// <summary>Upserts per batch call at most (<see cref="ChangeApplier.BatchRows"/>; 1: row by row).</summary>
    internal int BatchRows { get; init; } = UpsertBatch.MaxSlots;

    public SiteApplyResult Apply(SiegePackageFacts facts, Func<Stream> openChanges, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return ApplyOnce(facts, openChanges, cancellationToken);
            }
            catch (FbException ex) when (attempt < 3 && Consolidator.IsLockConflict(ex))
            {
                // A user holds one of the rows: start over; the retry sees their change as pending and skips it.
            }
        }
    }

    private SiteApplyResult ApplyOnce(SiegePackageFacts facts, Func<Stream> openChanges, CancellationToken cancellationToken)
    {
        var statements = _site.StatementsExecuted;
        using var tx = _site.BeginTransaction(new FbTransactionOptions { LockTimeoutSeconds = 30 });
        var identity = NodeIdentity.Read(_site, tx);
        if (identity.Site != facts.Target)
        {
            throw new InvalidOperationException($"This package is for site {facts.Target}, but {_site.Settings} is site {identity.Site}. Nothing was applied.");
        }
        if (!facts.Covered.IsAfter(identity.AppliedFromSiege))
        {
            // Already applied, or older than what was: decided by the range it covers, not by the Siège's clock.
            return new SiteApplyResult { CycleId = facts.Cycle.Value, AlreadyApplied = true };
        }

        var schema = CaptureInstaller.ReadInstalledSchema(_site, tx);
        using var stream = openChanges();
        using var reader = new ChangeReader(stream);
        SchemaCheck.Ensure(schema, reader.SchemaText, $"the Siège's package {facts.Cycle}");

        var acknowledged = Watermark.Latest(identity.Acknowledged, facts.ConsolidatedFromTarget);
        _site.ExecuteScalar(tx, CaptureObjects.MarkApplying);
        using var versions = new SiteVersions(_site, tx, acknowledged, identity.Site.Value);
        var policy = new SitePolicy(versions, acknowledged);
        using var applier = new ChangeApplier(_site, tx, schema, masterVersions: false, contributor: CaptureObjects.OthersOrigin) { BatchRows = BatchRows };
        applier.Apply(reader, policy, cancellationToken);
        reader.VerifyEnd();
        versions.Compact(schema);
        _site.Execute(tx,
            "UPDATE HZ$NODE SET APPLIED_SEQ = ?, APPLIED_TX = ?, APPLIED_OPEN = ?, APPLIED_CYCLE = ?, ACKED_SEQ = ?, ACKED_TX = ?, ACKED_OPEN = ? WHERE ID = 1",
            facts.Covered.Sequence, facts.Covered.ResendFromTx, facts.Covered.Open.ToString(), facts.Cycle.Value,
            acknowledged.Sequence, acknowledged.ResendFromTx, acknowledged.Open.ToString());
        FaultPoints.Hit("apply.inside-tx", cancellationToken);
        tx.Commit();
        VersionRows.RaiseBase(_site, facts.Covered.Sequence);
        return new SiteApplyResult { CycleId = facts.Cycle.Value, Tables = applier.Counts, Unapplied = policy.Unapplied, Statements = _site.StatementsExecuted - statements };
    }

    private sealed class SitePolicy : IApplyPolicy
    {
        private readonly SiteVersions _versions;

        public SitePolicy(SiteVersions versions, Watermark acknowledged)
        {
            _versions = versions;
            FastPath = new FastPath(FastPathTest.NothingPendingHere, VersionStamp.CarriedOriginMasterBase)
            {
                Acknowledged = acknowledged,
                LoadPendingTables = versions.LoadPendingTables,
            };
        }

        public List<string> Unapplied { get; } = new();

        public FastPath FastPath { get; }

        /// <summary>A key changed here and not yet consolidated keeps its local version: it goes up next night and wins or loses there.</summary>
        public bool Decide(IncomingChange change, VersionRow? local) => !_versions.KeepsLocalVersion(change, local);

        public void Applied(IncomingChange change) => _versions.Applied(change);

        public void Held(IncomingChange change) => throw new InvalidOperationException("A site holds no load run: only the Siège's fast path holds loads.");

        public void Skipped(IncomingChange change, bool contributionsApplied)
        {
            // Its version stays as it is: the local change is still to be sent, and the Siège answers it next night.
        }

        public void CannotApply(IncomingChange change, FbException error) =>
            Unapplied.Add(change.IsDelete
                ? $"{change.Table.Table.Name} ({change.KeyText}): the Siège deleted it, but a row of this site still refers to it, so it was kept ({FirstLine(error.Message)}). Once that row has gone up, the Siège sends the delete again."
                : $"{change.Table.Table.Name} ({change.KeyText}): {error.Message}");

        public void KeptWithParent(IncomingChange change) =>
            Unapplied.Add($"{change.Table.Table.Name} ({change.KeyText}): kept with the row it belongs to, whose delete could not be applied here.");

        private static string FirstLine(string text) => text.Split('\n')[0].Trim();
    }
}
