using System.Globalization;
using System.Security.Cryptography;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>Full row content of a table as text lines ordered by key: text and blobs as exact bytes (hex).</summary>
internal static class TableContent
{
    public static readonly string[] SynchronisedTables = { "MEMBER", "PRICE", "SALE", "SALE_LINE", "Ledger Entry" };

    public static List<string> Read(FbConnection connection, string table)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        var info = connection.Schema.GetTable(tx, table) ?? throw new InvalidOperationException("no table " + table);
        var order = string.Join(", ", info.PrimaryKey.Select(FbSql.QuoteIdentifier));
        using var command = connection.Prepare(tx, $"SELECT * FROM {FbSql.QuoteIdentifier(table)} ORDER BY {order}");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new string[reader.FieldCount];
            for (var i = 0; i < reader.FieldCount; i++)
            {
                cells[i] = Cell(reader, i);
            }
            rows.Add(string.Join(" | ", cells));
        }
        return rows;
    }

    private static string Cell(FbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) return "NULL";
        var type = reader.GetColumn(i).Type;
        return type switch
        {
            FbDbType.Char or FbDbType.VarChar => Convert.ToHexString(reader.GetBytes(i)),
            FbDbType.Blob or FbDbType.TextBlob => Convert.ToHexString(SHA256.HashData(reader.GetBytes(i))),
            _ => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "",
        };
    }

    /// <summary>Asserts that every synchronised table holds the same rows in every database.</summary>
    public static void AssertConverged(EngineWorld world, string because) => AssertConverged(world, because, SynchronisedTables);

    /// <summary>Asserts that each of <paramref name="tables"/> holds the same rows (full content) in every database.</summary>
    public static void AssertConverged(EngineWorld world, string because, IEnumerable<string> tables) => AssertConverged(world, world.Sites, because, tables);

    /// <summary>Asserts that every synchronised table holds the same rows at the Siège and at each of <paramref name="sites"/>
    /// (the others have not joined yet).</summary>
    public static void AssertConverged(EngineWorld world, IEnumerable<EngineNode> sites, string because) => AssertConverged(world, sites, because, SynchronisedTables);

    private static void AssertConverged(EngineWorld world, IEnumerable<EngineNode> sites, string because, IEnumerable<string> tables)
    {
        foreach (var table in tables)
        {
            var expected = Read(world.Siege.Connection, table);
            foreach (var site in sites)
            {
                var actual = Read(site.Connection, table);
                if (!expected.SequenceEqual(actual))
                {
                    var onlySiege = expected.Except(actual).Take(5);
                    var onlySite = actual.Except(expected).Take(5);
                    Assert.Fail($"{because}: {table} differs between SIEGE ({expected.Count} rows) and {site.Code} ({actual.Count} rows).\n" +
                                $"only at SIEGE: {string.Join("\n  ", onlySiege)}\nonly at {site.Code}: {string.Join("\n  ", onlySite)}");
                }
            }
        }
    }
}
