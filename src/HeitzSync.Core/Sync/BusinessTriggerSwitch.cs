using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>
/// Switches named business triggers off for the duration of an apply (DESIGN.md §3: a trigger that stamps a date or
/// updates a stock count must not fire again for replicated rows). Firebird applies ALTER TRIGGER at commit, so the
/// switch happens in its own transactions around the apply; the names are recorded in HZ$TRIGGERS_OFF first, so a run
/// that dies in between has them switched back on by <see cref="Recover"/> at the next start.
/// The preferred way remains the trigger testing RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING').
/// </summary>
public sealed class BusinessTriggerSwitch : IDisposable
{
    private readonly FbConnection _connection;
    private readonly IReadOnlyList<string> _switchedOff;

    private BusinessTriggerSwitch(FbConnection connection, IReadOnlyList<string> switchedOff)
    {
        _connection = connection;
        _switchedOff = switchedOff;
    }

    /// <summary>Switches the given triggers off (those that exist and are active) until disposed.</summary>
    public static BusinessTriggerSwitch Off(FbConnection connection, IReadOnlyCollection<string> triggerNames)
    {
        Recover(connection);
        if (triggerNames.Count == 0) return new BusinessTriggerSwitch(connection, Array.Empty<string>());
        List<string> active;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            var wanted = new HashSet<string>(triggerNames, StringComparer.OrdinalIgnoreCase);
            active = connection.Schema.GetTriggers(tx).Where(t => !t.IsSystem && t.IsActive && wanted.Contains(t.Name)).Select(t => t.Name).ToList();
        }
        foreach (var name in active)
        {
            connection.ExecuteInNewTransaction("UPDATE OR INSERT INTO HZ$TRIGGERS_OFF (TRIGGER_NAME) VALUES (?) MATCHING (TRIGGER_NAME)", name);
            connection.ExecuteInNewTransaction($"ALTER TRIGGER {FbSql.QuoteIdentifier(name)} INACTIVE");
        }
        return new BusinessTriggerSwitch(connection, active);
    }

    /// <summary>Switches back on every trigger a previous run left off.</summary>
    public static IReadOnlyList<string> Recover(FbConnection connection)
    {
        var left = new List<string>();
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        using (var command = connection.Prepare(tx, "SELECT TRIGGER_NAME FROM HZ$TRIGGERS_OFF"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) left.Add(reader.GetString(0).Trim());
        }
        foreach (var name in left) SwitchOn(connection, name);
        return left;
    }

    private static void SwitchOn(FbConnection connection, string name)
    {
        connection.ExecuteInNewTransaction($"ALTER TRIGGER {FbSql.QuoteIdentifier(name)} ACTIVE");
        connection.ExecuteInNewTransaction("DELETE FROM HZ$TRIGGERS_OFF WHERE TRIGGER_NAME = ?", name);
    }

    public void Dispose()
    {
        foreach (var name in _switchedOff) SwitchOn(_connection, name);
    }
}
