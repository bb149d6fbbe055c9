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
        AcknowledgedSequence = changes.Acknowledging.Sequence,
        AcknowledgedResendFromTx = changes.Acknowledging.ResendFromTx,
        SiteNumber = changes.SiteNumber,
        KeyLow = changes.KeyLow,
        KeyHigh = changes.KeyHigh,
        SchemaFingerprint = changes.SchemaFingerprint,
        CreatedUtc = DateTimeOffset.UtcNow,
        TableCounts = changes.TableCounts,
    };
}
