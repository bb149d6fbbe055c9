using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>
/// One transaction of the business application: statements prepared once and reused, rows affected counted per
/// table. Rolled back unless committed.
/// </summary>
internal sealed class BusinessTransaction : IDisposable
{
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly ActivityCounter _counter;
    private readonly Dictionary<string, FbCommand> _prepared = new(StringComparer.Ordinal);

    public BusinessTransaction(FbConnection connection, ActivityCounter counter)
    {
        _connection = connection;
        _counter = counter;
        _transaction = connection.BeginTransaction();
    }

    public int Insert(string table, string sql, params object?[] values) => _counter.Inserted(table, Command(sql).ExecuteNonQuery(values));

    public int Update(string table, string sql, params object?[] values) => _counter.Updated(table, Command(sql).ExecuteNonQuery(values));

    public int Delete(string table, string sql, params object?[] values) => _counter.Deleted(table, Command(sql).ExecuteNonQuery(values));

    /// <summary>An INSERT ... RETURNING ID: the key the database gave the new row.</summary>
    public long InsertReturningId(string table, string sql, params object?[] values)
    {
        var id = Convert.ToInt64(Command(sql).ExecuteScalar(values), CultureInfo.InvariantCulture);
        _counter.Inserted(table, 1);
        return id;
    }

    /// <summary>The next key of a generator, as the application takes it before writing a parent and its children.</summary>
    public long NextKey(string generator) =>
        Convert.ToInt64(Command($"SELECT GEN_ID({generator}, 1) FROM RDB$DATABASE").ExecuteScalar(), CultureInfo.InvariantCulture);

    /// <summary>The BIGINT values of the first column, in the statement's order (give it an ORDER BY).</summary>
    public List<long> Ids(string sql, params object?[] values)
    {
        var ids = new List<long>();
        using var reader = Command(sql).ExecuteReader(values);
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    public bool Exists(string sql, params object?[] values)
    {
        using var reader = Command(sql).ExecuteReader(values);
        return reader.Read();
    }

    public void Commit()
    {
        DisposeCommands();
        _transaction.Commit();
    }

    private FbCommand Command(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = _connection.Prepare(_transaction, sql);
            _prepared[sql] = command;
        }
        return command;
    }

    private void DisposeCommands()
    {
        foreach (var command in _prepared.Values) command.Dispose();
        _prepared.Clear();
    }

    public void Dispose()
    {
        DisposeCommands();
        _transaction.Dispose();
    }
}
