using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>What a site's extract (or the Siège's publish for one site) wrote into a package payload.</summary>
public sealed class ExtractResult
{
    public required SiteCode Site { get; init; }
    public required int SiteNumber { get; init; }
    public required long KeyLow { get; init; }
    public required long KeyHigh { get; init; }
    /// <summary>The watermark the receiver had acknowledged: the package carries everything after it.</summary>
    public required Watermark From { get; init; }
    /// <summary>The range the package covers, to be acknowledged once consolidated/applied.</summary>
    public required Watermark Covered { get; init; }
    /// <summary>Site package: the master range this site has applied. Siège package: what was consolidated from the target.</summary>
    public required Watermark Acknowledging { get; init; }
    public required string SchemaFingerprint { get; init; }
    public required IReadOnlyDictionary<string, long> TableCounts { get; init; }
    public long Upserts { get; init; }
    public long Deletes { get; init; }
    public long Rows => Upserts + Deletes;
}

/// <summary>
/// Site side: writes every local change the Siège has not acknowledged as a change stream (DESIGN.md §3),
/// from one snapshot so users keep working; what they change meanwhile goes next time.
/// </summary>
public sealed class ChangeExtractor
{
    private readonly FbConnection _site;

    public ChangeExtractor(FbConnection site) => _site = site;

    /// <param name="acknowledgedByDrop">The Siège's ack.json for this site, when it could be read (the later of it and the local record is used).</param>
    public ExtractResult Extract(Stream payload, Watermark? acknowledgedByDrop, CancellationToken cancellationToken)
    {
        NodeIdentity identity;
        SyncSchema schema;
        using (var tx = _site.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            identity = NodeIdentity.Read(_site, tx);
            schema = CaptureInstaller.ReadInstalledSchema(_site, tx);
        }
        var from = acknowledgedByDrop is { } dropAck ? Watermark.Latest(identity.Acknowledged, dropAck) : identity.Acknowledged;
        var writer = new ChangeWriter(payload, schema.CanonicalText);
        var produced = new ChangeProducer(_site).Write(schema, writer, from, excludeOrigin: null, cancellationToken, ownSite: identity.Site.Value);
        FaultPoints.Hit("extract.during");
        writer.Complete();
        return new ExtractResult
        {
            Site = identity.Site,
            SiteNumber = identity.SiteNumber,
            KeyLow = identity.KeyLow,
            KeyHigh = identity.KeyHigh,
            From = from,
            Covered = produced.Covered,
            Acknowledging = identity.AppliedFromSiege,
            SchemaFingerprint = schema.Fingerprint,
            TableCounts = produced.TableCounts,
            Upserts = produced.Upserts,
            Deletes = produced.Deletes,
        };
    }
}

/// <summary>
/// Siège side: writes, for one site, every master change since what that site last applied, except the changes
/// that came from that site and still stand (no echo; DESIGN.md §6).
/// </summary>
public sealed class SitePublisher
{
    private readonly FbConnection _master;

    public SitePublisher(FbConnection master) => _master = master;

    /// <summary>The sites the Siège knows (registered by their first package).</summary>
    public IReadOnlyList<RegisteredSite> RegisteredSites()
    {
        using var tx = _master.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var identity = NodeIdentity.Read(_master, tx);
        return SiteRegistry.Read(_master, tx, identity).Sites.OrderBy(s => s.Number).ToList();
    }

    public ExtractResult Publish(SiteCode target, Stream payload, CancellationToken cancellationToken)
    {
        NodeIdentity identity;
        SyncSchema schema;
        RegisteredSite site;
        using (var tx = _master.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            identity = NodeIdentity.Read(_master, tx);
            if (!identity.IsSiege)
            {
                throw new CaptureSetupException($"{_master.Settings} is site {identity.Site}, not the Siège: only the Siège publishes packages.");
            }
            schema = CaptureInstaller.ReadInstalledSchema(_master, tx);
            site = SiteRegistry.Read(_master, tx, identity).Sites.FirstOrDefault(s => s.Site == target.Value)
                ?? throw new InvalidOperationException($"Site {target} is not registered at the Siège yet: it registers with its first package.");
        }
        var writer = new ChangeWriter(payload, schema.CanonicalText);
        var produced = new ChangeProducer(_master).Write(schema, writer, site.AppliedFromSiege, excludeOrigin: target.Value, cancellationToken);
        writer.Complete();
        return new ExtractResult
        {
            Site = identity.Site,
            SiteNumber = identity.SiteNumber,
            KeyLow = identity.KeyLow,
            KeyHigh = identity.KeyHigh,
            From = site.AppliedFromSiege,
            Covered = produced.Covered,
            Acknowledging = site.Consolidated,
            SchemaFingerprint = schema.Fingerprint,
            TableCounts = produced.TableCounts,
            Upserts = produced.Upserts,
            Deletes = produced.Deletes,
        };
    }
}
