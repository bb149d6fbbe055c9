namespace HeitzSync.Firebird;

public sealed record FbColumnInfo(
    string Name,
    FbDbType Type,
    int Length,
    int CharacterLength,
    int Precision,
    int Scale,
    int SubType,
    string? CharsetName,
    bool IsNullable,
    bool IsComputed)
{
    /// <summary>The generator behind a GENERATED ... AS IDENTITY column (Firebird names it RDB$n); null otherwise.</summary>
    public string? IdentityGenerator { get; init; }
}

public sealed record FbForeignKeyInfo(string Name, IReadOnlyList<string> Columns, string ReferencedTable, IReadOnlyList<string> ReferencedColumns)
{
    /// <summary>RDB$REF_CONSTRAINTS.RDB$DELETE_RULE: RESTRICT (Firebird's name for NO ACTION), CASCADE, SET NULL or SET DEFAULT.</summary>
    public string DeleteRule { get; init; } = "RESTRICT";

    /// <summary>Whether deleting the referenced row deletes this row too (ON DELETE CASCADE).</summary>
    public bool CascadesDelete => DeleteRule == "CASCADE";
}

public sealed record FbTableInfo(string Name, IReadOnlyList<FbColumnInfo> Columns, IReadOnlyList<string> PrimaryKey, IReadOnlyList<FbForeignKeyInfo> ForeignKeys);

public sealed record FbGeneratorInfo(string Name, long CurrentValue);

/// <summary>A trigger; <see cref="Type"/> is RDB$TRIGGER_TYPE, <see cref="Event"/> the same as text ("AFTER INSERT OR UPDATE OR DELETE").</summary>
public sealed record FbTriggerInfo(string Name, string? Table, long Type, int Position, bool IsActive, bool IsSystem)
{
    public string Event => FbTriggerTypes.Describe(Type);
}

/// <summary>Decodes RDB$TRIGGER_TYPE.</summary>
public static class FbTriggerTypes
{
    private const long DatabaseTrigger = 0x2000, DdlTrigger = 0x4000;

    /// <summary>"BEFORE INSERT", "AFTER INSERT OR UPDATE OR DELETE", "ON CONNECT", "AFTER DDL"...</summary>
    public static string Describe(long type)
    {
        if ((type & DdlTrigger) != 0) return (type & 1) == 0 ? "BEFORE DDL" : "AFTER DDL";
        if ((type & DatabaseTrigger) != 0)
        {
            return (type & ~DatabaseTrigger) switch
            {
                0 => "ON CONNECT",
                1 => "ON DISCONNECT",
                2 => "ON TRANSACTION START",
                3 => "ON TRANSACTION COMMIT",
                4 => "ON TRANSACTION ROLLBACK",
                _ => "DATABASE EVENT " + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        // DML: (type + 1) holds the phase in bit 0 (0 = BEFORE) and up to three actions of 2 bits (1 INSERT, 2 UPDATE, 3 DELETE).
        var code = type + 1;
        var events = new List<string>();
        for (var slot = 0; slot < 3; slot++)
        {
            switch ((code >> (1 + 2 * slot)) & 3)
            {
                case 1: events.Add("INSERT"); break;
                case 2: events.Add("UPDATE"); break;
                case 3: events.Add("DELETE"); break;
            }
        }
        return ((code & 1) == 0 ? "BEFORE " : "AFTER ") + string.Join(" OR ", events);
    }
}

/// <summary>Reads a database's metadata (user tables, columns, keys, generators, triggers) from the RDB$ tables.</summary>
public sealed class FbSchema
{
    private readonly FbConnection _connection;

    internal FbSchema(FbConnection connection) => _connection = connection;

    /// <summary><see cref="GetTables(FbTransaction)"/> in a read-only transaction of its own.</summary>
    public IReadOnlyList<FbTableInfo> GetTables() => InOwnTransaction(GetTables);

    /// <summary><see cref="GetTable(FbTransaction, string)"/> in a read-only transaction of its own.</summary>
    public FbTableInfo? GetTable(string name) => InOwnTransaction(tx => GetTable(tx, name));

    /// <summary><see cref="GetGenerators(FbTransaction)"/> in a read-only transaction of its own.</summary>
    public IReadOnlyList<FbGeneratorInfo> GetGenerators() => InOwnTransaction(GetGenerators);

    /// <summary><see cref="GetTriggers(FbTransaction)"/> in a read-only transaction of its own.</summary>
    public IReadOnlyList<FbTriggerInfo> GetTriggers() => InOwnTransaction(GetTriggers);

    private T InOwnTransaction<T>(Func<FbTransaction, T> read)
    {
        using var transaction = _connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        var result = read(transaction);
        transaction.Commit();
        return result;
    }

    // Persistent user tables: not system tables, views, external tables or global temporary tables (no data to keep).
    private const string UserTableFilter = "COALESCE(RDB$SYSTEM_FLAG, 0) = 0 AND RDB$VIEW_BLR IS NULL AND COALESCE(RDB$RELATION_TYPE, 0) = 0";

    /// <summary>User tables (no system tables, views, external or temporary tables), by name, with their columns and keys.</summary>
    public IReadOnlyList<FbTableInfo> GetTables(FbTransaction transaction)
    {
        var names = new List<string>();
        using (var command = _connection.Prepare(transaction, $"SELECT TRIM(RDB$RELATION_NAME) FROM RDB$RELATIONS WHERE {UserTableFilter} ORDER BY 1"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        return names.Select(n => ReadTable(transaction, n)).ToList();
    }

    /// <summary>One user table by its exact stored name (upper case unless it was quoted), or null when there is no such table.</summary>
    public FbTableInfo? GetTable(FbTransaction transaction, string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        if (name.Length == 0 || name.Length > 31) return null;   // Firebird 3 names are 1 to 31 characters
        var exists = _connection.ExecuteScalar(transaction, $"SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME = ? AND {UserTableFilter}", name);
        return Convert.ToInt64(exists, System.Globalization.CultureInfo.InvariantCulture) == 0 ? null : ReadTable(transaction, name);
    }

    private FbTableInfo ReadTable(FbTransaction transaction, string name)
    {
        var columns = new List<FbColumnInfo>();
        using (var command = _connection.Prepare(transaction,
                   "SELECT TRIM(rf.RDB$FIELD_NAME), f.RDB$FIELD_TYPE, COALESCE(f.RDB$FIELD_SUB_TYPE, 0), f.RDB$FIELD_LENGTH, " +
                   "COALESCE(f.RDB$FIELD_PRECISION, 0), COALESCE(f.RDB$FIELD_SCALE, 0), COALESCE(f.RDB$CHARACTER_LENGTH, 0), " +
                   "TRIM(cs.RDB$CHARACTER_SET_NAME), COALESCE(rf.RDB$NULL_FLAG, f.RDB$NULL_FLAG, 0), IIF(f.RDB$COMPUTED_BLR IS NULL, 0, 1), " +
                   "TRIM(rf.RDB$GENERATOR_NAME), COALESCE(f.RDB$DIMENSIONS, 0) " +
                   "FROM RDB$RELATION_FIELDS rf JOIN RDB$FIELDS f ON f.RDB$FIELD_NAME = rf.RDB$FIELD_SOURCE " +
                   "LEFT JOIN RDB$CHARACTER_SETS cs ON cs.RDB$CHARACTER_SET_ID = f.RDB$CHARACTER_SET_ID " +
                   "WHERE rf.RDB$RELATION_NAME = ? ORDER BY rf.RDB$FIELD_POSITION"))
        using (var reader = command.ExecuteReader(name))
        {
            while (reader.Read())
            {
                var fieldType = reader.GetInt32(1);
                var subType = reader.GetInt32(2);
                var scale = reader.GetInt32(5);
                var columnName = reader.GetString(0);
                var type = reader.GetInt32(11) > 0 ? Unsupported("an ARRAY", name, columnName) : TypeOf(fieldType, subType, scale, name, columnName);
                var isText = type is FbDbType.Char or FbDbType.VarChar or FbDbType.TextBlob;
                columns.Add(new FbColumnInfo(
                    columnName, type, reader.GetInt32(3), reader.GetInt32(6), reader.GetInt32(4), scale, subType,
                    isText && !reader.IsDBNull(7) ? reader.GetString(7) : null,
                    reader.GetInt32(8) == 0, reader.GetInt32(9) == 1)
                {
                    IdentityGenerator = reader.IsDBNull(10) ? null : reader.GetString(10),
                });
            }
        }
        return new FbTableInfo(name, columns, ReadPrimaryKey(transaction, name), ReadForeignKeys(transaction, name));
    }

    /// <summary>User sequences (identity columns' own generators excluded: see <see cref="FbColumnInfo.IdentityGenerator"/>), with GEN_ID(name, 0).</summary>
    public IReadOnlyList<FbGeneratorInfo> GetGenerators(FbTransaction transaction)
    {
        var names = new List<string>();
        using (var command = _connection.Prepare(transaction,
                   "SELECT TRIM(RDB$GENERATOR_NAME) FROM RDB$GENERATORS WHERE COALESCE(RDB$SYSTEM_FLAG, 0) = 0 ORDER BY 1"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        return names.Select(n => new FbGeneratorInfo(n, Convert.ToInt64(
            _connection.ExecuteScalar(transaction, $"SELECT GEN_ID({FbSql.QuoteIdentifier(n)}, 0) FROM RDB$DATABASE"),
            System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>Every trigger, system ones included (<see cref="FbTriggerInfo.IsSystem"/>), by name.</summary>
    public IReadOnlyList<FbTriggerInfo> GetTriggers(FbTransaction transaction)
    {
        var triggers = new List<FbTriggerInfo>();
        using var command = _connection.Prepare(transaction,
            "SELECT TRIM(RDB$TRIGGER_NAME), TRIM(RDB$RELATION_NAME), RDB$TRIGGER_TYPE, COALESCE(RDB$TRIGGER_SEQUENCE, 0), " +
            "COALESCE(RDB$TRIGGER_INACTIVE, 0), COALESCE(RDB$SYSTEM_FLAG, 0) FROM RDB$TRIGGERS ORDER BY 1");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            triggers.Add(new FbTriggerInfo(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4) == 0, reader.GetInt32(5) != 0));
        }
        return triggers;
    }

    private List<string> ReadPrimaryKey(FbTransaction transaction, string table)
    {
        var columns = new List<string>();
        using var command = _connection.Prepare(transaction,
            "SELECT TRIM(s.RDB$FIELD_NAME) FROM RDB$RELATION_CONSTRAINTS rc JOIN RDB$INDEX_SEGMENTS s ON s.RDB$INDEX_NAME = rc.RDB$INDEX_NAME " +
            "WHERE rc.RDB$RELATION_NAME = ? AND rc.RDB$CONSTRAINT_TYPE = 'PRIMARY KEY' ORDER BY s.RDB$FIELD_POSITION");
        using var reader = command.ExecuteReader(table);
        while (reader.Read()) columns.Add(reader.GetString(0));
        return columns;
    }

    private List<FbForeignKeyInfo> ReadForeignKeys(FbTransaction transaction, string table)
    {
        var rows = new List<(string Name, string Column, string Parent, string ParentColumn, string DeleteRule)>();
        using (var command = _connection.Prepare(transaction,
                   "SELECT TRIM(rc.RDB$CONSTRAINT_NAME), TRIM(s.RDB$FIELD_NAME), TRIM(pk.RDB$RELATION_NAME), TRIM(ps.RDB$FIELD_NAME), TRIM(COALESCE(rf.RDB$DELETE_RULE, 'RESTRICT')) " +
                   "FROM RDB$RELATION_CONSTRAINTS rc " +
                   "JOIN RDB$REF_CONSTRAINTS rf ON rf.RDB$CONSTRAINT_NAME = rc.RDB$CONSTRAINT_NAME " +
                   "JOIN RDB$RELATION_CONSTRAINTS pk ON pk.RDB$CONSTRAINT_NAME = rf.RDB$CONST_NAME_UQ " +
                   "JOIN RDB$INDEX_SEGMENTS s ON s.RDB$INDEX_NAME = rc.RDB$INDEX_NAME " +
                   "JOIN RDB$INDEX_SEGMENTS ps ON ps.RDB$INDEX_NAME = pk.RDB$INDEX_NAME AND ps.RDB$FIELD_POSITION = s.RDB$FIELD_POSITION " +
                   "WHERE rc.RDB$RELATION_NAME = ? AND rc.RDB$CONSTRAINT_TYPE = 'FOREIGN KEY' ORDER BY 1, s.RDB$FIELD_POSITION"))
        using (var reader = command.ExecuteReader(table))
        {
            while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }
        return rows.GroupBy(r => r.Name)
            .Select(g => new FbForeignKeyInfo(g.Key, g.Select(r => r.Column).ToList(), g.First().Parent, g.Select(r => r.ParentColumn).ToList())
            {
                DeleteRule = g.First().DeleteRule,
            })
            .ToList();
    }

    private static FbDbType TypeOf(int fieldType, int subType, int scale, string table, string column) => fieldType switch
    {
        7 => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.SmallInt,
        8 => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.Integer,
        16 => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.BigInt,
        10 => FbDbType.Float,
        27 => scale < 0 ? FbDbType.Numeric : FbDbType.Double,
        14 => FbDbType.Char,
        37 => FbDbType.VarChar,
        12 => FbDbType.Date,
        13 => FbDbType.Time,
        35 => FbDbType.Timestamp,
        23 => FbDbType.Boolean,
        261 => subType == 1 ? FbDbType.TextBlob : FbDbType.Blob,
        _ => Unsupported($"Firebird field type {fieldType} (a Firebird 4+ INT128/DECFLOAT/TIME ZONE type?)", table, column),
    };

    private static FbDbType Unsupported(string what, string table, string column) =>
        throw new FbException($"Column {column} of table {table} is {what}, which HeitzSync's Firebird binding does not support.");
}
