namespace HeitzSync.Firebird;

public enum FbDbType { SmallInt, Integer, BigInt, Numeric, Float, Double, Char, VarChar, Date, Time, Timestamp, Boolean, Blob, TextBlob }

public enum FbIsolation { ReadCommitted, Snapshot, SnapshotTableStability }

public sealed record FbTransactionOptions
{
    public FbIsolation Isolation { get; init; } = FbIsolation.ReadCommitted;
    public bool ReadOnly { get; init; }
    public bool Wait { get; init; } = true;
    public int? LockTimeoutSeconds { get; init; }
}

/// <summary>
/// Bytes for a text parameter (CHAR/VARCHAR/text blob), sent without any transliteration: on an attachment with
/// Charset NONE they land byte for byte whatever the column's charset (NONE, WIN1252, ISO8859_1, UTF8, OCTETS).
/// On any other attachment Firebird reads them as text in the attachment's charset (it ignores a NONE declaration
/// there), so exact replication must use a NONE attachment.
/// </summary>
public sealed class FbRawText
{
    public FbRawText(byte[] bytes) => Bytes = bytes ?? throw new ArgumentNullException(nameof(bytes));

    public byte[] Bytes { get; }
}

/// <summary>A described parameter or result column.</summary>
public sealed class FbColumn
{
    internal FbColumn(string name, string? relation, FbDbType type, int size, int scale, int subType, int charsetId, bool isNullable)
    {
        Name = name;
        Relation = relation;
        Type = type;
        Size = size;
        Scale = scale;
        SubType = subType;
        CharsetId = charsetId;
        IsNullable = isNullable;
    }

    public string Name { get; }
    public string? Relation { get; }
    public FbDbType Type { get; }
    public int Size { get; }
    public int Scale { get; }
    public int SubType { get; }
    public int CharsetId { get; }
    public bool IsNullable { get; }
}

/// <summary>SQL text helpers.</summary>
public static class FbSql
{
    /// <summary>Quotes an identifier for dialect 3 ("Member Photo", doubled inner quotes).</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
}
