using HeitzSync.Core.Model;

namespace HeitzSync.Core.Capture;

/// <summary>What <see cref="CaptureInstaller"/> installs: the node's identity and which tables it synchronises.</summary>
public sealed record CaptureOptions
{
    public required SiteCode Site { get; init; }
    public required int SiteNumber { get; init; }
    public bool IsSiege { get; init; }

    /// <summary>Lowest and highest key this site's generators may produce.</summary>
    public required long KeyLow { get; init; }
    public required long KeyHigh { get; init; }

    /// <summary>True for tables that travel; false for local-only and excluded ones (workstation settings...).</summary>
    public required Func<string, bool> IsSynchronised { get; init; }

    /// <summary>Queue every existing row as this site's first delta (DESIGN.md §3). False for a database restored from the Siège's full package.</summary>
    public bool InitialLoad { get; init; } = true;

    /// <summary>For a database restored from another node's full package: move every generator to the first free
    /// key of this site's range (above any key of the range already present), instead of refusing generators that
    /// sit in the other node's range.</summary>
    public bool ReseedGenerators { get; init; }
}

/// <summary>What an install did, for the cmdlet's output and the report.</summary>
public sealed record CaptureInstallResult(
    IReadOnlyList<string> TablesAdded,
    IReadOnlyList<string> TablesKept,
    IReadOnlyList<string> TablesRemoved,
    long RowsQueued,
    IReadOnlyList<GeneratorMove> GeneratorsMoved,
    string SchemaFingerprint);

/// <summary>A generator moved into the site's key range.</summary>
public sealed record GeneratorMove(string Name, long From, long To);

/// <summary>A configuration problem that stops capture from being installed; nothing was changed.</summary>
public sealed class CaptureSetupException : Exception
{
    public CaptureSetupException(string message) : base(message) { }
}
