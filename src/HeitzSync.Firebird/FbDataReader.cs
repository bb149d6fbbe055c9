using System.Runtime.InteropServices;
using HeitzSync.Firebird.Native;

namespace HeitzSync.Firebird;

/// <summary>Rows of an executed statement, read forward only.</summary>
public sealed class FbDataReader : IDisposable
{
    private readonly FbCommand _command;
    private readonly Sqlda _row;
    private readonly bool _singleton;
    private readonly long _execution;
    private bool _singletonRead;
    private bool _hasRow;
    private bool _closed;
    private FbBlobReadStream? _openBlob;

    internal FbDataReader(FbCommand command, bool singleton)
    {
        _command = command;
        _row = command.Output;
        _singleton = singleton;
        _execution = command.Execution;
    }

    public int FieldCount => _command.Columns.Count;

    public FbColumn GetColumn(int i) => _command.Columns[i];

    public string GetName(int i) => _command.Columns[i].Name;

    /// <summary>The position of a column: exact name first, then ignoring case.</summary>
    public int GetOrdinal(string name)
    {
        for (var i = 0; i < FieldCount; i++)
        {
            if (string.Equals(GetName(i), name, StringComparison.Ordinal)) return i;
        }
        for (var i = 0; i < FieldCount; i++)
        {
            if (string.Equals(GetName(i), name, StringComparison.OrdinalIgnoreCase)) return i;
        }
        throw new IndexOutOfRangeException($"No column {name} in the result.");
    }

    public bool Read()
    {
        _openBlob?.Dispose();
        _openBlob = null;
        if (_closed) return false;
        EnsureCurrent();
        if (_singleton)
        {
            _hasRow = !_singletonRead;
            _singletonRead = true;
            return _hasRow;
        }
        _hasRow = _command.Fetch();
        if (!_hasRow) Close();
        return _hasRow;
    }

    public bool IsDBNull(int i)
    {
        EnsureRow();
        if ((uint)i >= (uint)FieldCount) throw new IndexOutOfRangeException($"Column {i} does not exist: the result has {FieldCount}.");
        return _row.IsNull(i);
    }

    public object? GetValue(int i)
    {
        if (IsDBNull(i)) return null;
        var column = GetColumn(i);
        return column.Type switch
        {
            FbDbType.SmallInt => GetInt16(i),
            FbDbType.Integer => GetInt32(i),
            FbDbType.BigInt => GetInt64(i),
            FbDbType.Numeric => GetDecimal(i),
            FbDbType.Float => (float)GetDouble(i),
            FbDbType.Double => GetDouble(i),
            FbDbType.Char or FbDbType.VarChar => GetString(i),
            FbDbType.Date or FbDbType.Timestamp => GetDateTime(i),
            FbDbType.Time => GetTimeSpan(i),
            FbDbType.Boolean => GetBoolean(i),
            FbDbType.TextBlob => GetString(i),
            FbDbType.Blob => GetBytes(i),
            _ => throw new NotSupportedException(column.Type.ToString()),
        };
    }

    public short GetInt16(int i) => checked((short)GetInt64(i));
    public int GetInt32(int i) => checked((int)GetInt64(i));

    public long GetInt64(int i)
    {
        var data = NotNull(i);
        var scale = _row.Scale(i);
        long raw = _row.Type(i) switch
        {
            Sqlda.SqlShort => Marshal.ReadInt16(data),
            Sqlda.SqlLong => Marshal.ReadInt32(data),
            Sqlda.SqlInt64 => Marshal.ReadInt64(data),
            Sqlda.SqlFloat or Sqlda.SqlDouble or Sqlda.SqlDFloat => (long)GetDouble(i),
            _ => throw Mismatch(i, "an integer"),
        };
        if (scale < 0 && _row.Type(i) is Sqlda.SqlShort or Sqlda.SqlLong or Sqlda.SqlInt64) return (long)(raw / FbCommand.Pow10(-scale));
        return raw;
    }

    public decimal GetDecimal(int i)
    {
        var data = NotNull(i);
        var scale = (byte)Math.Max(0, -(int)_row.Scale(i));
        switch (_row.Type(i))
        {
            case Sqlda.SqlShort: return Scaled(Marshal.ReadInt16(data), scale);
            case Sqlda.SqlLong: return Scaled(Marshal.ReadInt32(data), scale);
            case Sqlda.SqlInt64: return Scaled(Marshal.ReadInt64(data), scale);
            // A dialect 1 NUMERIC is a DOUBLE with a scale: its exact value is the double rounded to that scale.
            case Sqlda.SqlDouble or Sqlda.SqlDFloat when scale > 0:
            {
                var units = Math.Round((decimal)GetDouble(i) * FbCommand.Pow10(scale), MidpointRounding.AwayFromZero);
                return units >= long.MinValue && units <= long.MaxValue ? Scaled((long)units, scale) : units / FbCommand.Pow10(scale);
            }
            case Sqlda.SqlFloat or Sqlda.SqlDouble or Sqlda.SqlDFloat: return (decimal)GetDouble(i);
            default: throw Mismatch(i, "a number");
        }
    }

    private static decimal Scaled(long raw, byte scale)
    {
        var negative = raw < 0;
        var magnitude = negative ? (ulong)(-(raw + 1)) + 1 : (ulong)raw;
        return new decimal((int)(magnitude & 0xFFFFFFFF), (int)(magnitude >> 32), 0, negative, scale);
    }

    public double GetDouble(int i)
    {
        var data = NotNull(i);
        return _row.Type(i) switch
        {
            Sqlda.SqlFloat => BitConverter.ToSingle(BitConverter.GetBytes(Marshal.ReadInt32(data)), 0),
            Sqlda.SqlDouble or Sqlda.SqlDFloat => BitConverter.Int64BitsToDouble(Marshal.ReadInt64(data)),
            Sqlda.SqlShort or Sqlda.SqlLong or Sqlda.SqlInt64 => (double)GetDecimal(i),
            _ => throw Mismatch(i, "a floating-point number"),
        };
    }

    public string GetString(int i)
    {
        var column = GetColumn(i);
        if (column.Type is FbDbType.TextBlob or FbDbType.Blob)
        {
            var bytes = GetBytes(i);
            return Charsets.Decode(bytes, 0, bytes.Length, column.CharsetId);
        }
        if (column.Type is FbDbType.Char or FbDbType.VarChar)
        {
            var bytes = GetBytes(i);
            var text = Charsets.Decode(bytes, 0, bytes.Length, column.CharsetId);
            // A CHAR(n) in a multi-byte charset arrives space-padded to n * bytes-per-character: keep its n characters.
            var perCharacter = Charsets.MaxBytesPerCharacter(column.CharsetId);
            return column.Type == FbDbType.Char && perCharacter > 1 ? KeepCharacters(text, column.Size / perCharacter) : text;
        }
        return Convert.ToString(GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>The first <paramref name="count"/> characters (code points: a surrogate pair is one) of a padded CHAR.</summary>
    private static string KeepCharacters(string text, int count)
    {
        var position = 0;
        for (var kept = 0; kept < count && position < text.Length; kept++)
        {
            position += char.IsHighSurrogate(text[position]) && position + 1 < text.Length && char.IsLowSurrogate(text[position + 1]) ? 2 : 1;
        }
        // Only padding is ever cut: anything beyond n characters is the spaces Firebird added.
        return position < text.Length && text.Substring(position).Trim(' ').Length == 0 ? text.Substring(0, position) : text;
    }

    /// <summary>The exact bytes of a CHAR/VARCHAR value (padding included) or the whole content of a blob.</summary>
    public byte[] GetBytes(int i)
    {
        var data = NotNull(i);
        switch (_row.Type(i))
        {
            case Sqlda.SqlText:
            {
                var bytes = new byte[_row.Length(i)];
                Marshal.Copy(data, bytes, 0, bytes.Length);
                return bytes;
            }
            case Sqlda.SqlVarying:
            {
                var length = Marshal.ReadInt16(data);
                var bytes = new byte[length];
                Marshal.Copy(data + 2, bytes, 0, length);
                return bytes;
            }
            case Sqlda.SqlBlob:
            {
                using var blob = OpenBlob(i);
                using var memory = new MemoryStream();
                blob.CopyTo(memory);
                return memory.ToArray();
            }
            default: throw Mismatch(i, "text or a blob");
        }
    }

    public DateTime GetDateTime(int i)
    {
        var data = NotNull(i);
        return _row.Type(i) switch
        {
            Sqlda.SqlDate => FbDateTime.DecodeDate(Marshal.ReadInt32(data)),
            Sqlda.SqlTimestamp => FbDateTime.DecodeDate(Marshal.ReadInt32(data)) + FbDateTime.DecodeTime((uint)Marshal.ReadInt32(data, 4)),
            _ => throw Mismatch(i, "a date or timestamp"),
        };
    }

    public TimeSpan GetTimeSpan(int i)
    {
        var data = NotNull(i);
        return _row.Type(i) == Sqlda.SqlTime ? FbDateTime.DecodeTime((uint)Marshal.ReadInt32(data)) : throw Mismatch(i, "a time");
    }

    public bool GetBoolean(int i)
    {
        var data = NotNull(i);
        return _row.Type(i) == Sqlda.SqlBoolean ? Marshal.ReadByte(data) != 0 : throw Mismatch(i, "a boolean");
    }

    /// <summary>Streams a blob segment by segment; valid until the next <see cref="Read"/>.</summary>
    public Stream OpenBlob(int i)
    {
        var data = NotNull(i);
        if (_row.Type(i) != Sqlda.SqlBlob) throw Mismatch(i, "a blob");
        _openBlob?.Dispose();
        _openBlob = new FbBlobReadStream(_command.Connection, _command.Transaction, Marshal.ReadInt64(data));
        return _openBlob;
    }

    private IntPtr NotNull(int i)
    {
        if (IsDBNull(i)) throw new InvalidCastException($"Column {GetName(i)} is NULL.");
        return _row.Data(i);
    }

    private void EnsureRow()
    {
        EnsureCurrent();
        if (!_hasRow) throw new InvalidOperationException("There is no current row: call Read() first.");
    }

    /// <summary>The row buffer belongs to the command: it is gone once the command is disposed or executed again.</summary>
    private void EnsureCurrent()
    {
        if (_command.IsDisposed) throw new ObjectDisposedException(nameof(FbDataReader), "The reader's command is disposed (or its connection closed).");
        if (_command.Execution != _execution) throw new InvalidOperationException("The reader's command was executed again: this reader is over.");
    }

    private InvalidCastException Mismatch(int i, string wanted) =>
        new($"Column {GetName(i)} is {GetColumn(i).Type}, not {wanted}.");

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _hasRow = false;
        _command.CloseCursor(_execution);
    }

    internal void CloseBlob()
    {
        _openBlob?.Dispose();
        _openBlob = null;
    }

    public void Dispose()
    {
        CloseBlob();
        Close();
    }
}

/// <summary>A blob read segment by segment (at most one segment buffered); closed with its transaction at the latest.</summary>
internal sealed class FbBlobReadStream : Stream
{
    private const int SegmentEnd = 335544367, PartialSegment = 335544366;
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private readonly byte[] _segment = new byte[32 * 1024];
    private uint _handle;
    private int _segmentLength;
    private int _segmentPosition;
    private bool _eof;
    private bool _disposed;
    private long _position;

    public FbBlobReadStream(FbConnection connection, FbTransaction transaction, long blobId)
    {
        _connection = connection;
        _transaction = transaction;
        if (!transaction.IsActive) throw new InvalidOperationException("The blob's transaction has ended.");
        var status = Status.New();
        connection.Api.isc_open_blob2(status, ref connection.Handle, ref transaction.Handle, ref _handle, ref blobId, 0, null);
        Status.Check(status, context: "Cannot open a blob");
        transaction.Track(this);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (buffer is null) throw new ArgumentNullException(nameof(buffer));
        if (offset < 0 || count < 0 || offset + count > buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        if (_disposed) throw new ObjectDisposedException(nameof(FbBlobReadStream), "The blob is closed (next row read, reader or transaction ended).");
        if (count == 0) return 0;
        while (_segmentPosition >= _segmentLength)
        {
            if (_eof) return 0;
            var status = Status.New();
            var result = (long)_connection.Api.isc_get_segment(status, ref _handle, out var actual, (ushort)_segment.Length, _segment);
            if (result == SegmentEnd)
            {
                _eof = true;
                return 0;
            }
            if (result != 0 && result != PartialSegment) Status.Check(status, context: "Cannot read a blob");
            _segmentLength = actual;
            _segmentPosition = 0;
        }
        var n = Math.Min(count, _segmentLength - _segmentPosition);
        Buffer.BlockCopy(_segment, _segmentPosition, buffer, offset, n);
        _segmentPosition += n;
        _position += n;
        return n;
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_handle != 0 && _connection.IsOpen && _transaction.IsActive)
            {
                var status = Status.New();
                _connection.Api.isc_close_blob(status, ref _handle);
            }
            _handle = 0;
            _transaction.Forget(this);
        }
        base.Dispose(disposing);
    }
}
