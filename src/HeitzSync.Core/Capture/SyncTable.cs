using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>What a carried column is to the sync.</summary>
public enum ColumnKind
{
    /// <summary>Part of the primary key.</summary>
    Key,
    /// <summary>Carried as it is; last writer wins.</summary>
    Ordinary,
    /// <summary>tables.additiveColumns: carried as a node's running total of its own changes, so concurrent changes add up
    /// (docs/sync-engine.md, "Derived values").</summary>
    Additive,
    /// <summary>tables.localColumns: never carried; listed so that every node agrees on it (schema fingerprint).</summary>
    Local,
}

/// <summary>One column HeitzSync knows (computed columns are never carried).</summary>
public sealed class SyncColumn
{
    public SyncColumn(string name, FbDbType type, string sqlType, bool isKey)
        : this(name, type, sqlType, isKey ? ColumnKind.Key : ColumnKind.Ordinary)
    {
    }

    public SyncColumn(string name, FbDbType type, string sqlType, ColumnKind kind)
    {
        Name = name;
        Type = type;
        SqlType = sqlType;
        Kind = kind;
    }

    public string Name { get; }
    public FbDbType Type { get; }

    /// <summary>The column's type as DDL, e.g. <c>VARCHAR(40) CHARACTER SET WIN1252</c>; used for version-table key columns and the schema fingerprint.</summary>
    public string SqlType { get; }

    public ColumnKind Kind { get; }
    public bool IsKey => Kind == ColumnKind.Key;
    public bool IsAdditive => Kind == ColumnKind.Additive;
    public bool IsBlob => Type is FbDbType.Blob or FbDbType.TextBlob;
    public string Quoted => FbSql.QuoteIdentifier(Name);

    /// <summary>The type a change stream carries the column in: an additive column's running total may outgrow the
    /// column itself (years of sales of a SMALLINT stock), so it travels as <see cref="TotalSqlType"/>.</summary>
    public FbDbType CarriedType => IsAdditive ? (Type == FbDbType.Numeric ? FbDbType.Numeric : FbDbType.BigInt) : Type;

    /// <summary>The type of an additive column's running totals (HZ$A_n): as exact as the column, wide enough for years of changes.</summary>
    public string TotalSqlType => Type == FbDbType.Numeric
        ? SqlType.StartsWith("NUMERIC(", StringComparison.Ordinal) ? "NUMERIC(18," + SqlType.Substring(SqlType.IndexOf(',') + 1) : "BIGINT"
        : "BIGINT";
}

/// <summary>A foreign key of a synchronised table to a synchronised table (itself included).</summary>
public sealed class SyncForeignKey
{
    public SyncForeignKey(string name, IReadOnlyList<string> columns, string parentTable, bool cascadesDelete, IReadOnlyList<int>? parentKeyOrder)
    {
        Name = name;
        Columns = columns;
        ParentTable = parentTable;
        CascadesDelete = cascadesDelete;
        ParentKeyOrder = parentKeyOrder;
    }

    public string Name { get; }

    /// <summary>The referencing columns, in the constraint's order.</summary>
    public IReadOnlyList<string> Columns { get; }

    public string ParentTable { get; }

    /// <summary>ON DELETE CASCADE: deleting the parent row deletes this row.</summary>
    public bool CascadesDelete { get; }

    /// <summary>For each column of the parent's primary key, the position in <see cref="Columns"/> of the column that
    /// references it; null when the key references a unique constraint rather than the primary key.</summary>
    public IReadOnlyList<int>? ParentKeyOrder { get; }
}

/// <summary>A synchronised table: its carried columns, its key, the tables it references, and the names of its capture objects.</summary>
public sealed class SyncTable
{
    public SyncTable(string name, int id, IReadOnlyList<SyncColumn> columns, IReadOnlyList<string> parentTables, bool isSelfReferencing)
        : this(name, id, columns, parentTables, isSelfReferencing, Array.Empty<SyncColumn>(), Array.Empty<SyncForeignKey>())
    {
    }

    public SyncTable(string name, int id, IReadOnlyList<SyncColumn> columns, IReadOnlyList<string> parentTables, bool isSelfReferencing,
        IReadOnlyList<SyncColumn> localColumns, IReadOnlyList<SyncForeignKey> foreignKeys)
    {
        Name = name;
        Id = id;
        Columns = columns;
        KeyColumns = columns.Where(c => c.IsKey).ToList();
        AdditiveColumns = columns.Where(c => c.IsAdditive).ToList();
        ParentTables = parentTables;
        IsSelfReferencing = isSelfReferencing;
        LocalColumns = localColumns;
        ForeignKeys = foreignKeys;
    }

    public string Name { get; }

    /// <summary>Small number given at install (HZ$TABLES), naming the version table and the trigger of this table in this database.</summary>
    public int Id { get; }

    /// <summary>The carried columns, in the table's order: key, ordinary and additive ones (never local or computed ones).</summary>
    public IReadOnlyList<SyncColumn> Columns { get; }
    public IReadOnlyList<SyncColumn> KeyColumns { get; }

    /// <summary>tables.additiveColumns of this table (carried as running totals).</summary>
    public IReadOnlyList<SyncColumn> AdditiveColumns { get; }

    /// <summary>tables.localColumns of this table (never carried).</summary>
    public IReadOnlyList<SyncColumn> LocalColumns { get; }

    /// <summary>Its foreign keys to synchronised tables.</summary>
    public IReadOnlyList<SyncForeignKey> ForeignKeys { get; }

    public IReadOnlyList<string> ParentTables { get; }
    public bool IsSelfReferencing { get; }
    public bool HasAdditive => AdditiveColumns.Count > 0;

    /// <summary>Whether deleting a row of another synchronised table (or of this one) may delete rows of this one by ON DELETE CASCADE.</summary>
    public bool HasCascadeParents => ForeignKeys.Any(fk => fk.CascadesDelete && fk.ParentKeyOrder is not null);

    public string Quoted => FbSql.QuoteIdentifier(Name);
    public string VersionTable => FbSql.QuoteIdentifier("HZ$V_" + Id);
    public string TriggerName => "HZ$T_" + Id;

    /// <summary>HZ$A_n: per key and per node, the running total of that node's changes of each additive column.</summary>
    public string TotalsTable => FbSql.QuoteIdentifier("HZ$A_" + Id);

    internal SyncTable WithId(int id) => new(Name, id, Columns, ParentTables, IsSelfReferencing, LocalColumns, ForeignKeys);
}
