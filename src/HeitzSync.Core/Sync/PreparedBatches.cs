using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// The apply batch statements of one connection, kept across transactions: the Siège consolidates each package of a
/// night in its own transaction, and preparing a table's batch statement (an EXECUTE BLOCK of up to 32 slots) took
/// about 15 ms per table, a third of a 5,000-row package's consolidation. A statement is found again by its text (the
/// table, its columns and the fast path's shape are all in it; the sender is a parameter) and moved to the package's
/// transaction (<see cref="FbCommand.MoveTo"/>). Disposed with the consolidator that owns it.
/// </summary>
internal sealed class PreparedBatches : IDisposable
{
    private readonly Dictionary<string, (FbCommand? Command, int Slots)> _statements = new(StringComparer.Ordinal);

    /// <summary>The statement prepared for <paramref name="key"/> (null when none fitted), moved to <paramref name="transaction"/>.</summary>
    public bool TryTake(string key, FbTransaction transaction, out FbCommand? command, out int slots)
    {
        if (!_statements.TryGetValue(key, out var kept))
        {
            command = null;
            slots = 0;
            return false;
        }
        kept.Command?.MoveTo(transaction);
        (command, slots) = kept;
        return true;
    }

    /// <summary>Keeps a statement (or the fact that none fitted) for later transactions; it is disposed with this cache.</summary>
    public void Keep(string key, FbCommand? command, int slots) => _statements[key] = (command, slots);

    public void Dispose()
    {
        foreach (var (command, _) in _statements.Values) command?.Dispose();
        _statements.Clear();
    }
}
