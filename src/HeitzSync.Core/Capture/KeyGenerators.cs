using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>
/// A generator that may hand out keys: a user sequence, or the generator of an identity column. <see cref="Name"/> is
/// what GEN_ID takes; <see cref="Key"/> names it the same way in every database of the chain (an identity column's
/// generator is named by the engine, so it is known by its table and column instead).
/// </summary>
public sealed record KeyGenerator(string Name, string Key, long CurrentValue)
{
    public override string ToString() => Key;
}

/// <summary>The generators init moves into a site's key range and a full restore keeps where they stood.</summary>
public static class KeyGenerators
{
    /// <summary>Every user sequence (HeitzSync's own HZ$ ones aside) and every identity column's generator.</summary>
    public static IReadOnlyList<KeyGenerator> Read(FbConnection connection, FbTransaction transaction) =>
        connection.Schema.GetGenerators(transaction)
            .Where(g => !g.Name.StartsWith("HZ$", StringComparison.Ordinal))
            .Select(g => new KeyGenerator(g.Name, g.Name, g.CurrentValue))
            .Concat(connection.Schema.GetIdentityGenerators(transaction)
                .Select(g => new KeyGenerator(g.Name, $"{g.Table}.{g.Column} (identity)", g.CurrentValue)))
            .ToList();

    /// <summary>Sets the generator's value to <paramref name="value"/> inside <paramref name="transaction"/> (GEN_ID moves
    /// it with the transaction's commit; ALTER SEQUENCE would need a DDL transaction of its own, and an identity
    /// column's generator takes no ALTER SEQUENCE).</summary>
    public static void MoveTo(FbConnection connection, FbTransaction transaction, KeyGenerator generator, long value)
    {
        if (value == generator.CurrentValue) return;
        connection.ExecuteScalar(transaction,
            $"SELECT GEN_ID({FbSql.QuoteIdentifier(generator.Name)}, {(value - generator.CurrentValue).ToString(CultureInfo.InvariantCulture)}) FROM RDB$DATABASE");
    }
}
