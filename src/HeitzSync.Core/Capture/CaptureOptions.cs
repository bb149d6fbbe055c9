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

    /// <summary>tables.additiveColumns: <c>TABLE.COLUMN</c> names (case-insensitive) whose changes travel as differences
    /// and add up (docs/sync-engine.md, "Derived values").</summary>
    public IReadOnlyCollection<string> AdditiveColumns { get; init; } = Array.Empty<string>();

    /// <summary>tables.localColumns: <c>TABLE.COLUMN</c> names never carried; each node's own triggers maintain them.</summary>
    public IReadOnlyCollection<string> LocalColumns { get; init; } = Array.Empty<string>();

    /// <summary>tables.triggersRunDuringApply: business triggers that run for replicated rows too (no guard is added to them).</summary>
    public IReadOnlyCollection<string> TriggersRunDuringApply { get; init; } = Array.Empty<string>();

    /// <summary>tables.triggersOffDuringApply (deprecated): listed by init with its warning; switched off by the night.</summary>
    public IReadOnlyCollection<string> TriggersOffDuringApply { get; init; } = Array.Empty<string>();
}

/// <summary>What an install did, for the cmdlet's output and the report.</summary>
public sealed record CaptureInstallResult(
    IReadOnlyList<string> TablesAdded,
    IReadOnlyList<string> TablesKept,
    IReadOnlyList<string> TablesRemoved,
    long RowsQueued,
    IReadOnlyList<GeneratorMove> GeneratorsMoved,
    string SchemaFingerprint)
{
    /// <summary>Every business trigger of the synchronised tables and what it does during an apply.</summary>
    public IReadOnlyList<BusinessTriggerPlan> Triggers { get; init; } = Array.Empty<BusinessTriggerPlan>();
}

/// <summary>What a business trigger does while HeitzSync applies replicated rows.</summary>
public enum TriggerDuringApply
{
    /// <summary>It returns at once (the guard on HZ$APPLYING, added by init or written by its author): the row arrives as it left its origin.</summary>
    Skipped,
    /// <summary>It runs for replicated rows too (tables.triggersRunDuringApply), e.g. to keep a local column.</summary>
    Runs,
    /// <summary>Deprecated tables.triggersOffDuringApply: switched off for the whole database, every user included, while the apply runs.</summary>
    SwitchedOff,
    /// <summary>init could not add the guard (the detail says why): it runs during applies.</summary>
    Unguarded,
}

/// <summary>One business trigger of a synchronised table, as init found and left it.</summary>
public sealed record BusinessTriggerPlan(string Name, string Table, string Event, bool IsActive, TriggerDuringApply DuringApply, string Detail)
{
    public override string ToString() => $"{Name} on {Table} ({Event}{(IsActive ? "" : ", inactive")}): {Describe(DuringApply)}; {Detail}";

    private static string Describe(TriggerDuringApply what) => what switch
    {
        TriggerDuringApply.Skipped => "skipped during applies",
        TriggerDuringApply.Runs => "runs during applies",
        TriggerDuringApply.SwitchedOff => "switched off for every user during applies",
        _ => "RUNS during applies (no guard)",
    };
}

/// <summary>A generator moved into the site's key range.</summary>
public sealed record GeneratorMove(string Name, long From, long To);

/// <summary>A configuration problem that stops capture from being installed; nothing was changed.</summary>
public sealed class CaptureSetupException : Exception
{
    public CaptureSetupException(string message) : base(message) { }
}
