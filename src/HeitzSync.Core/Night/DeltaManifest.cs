using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Night;

/// <summary>The manifest of a delta package, from what the extract (site) or the publish (Siège) wrote.</summary>
internal static class DeltaManifest
{
    public static PackageManifest From(ExtractResult changes, CycleId cycle, SiteCode? target = null) => new()
    {
        ModuleVersion = ModuleInfo.Version,
        Origin = changes.Site.Value,
        Target = target?.Value,
        CycleId = cycle.Value,
        Kind = PackageKind.Delta,
        FromSequence = changes.From.Sequence,
        ToSequence = changes.Covered.Sequence,
        ResendFromTx = changes.Covered.ResendFromTx,
        OpenTransactions = changes.Covered.Open.ToString(),
        AcknowledgedSequence = changes.Acknowledging.Sequence,
        AcknowledgedResendFromTx = changes.Acknowledging.ResendFromTx,
        AcknowledgedOpenTransactions = changes.Acknowledging.Open.ToString(),
        SiteNumber = changes.SiteNumber,
        KeyLow = changes.KeyLow,
        KeyHigh = changes.KeyHigh,
        SchemaFingerprint = changes.SchemaFingerprint,
        CreatedUtc = DateTimeOffset.UtcNow,
        TableCounts = changes.TableCounts,
    };

    /// <summary>The range a package covers, as its manifest says (packages of earlier versions list no open transaction).</summary>
    public static Watermark Covered(this PackageManifest manifest) =>
        new(manifest.ToSequence, manifest.ResendFromTx) { Open = Sync.OpenTransactions.Parse(manifest.OpenTransactions) };

    /// <summary>What the package's producer acknowledges of its receiver's changes.</summary>
    public static Watermark Acknowledging(this PackageManifest manifest) =>
        new(manifest.AcknowledgedSequence, manifest.AcknowledgedResendFromTx) { Open = Sync.OpenTransactions.Parse(manifest.AcknowledgedOpenTransactions) };
}
