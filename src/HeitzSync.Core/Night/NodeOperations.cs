namespace HeitzSync.Core.Night;

/// <summary>
/// The operation names a node's reports carry (<see cref="NodeRunner"/>'s runs): what Get-HzSyncReport -Operation
/// accepts and completes, and what hzsync report shows. A unit test keeps this list and NodeRunner's names the same.
/// </summary>
public static class NodeOperations
{
    public static readonly IReadOnlyList<string> Names = new[]
    {
        "Sync", "Consolidate", "Init", "Backup", "Extract", "Send", "Upload", "Receive", "FullPackage", "Unregister",
    };
}
