using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>
/// Makes the business triggers of synchronised tables safe during applies (DESIGN.md §3, docs/sync-engine.md "Business
/// triggers"): init adds <see cref="TriggerSource.Guard"/> as the first statement of each one, so it returns at once in a
/// transaction that applies replicated rows (HZ$APPLYING set) and runs as before for every user. Triggers listed in
/// tables.triggersRunDuringApply are left (or put back) as their author wrote them; so are those that test HZ$APPLYING
/// themselves. The original source is kept in HZ$TRIGGER_GUARDS; capture removal takes the guard out again.
/// Database-level (ON CONNECT, DDL...) triggers, HeitzSync's own and those of other tables are never touched.
/// The source is read and compiled again over a UTF8 attachment, so accented literals keep their meaning.
/// </summary>
internal static class BusinessTriggerGuards
{
    private sealed record TriggerRow(string Name, string Table, long Type, bool IsActive, string? Source);

    /// <summary>Guards or unguards each business trigger as the options say; lists those of the synchronised tables.</summary>
    public static IReadOnlyList<BusinessTriggerPlan> Apply(FbConnectionSettings database, SyncSchema schema, CaptureOptions options)
    {
        var runDuringApply = new HashSet<string>(options.TriggersRunDuringApply, StringComparer.OrdinalIgnoreCase);
        var switchedOff = new HashSet<string>(options.TriggersOffDuringApply, StringComparer.OrdinalIgnoreCase);
        var synchronised = new HashSet<string>(schema.Tables.Select(t => t.Name), StringComparer.Ordinal);
        var plans = new List<BusinessTriggerPlan>();
        using var connection = FbConnection.Open(database with { Charset = "UTF8" });
        foreach (var trigger in ReadBusinessTriggers(connection))
        {
            var source = trigger.Source ?? "";
            var wanted = synchronised.Contains(trigger.Table) && !runDuringApply.Contains(trigger.Name);
            if (!wanted)
            {
                if (TriggerSource.HasGuard(source)) Rewrite(connection, trigger.Name, TriggerSource.RemoveGuard(source), original: null);
                if (synchronised.Contains(trigger.Table))
                {
                    plans.Add(Plan(trigger, TriggerDuringApply.Runs, "listed in tables.triggersRunDuringApply: it runs for replicated rows too (it must then give the same result when a row it has seen arrives again as an update)"));
                }
                continue;
            }
            TriggerDuringApply during;
            string detail;
            if (TriggerSource.HasGuard(source))
            {
                (during, detail) = (TriggerDuringApply.Skipped, "guard added by HeitzSync init");
            }
            else if (TriggerSource.TestsApplyingItself(source))
            {
                (during, detail) = (TriggerDuringApply.Skipped, "it tests HZ$APPLYING itself: left as written");
            }
            else if (TriggerSource.TryAddGuard(source, out var guarded, out var why))
            {
                Rewrite(connection, trigger.Name, guarded, original: source);
                (during, detail) = (TriggerDuringApply.Skipped, "guard added by HeitzSync init");
            }
            else
            {
                (during, detail) = (TriggerDuringApply.Unguarded,
                    $"no guard could be added ({why}): add IF (RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING') IS NOT NULL) THEN EXIT; to it yourself, or list it in tables.triggersRunDuringApply");
            }
            if (switchedOff.Contains(trigger.Name))
            {
                (during, detail) = (TriggerDuringApply.SwitchedOff,
                    "listed in tables.triggersOffDuringApply (deprecated): switched off for every user while an apply runs, so users' own rows miss it meanwhile; remove it from that list, " +
                    (during == TriggerDuringApply.Unguarded ? "once it has a guard" : "its guard already skips it for replicated rows"));
            }
            plans.Add(Plan(trigger, during, detail));
        }
        return plans;
    }

    /// <summary>Takes init's guard out of every trigger that has it (capture removal).</summary>
    public static void RemoveAll(FbConnectionSettings database)
    {
        using var connection = FbConnection.Open(database with { Charset = "UTF8" });
        foreach (var trigger in ReadBusinessTriggers(connection).Where(t => t.Source is not null && TriggerSource.HasGuard(t.Source)))
        {
            Rewrite(connection, trigger.Name, TriggerSource.RemoveGuard(trigger.Source!), original: null);
        }
    }

    private static BusinessTriggerPlan Plan(TriggerRow trigger, TriggerDuringApply during, string detail) =>
        new(trigger.Name, trigger.Table, FbTriggerTypes.Describe(trigger.Type), trigger.IsActive, during, detail);

    /// <summary>ALTER TRIGGER with a new body only: its table, events, position and state stay. The original source is
    /// recorded when a guard goes in, and the record goes when it comes out.</summary>
    private static void Rewrite(FbConnection connection, string name, string source, string? original)
    {
        connection.ExecuteInNewTransaction($"ALTER TRIGGER {FbSql.QuoteIdentifier(name)} {source}");
        if (!TableExists(connection, "HZ$TRIGGER_GUARDS")) return;
        if (original is not null)
        {
            connection.ExecuteInNewTransaction(
                "UPDATE OR INSERT INTO HZ$TRIGGER_GUARDS (TRIGGER_NAME, ORIGINAL_SOURCE, GUARDED_AT) VALUES (?, ?, CURRENT_TIMESTAMP) MATCHING (TRIGGER_NAME)", name, original);
        }
        else
        {
            connection.ExecuteInNewTransaction("DELETE FROM HZ$TRIGGER_GUARDS WHERE TRIGGER_NAME = ?", name);
        }
    }

    /// <summary>User DML triggers (not HeitzSync's HZ$ ones), with their table and source.</summary>
    private static List<TriggerRow> ReadBusinessTriggers(FbConnection connection)
    {
        var triggers = new List<TriggerRow>();
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = connection.Prepare(tx,
            "SELECT TRIM(RDB$TRIGGER_NAME), TRIM(RDB$RELATION_NAME), RDB$TRIGGER_TYPE, COALESCE(RDB$TRIGGER_INACTIVE, 0), RDB$TRIGGER_SOURCE " +
            "FROM RDB$TRIGGERS WHERE COALESCE(RDB$SYSTEM_FLAG, 0) = 0 AND RDB$RELATION_NAME IS NOT NULL AND RDB$TRIGGER_NAME NOT STARTING WITH 'HZ$' ORDER BY 1");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            triggers.Add(new TriggerRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3) == 0,
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return triggers;
    }

    private static bool TableExists(FbConnection connection, string name)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return connection.Schema.TableExists(tx, name);
    }
}
