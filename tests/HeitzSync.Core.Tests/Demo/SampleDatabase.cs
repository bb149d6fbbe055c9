using System.Globalization;
using HeitzSync.Core.Demo;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Demo;

/// <summary>A real embedded database with the sample schema, in a test's temporary folder.</summary>
internal sealed class SampleDatabase : IDisposable
{
    public const long Range = 1_000_000_000;

    private SampleDatabase(FbConnectionSettings settings, FbConnection connection)
    {
        Settings = settings;
        Connection = connection;
    }

    public FbConnectionSettings Settings { get; }
    public FbConnection Connection { get; }

    /// <summary>Creates <paramref name="name"/>.fdb (default character set UTF8) with the sample schema, read through a NONE attachment.</summary>
    public static SampleDatabase Create(TempFolder folder, string name, bool withSchema = true)
    {
        var settings = new FbConnectionSettings { Database = folder.File(name + ".fdb"), Charset = "NONE" };
        var connection = FbConnection.CreateDatabase(settings, "UTF8");
        if (withSchema) SampleSchema.Create(connection);
        return new SampleDatabase(settings, connection);
    }

    /// <summary>A new database seeded as site <paramref name="site"/> (keys from site × <see cref="Range"/>).</summary>
    public static SampleDatabase Seeded(TempFolder folder, string name, int site, int members, int seed)
    {
        var database = Create(folder, name);
        SampleData.SeedExisting(database.Connection, site, site * Range, members, new Random(seed));
        return database;
    }

    public int Sql(string sql, params object?[] values)
    {
        using var tx = Connection.BeginTransaction();
        var rows = Connection.Execute(tx, sql, values);
        tx.Commit();
        return rows;
    }

    public object? Scalar(string sql, params object?[] values)
    {
        using var tx = Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Connection.ExecuteScalar(tx, sql, values);
    }

    public long Long(string sql, params object?[] values) => Convert.ToInt64(Scalar(sql, values), CultureInfo.InvariantCulture);

    public long Count(string table) => Long("SELECT COUNT(*) FROM " + FbSql.QuoteIdentifier(table));

    /// <summary>The first column of every row, in the statement's order.</summary>
    public List<object?> Column(string sql, params object?[] values)
    {
        var list = new List<object?>();
        using var tx = Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = Connection.Prepare(tx, sql);
        using var reader = command.ExecuteReader(values);
        while (reader.Read()) list.Add(reader.GetValue(0));
        return list;
    }

    /// <summary>The stored bytes of a text or blob value (read through NONE: no transliteration).</summary>
    public byte[] Bytes(string sql, params object?[] values)
    {
        using var tx = Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = Connection.Prepare(tx, sql);
        using var reader = command.ExecuteReader(values);
        Assert.True(reader.Read(), "no row for " + sql);
        return reader.GetBytes(0);
    }

    public Dictionary<string, long> CountAll() => SampleSchema.AllTables.ToDictionary(t => t, Count);

    public void Dispose() => Connection.Dispose();
}
