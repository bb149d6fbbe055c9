namespace HeitzSync.Core.Packaging;

public enum PackageKind { Delta, Full }

/// <summary>
/// What a package says about itself (DESIGN.md §4). Travels encrypted and authenticated inside the package (JSON,
/// camelCase, properties in declaration order, table counts sorted by name), so it can be trusted once
/// <see cref="PackageReader.Open"/> succeeded. Its strings are data, never paths: file names come from
/// <see cref="PackageNames"/> only.
/// </summary>
public sealed record PackageManifest
{
    /// <summary>The container format; set by <see cref="PackageWriter.Complete"/>.</summary>
    public int FormatVersion { get; init; } = 1;
    public required string ModuleVersion { get; init; }

    /// <summary>Site code that made it (the Siège's own code for the packages it publishes).</summary>
    public required string Origin { get; init; }

    /// <summary>For the Siège's packages: the site it is for.</summary>
    public string? Target { get; init; }

    public required string CycleId { get; init; }
    public PackageKind Kind { get; init; }

    /// <summary>The receiver's acknowledged sequence the changes start after, and the last sequence they cover.</summary>
    public long FromSequence { get; init; }
    public long ToSequence { get; init; }

    /// <summary>Transactions that may still commit changes this package could not see (docs/sync-engine.md, "Watermarks"):
    /// every one numbered this or above, and those listed in <see cref="OpenTransactions"/> ("12,40,41"; absent in
    /// packages of earlier versions, where this number alone was the guard).</summary>
    public long ResendFromTx { get; init; }
    public string? OpenTransactions { get; init; }

    /// <summary>Site package: the master range the site has applied. Siège package: what was consolidated from the target.</summary>
    public long AcknowledgedSequence { get; init; }
    public long AcknowledgedResendFromTx { get; init; }
    public string? AcknowledgedOpenTransactions { get; init; }

    /// <summary>The producing node's number and key range (the Siège registers sites from these).</summary>
    public int SiteNumber { get; init; }
    public long KeyLow { get; init; }
    public long KeyHigh { get; init; }

    public required string SchemaFingerprint { get; init; }
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Rows per table carried by the payload.</summary>
    public IReadOnlyDictionary<string, long> TableCounts { get; init; } = new Dictionary<string, long>();

    /// <summary>Uncompressed payload length and SHA-256 (hex); filled in by <see cref="PackageWriter.Complete"/>.</summary>
    public long PayloadLength { get; init; }
    public string PayloadSha256 { get; init; } = "";
}
