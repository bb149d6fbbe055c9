namespace HeitzSync.PowerShell;

/// <summary>What Compare-HzDatabase -Repair re-queued in the master for one table: the next night brings the other side in line.</summary>
public sealed class HzRepairResult
{
    public HzRepairResult(string node, string table, int keysRequeued, string there)
    {
        Node = node;
        Table = table;
        KeysRequeued = keysRequeued;
        There = there;
    }

    /// <summary>The Siège whose master got the re-queued keys.</summary>
    public string Node { get; }

    public string Table { get; }

    /// <summary>Keys re-queued as master changes (differing rows, and rows on one side only).</summary>
    public int KeysRequeued { get; }

    /// <summary>The database that drifted (no password).</summary>
    public string There { get; }

    public override string ToString() => $"{Table}: {KeysRequeued} key(s) re-queued";
}
