using System.Security.Cryptography;
using HeitzSync.Core.Packaging;

namespace HeitzSync.Core.Night;

/// <summary>
/// Signs the drop's documents (siege.json, ack.json) with the group key, so that a node can prove it holds the same key
/// as the Siège before a night (Test-HzSiege, and every site night), and so that a document someone wrote by hand or
/// copied from elsewhere is told from the Siège's own. HMAC-SHA256 with a key derived from the group key for this use
/// alone, over the document as written with no signature; the document carries the key's public id, never the key.
/// </summary>
public static class DropProof
{
    public static SiegeDocument Sign(SiegeDocument document, SyncKey key)
    {
        var unsigned = document with { KeyId = key.KeyId, Mac = null };
        return unsigned with { Mac = MacOf(DropJson.Serialize(unsigned), key) };
    }

    public static AckDocument Sign(AckDocument document, SyncKey key)
    {
        var unsigned = document with { KeyId = key.KeyId, Mac = null };
        return unsigned with { Mac = MacOf(DropJson.Serialize(unsigned), key) };
    }

    /// <summary>Null when the Siège signed <paramref name="document"/> with <paramref name="key"/>; else why not, in one sentence.</summary>
    public static string? Problem(SiegeDocument document, SyncKey key) =>
        Problem(document.KeyId, document.Mac, DropJson.Serialize(document with { Mac = null }), key, "siege.json");

    /// <summary>Null when the Siège signed <paramref name="document"/> with <paramref name="key"/>; else why not, in one sentence.</summary>
    public static string? Problem(AckDocument document, SyncKey key) =>
        Problem(document.KeyId, document.Mac, DropJson.Serialize(document with { Mac = null }), key, "ack.json");

    private static string? Problem(string? keyId, string? mac, byte[] unsigned, SyncKey key, string what)
    {
        if (string.IsNullOrEmpty(mac)) return $"{what} carries no signature (it was not written by this version of HeitzSync at the Siège)";
        if (!string.Equals(keyId, key.KeyId, StringComparison.Ordinal))
            return $"{what} was signed with group key {keyId}, but this node holds group key {key.KeyId}";
        return FixedTimeEquals(MacOf(unsigned, key), mac!) ? null : $"{what} does not match its signature (changed after the Siège wrote it)";
    }

    private static string MacOf(byte[] bytes, SyncKey key)
    {
        using var hmac = new HMACSHA256(key.DocumentKey);
        return SyncKey.ToHex(hmac.ComputeHash(bytes));
    }

    private static bool FixedTimeEquals(string a, string b)
    {
        if (a.Length != b.Length) return false;
        var difference = 0;
        for (var i = 0; i < a.Length; i++) difference |= a[i] ^ b[i];
        return difference == 0;
    }
}

/// <summary>This node's group key is not the Siège's: found before any package travels, never by a quarantined package.</summary>
public sealed class GroupKeyMismatchException : Exception
{
    public GroupKeyMismatchException(string message) : base(message) { }
}
