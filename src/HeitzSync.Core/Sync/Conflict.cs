namespace HeitzSync.Core.Sync;

/// <summary>How a conflict (or a foreign-key refusal) was resolved.</summary>
public enum ConflictResolution
{
    /// <summary>The incoming change was later (or tied and from a lower site number): it was applied.</summary>
    IncomingWon,
    /// <summary>The master's version was later, or the table is "Siège wins": the incoming change was dropped.</summary>
    MasterKept,
    /// <summary>The incoming row needed a parent the master no longer has: it was deleted everywhere.</summary>
    OrphanRemoved,
    /// <summary>The incoming delete hit a row still referenced at the Siège: the row was re-published everywhere.</summary>
    DeleteRefused,
}

/// <summary>One conflict, with both sides' origin and time (DESIGN.md §6).</summary>
public sealed record Conflict(
    string Table,
    string Key,
    string WinnerSite,
    DateTime WinnerTimeUtc,
    string LoserSite,
    DateTime LoserTimeUtc,
    ConflictResolution Resolution);
