using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>One column HeitzSync carries (computed columns are never carried).</summary>
public sealed class SyncColumn
{
    public SyncColumn(string name, FbDbType type, string sqlType, bool isKey)
    {
        Name = name;
        Type = type;
        SqlType = sqlType;
        IsKey = isKey;
    }

    public string Name { get; }
    public FbDbType Type { get; }

    /// <summary>The column's type as DDL, e.g. <c>VARCHAR(40) CHARACTER SET WIN1252</c>; used for version-table key columns and the schema fingerprint.</summary>
    public string SqlType { get; }

    public bool IsKey { get; }
    public bool IsBlob => Type is FbDbType.Blob or FbDbType.TextBlob;
    public string Quoted => FbSql.QuoteIdentifier(Name);
}

/// <summary>A synchronised table: its carried columns, its key, the tables it references, and the names of its capture objects.</summary>
public sealed class SyncTable
{
    public SyncTable(string name, int id, IReadOnlyList<SyncColumn> columns, IReadOnlyList<string> parentTables, bool isSelfReferencing)
    {
        Name = name;
        Id = id;
        Columns = columns;
        KeyColumns = columns.Where(c => c.IsKey).ToList();
        ParentTables = parentTables;
        IsSelfReferencing = isSelfReferencing;
    }

    public string Name { get; }

    /// <summary>Small number given at install (HZ$TABLES), naming the version table and the trigger of this table in this database.</summary>
    public int Id { get; }

    public IReadOnlyList<SyncColumn> Columns { get; }
    public IReadOnlyList<SyncColumn> KeyColumns { get; }
    public IReadOnlyList<string> ParentTables { get; }
    public bool IsSelfReferencing { get; }

    public string Quoted => FbSql.QuoteIdentifier(Name);
    public string VersionTable => FbSql.QuoteIdentifier("HZ$V_" + Id);
    public string TriggerName => "HZ$T_" + Id;

    internal SyncTable WithId(int id) => new(Name, id, Columns, ParentTables, IsSelfReferencing);
}
