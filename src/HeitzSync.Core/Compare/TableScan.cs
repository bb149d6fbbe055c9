using System.Globalization;
using System.Security.Cryptography;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>
/// Reads one table of one database row by row in key order, inside a read-only snapshot, and turns each row into a
/// comparable key and one fingerprint per compared column. Only the current row is held; blobs are hashed as they
/// stream. Text key parts are ordered by their stored bytes (cast to OCTETS), whatever the column's collation, so the
/// order is the same on both sides and the same as <see cref="CompareKeys"/>.
/// </summary>
internal sealed class TableScan : IDisposable
{
    private static readonly byte[] NullCell = { 0 };

    private readonly string _table;
    private readonly IReadOnlyList<FbColumnInfo> _columns;
    private readonly IReadOnlyList<FbColumnInfo> _keys;
    private readonly int[] _keyDisplayColumn;
    private readonly FbCommand? _command;
    private readonly FbDataReader? _reader;
    private readonly IncrementalHash _checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly CancellationToken _cancellationToken;
    private string? _finalChecksum;

    /// <summary>Starts the scan. <paramref name="transaction"/> (the snapshot the table's shape was read in) stays the caller's.</summary>
    public TableScan(FbConnection connection, FbTransaction transaction, string table, IReadOnlyList<FbColumnInfo> columns,
        IReadOnlyList<FbColumnInfo> keys, CancellationToken cancellationToken)
    {
        _table = table;
        _columns = columns;
        _keys = keys;
        _cancellationToken = cancellationToken;
        _keyDisplayColumn = keys.Select(k => columns.ToList().FindIndex(c => c.Name == k.Name)).ToArray();
        var select = columns.Select(c => FbSql.QuoteIdentifier(c.Name))
            .Concat(keys.Select(k => IsText(k.Type)
                ? $"CAST({FbSql.QuoteIdentifier(k.Name)} AS VARCHAR({Math.Max(1, k.Length).ToString(CultureInfo.InvariantCulture)}) CHARACTER SET OCTETS)"
                : FbSql.QuoteIdentifier(k.Name)));
        var order = Enumerable.Range(columns.Count + 1, keys.Count).Select(p => p.ToString(CultureInfo.InvariantCulture));
        _command = connection.Prepare(transaction, $"SELECT {string.Join(", ", select)} FROM {FbSql.QuoteIdentifier(table)} ORDER BY {string.Join(", ", order)}");
        try
        {
            _reader = _command.ExecuteReader();
        }
        catch
        {
            _command.Dispose();
            throw;
        }
    }

    /// <summary>A scan of a table that does not exist on this side: no rows.</summary>
    private TableScan(string table)
    {
        _table = table;
        _columns = Array.Empty<FbColumnInfo>();
        _keys = Array.Empty<FbColumnInfo>();
        _keyDisplayColumn = Array.Empty<int>();
        _finalChecksum = "";
    }

    public static TableScan Absent(string table) => new(table);

    public long Rows { get; private set; }

    /// <summary>The current row's key parts: byte[] for text, else long, decimal, double, DateTime, TimeSpan or bool.</summary>
    public object[] Key { get; private set; } = Array.Empty<object>();

    /// <summary>The current row's fingerprint per compared column (the value's exact bytes; a blob's length and SHA-256).</summary>
    public byte[][] Cells { get; private set; } = Array.Empty<byte[]>();

    /// <summary>The current key as text: <c>ID=12</c>, <c>SALE_ID=5, LINE_NO=2</c>, <c>CODE='YEAR'</c>.</summary>
    public string KeyText { get; private set; } = "";

    /// <summary>The current key as parameters (text keys as their exact stored bytes).</summary>
    public object?[] KeyValues { get; private set; } = Array.Empty<object?>();

    /// <summary>SHA-256 (hex) over every row read; empty when the table does not exist on this side. Valid once <see cref="Next"/> returned false.</summary>
    public string Checksum => _finalChecksum ?? throw new InvalidOperationException("The scan has not reached the end of the table.");

    public bool Next()
    {
        if (_reader is null || _finalChecksum is not null) return false;
        _cancellationToken.ThrowIfCancellationRequested();
        if (!_reader.Read())
        {
            _finalChecksum = Hex(_checksum.GetHashAndReset());
            return false;
        }
        var previousKey = Rows > 0 ? Key : null;
        var previousText = KeyText;
        var cells = new byte[_columns.Count][];
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = Fingerprint(_reader, i);
            cells[i] = cell;
            _checksum.AppendData(Int32Bytes(cell.Length));
            _checksum.AppendData(cell);
        }
        var key = new object[_keys.Count];
        var values = new object?[_keys.Count];
        var text = new string[_keys.Count];
        for (var k = 0; k < key.Length; k++)
        {
            var at = _columns.Count + k;
            if (IsText(_keys[k].Type))
            {
                var bytes = _reader.GetBytes(at);
                key[k] = bytes;
                values[k] = new FbRawText(bytes);
                text[k] = $"{_keys[k].Name}='{_reader.GetString(_keyDisplayColumn[k]).TrimEnd()}'";
            }
            else
            {
                key[k] = KeyPart(_reader, at);
                values[k] = _reader.GetValue(at);
                text[k] = _keys[k].Name + "=" + Display(key[k]);
            }
        }
        Cells = cells;
        Key = key;
        KeyValues = values;
        KeyText = string.Join(", ", text);
        Rows++;
        if (previousKey is not null && CompareKeys(previousKey, key) >= 0)
        {
            throw new InvalidOperationException(
                $"{_table}: the database returned key {KeyText} after {previousText}; keys that differ only by trailing NUL bytes cannot be compared row by row.");
        }
        return true;
    }

    /// <summary>Orders keys as the scans' ORDER BY does: text by bytes (a shorter value padded with NUL, as OCTETS compares), the rest by value.</summary>
    public static int CompareKeys(object[] left, object[] right)
    {
        for (var i = 0; i < left.Length; i++)
        {
            var c = left[i] is byte[] a && right[i] is byte[] b ? CompareOctets(a, b) : ((IComparable)left[i]).CompareTo(right[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    private static int CompareOctets(byte[] a, byte[] b)
    {
        var length = Math.Max(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            var x = i < a.Length ? a[i] : 0;
            var y = i < b.Length ? b[i] : 0;
            if (x != y) return x.CompareTo(y);
        }
        return 0;
    }

    /// <summary>What kind of value a column holds, for key merging: columns of one kind compare with each other.</summary>
    public static string KeyKind(FbDbType type) => type switch
    {
        FbDbType.SmallInt or FbDbType.Integer or FbDbType.BigInt => "integer",
        FbDbType.Char or FbDbType.VarChar => "text",
        FbDbType.Float or FbDbType.Double => "float",
        _ => type.ToString(),
    };

    public static bool IsText(FbDbType type) => type is FbDbType.Char or FbDbType.VarChar;

    private static object KeyPart(FbDataReader reader, int i) => reader.GetColumn(i).Type switch
    {
        FbDbType.SmallInt or FbDbType.Integer or FbDbType.BigInt => reader.GetInt64(i),
        FbDbType.Numeric => reader.GetDecimal(i),
        FbDbType.Float or FbDbType.Double => reader.GetDouble(i),
        FbDbType.Date or FbDbType.Timestamp => reader.GetDateTime(i),
        FbDbType.Time => reader.GetTimeSpan(i),
        FbDbType.Boolean => reader.GetBoolean(i),
        var other => throw new NotSupportedException($"A {other} column cannot be part of a compared key."),
    };

    private static string Display(object value) => value switch
    {
        DateTime d when d.TimeOfDay == TimeSpan.Zero => d.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("yyyy'-'MM'-'dd' 'HH':'mm':'ss'.'ffff", CultureInfo.InvariantCulture),
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "TRUE" : "FALSE",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>
    /// A cell as exact bytes with a tag for its kind: integers as 8 bytes, NUMERIC as its exact decimal text (scale
    /// kept), floating point as its IEEE bits, dates and times as ticks, text as its stored bytes (read through a
    /// NONE attachment: no transliteration), blobs as their length and SHA-256, streamed.
    /// </summary>
    private static byte[] Fingerprint(FbDataReader reader, int i)
    {
        if (reader.IsDBNull(i)) return NullCell;
        switch (reader.GetColumn(i).Type)
        {
            case FbDbType.SmallInt or FbDbType.Integer or FbDbType.BigInt: return Tagged(1, Int64Bytes(reader.GetInt64(i)));
            case FbDbType.Numeric: return Tagged(2, System.Text.Encoding.ASCII.GetBytes(reader.GetDecimal(i).ToString(CultureInfo.InvariantCulture)));
            case FbDbType.Float or FbDbType.Double: return Tagged(3, Int64Bytes(BitConverter.DoubleToInt64Bits(reader.GetDouble(i))));
            case FbDbType.Char or FbDbType.VarChar: return Tagged(4, reader.GetBytes(i));
            case FbDbType.Date: return Tagged(5, Int64Bytes(reader.GetDateTime(i).Ticks));
            case FbDbType.Timestamp: return Tagged(6, Int64Bytes(reader.GetDateTime(i).Ticks));
            case FbDbType.Time: return Tagged(7, Int64Bytes(reader.GetTimeSpan(i).Ticks));
            case FbDbType.Boolean: return new byte[] { 8, reader.GetBoolean(i) ? (byte)1 : (byte)0 };
            case FbDbType.Blob or FbDbType.TextBlob: return BlobFingerprint(reader, i);
            case var other: throw new NotSupportedException($"Column {reader.GetName(i)} is {other}, which the comparer does not read.");
        }
    }

    private static byte[] BlobFingerprint(FbDataReader reader, int i)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var blob = reader.OpenBlob(i);
        var buffer = new byte[32 * 1024];
        long length = 0;
        int read;
        while ((read = blob.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        return Tagged(9, Int64Bytes(length).Concat(hash.GetHashAndReset()).ToArray());
    }

    private static byte[] Tagged(byte tag, byte[] value)
    {
        var cell = new byte[value.Length + 1];
        cell[0] = tag;
        Buffer.BlockCopy(value, 0, cell, 1, value.Length);
        return cell;
    }

    // Little-endian whatever the machine: checksums must not depend on where they were computed.
    private static byte[] Int64Bytes(long value)
    {
        var bytes = new byte[8];
        for (var i = 0; i < 8; i++) bytes[i] = (byte)(value >> (8 * i));
        return bytes;
    }

    private static byte[] Int32Bytes(int value) => new[] { (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24) };

    private static string Hex(byte[] bytes)
    {
        var text = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            text[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
            text[2 * i + 1] = "0123456789abcdef"[bytes[i] & 0xF];
        }
        return new string(text);
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _command?.Dispose();
        _checksum.Dispose();
    }
}
