namespace HeitzSync.PowerShell;

/// <summary>A group key file that New-HzSyncKey wrote: where, and the key's public id (never the key).</summary>
public sealed class HzSyncKeyInfo
{
    public HzSyncKeyInfo(string path, string keyId)
    {
        Path = path;
        KeyId = keyId;
    }

    /// <summary>The key file (mode 0600 on Unix): copy it to every node.</summary>
    public string Path { get; }

    /// <summary>16 hex digits that identify the key without revealing it; every node must show the same.</summary>
    public string KeyId { get; }

    public override string ToString() => $"{KeyId} {Path}";
}
