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
    /// <summary>The incoming delete hit a row still referenced at the Siège (or the row was a child that its refused
    /// parent's cascade took): the row stays, as if the delete had never come, and goes back to the site that deleted it.</summary>
    DeleteRefused,
    /// <summary>At a join: the site held this key with other values than the row already at the Siège (its own, or that
    /// of a site that joined before); the Siège's row was kept and sent to the site.</summary>
    JoinMasterKept,
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
