using System.Runtime.InteropServices;
using System.Text;
using HeitzSync.Firebird.Native;

namespace HeitzSync.Firebird;

/// <summary>A prepared statement, executed as often as needed with new parameter values, in the transaction it was prepared in
/// (or the one <see cref="MoveTo"/> gave it since).</summary>
public sealed class FbCommand : IDisposable
{
    private const int IscInfoSqlStmtType = 21, IscInfoSqlRecords = 23;
    private const int StmtSelect = 1, StmtSelectForUpdate = 12;
    private const int BlobSegmentSize = 32 * 1024;

    private readonly FbConnection _connection;
    private FbTransaction _transaction;
    private readonly Sqlda _input = null!;
    private readonly Sqlda _output = null!;
    private readonly int _statementType;
    private uint _handle;
    private bool _cursorOpen;
    private long _execution;
    private FbDataReader? _reader;   // the latest reader: its open blob goes when the command runs again or is disposed

    internal FbCommand(FbConnection connection, FbTransaction transaction, string sql)
    {
        _connection = connection;
        _transaction = transaction;
        CommandText = sql;
        var api = connection.Api;
        var status = Status.New();
        api.isc_dsql_allocate_statement(status, ref connection.Handle, ref _handle);
        Status.Check(status, sql);
        try
        {
            var text = Encoding.UTF8.GetBytes(sql);
            if (text.Length > ushort.MaxValue) throw new ArgumentException($"The statement is {text.Length} bytes long; Firebird 3 takes at most 65535.", nameof(sql));
            _output = new Sqlda(16);
            api.isc_dsql_prepare(status, ref transaction.Handle, ref _handle, (ushort)text.Length, text, FbConnection.SqlDialect, _output.Pointer);
            Status.Check(status, sql);
            if (_output.Count > _output.Capacity)
            {
                var count = _output.Count;
                _output.Dispose();
                _output = new Sqlda(count);
                api.isc_dsql_describe(status, ref _handle, Sqlda.Version1, _output.Pointer);
                Status.Check(status, sql);
            }
            _input = new Sqlda(16);
            api.isc_dsql_describe_bind(status, ref _handle, Sqlda.Version1, _input.Pointer);
            Status.Check(status, sql);
            if (_input.Count > _input.Capacity)
            {
                var count = _input.Count;
                _input.Dispose();
                _input = new Sqlda(count);
                api.isc_dsql_describe_bind(status, ref _handle, Sqlda.Version1, _input.Pointer);
                Status.Check(status, sql);
            }
            _input.KeepDescription();
            _statementType = ReadStatementType();
            Columns = Describe(_output, "column", sql);
            Parameters = Describe(_input, "parameter", sql);
            _output.AllocateForDescribed();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string CommandText { get; }
    public IReadOnlyList<FbColumn> Parameters { get; } = Array.Empty<FbColumn>();
    public IReadOnlyList<FbColumn> Columns { get; } = Array.Empty<FbColumn>();

    internal FbConnection Connection => _connection;
    internal FbTransaction Transaction => _transaction;
    internal Sqlda Output => _output;
    internal bool IsDisposed => _handle == 0;

    /// <summary>Counts executions: a reader belongs to one, and is over when the command runs again.</summary>
    internal long Execution => _execution;

    internal bool IsSelect => _statementType is StmtSelect or StmtSelectForUpdate;

    /// <summary>Rows inserted, updated or deleted (a SELECT is read through and its rows counted).</summary>
    public int ExecuteNonQuery(params object?[] values)
    {
        if (IsSelect)
        {
            using var reader = ExecuteReader(values);
            var rows = 0;
            while (reader.Read()) rows++;
            return rows;
        }
        Execute(values, withOutput: _output.Count > 0);
        return RecordsAffected();
    }

    /// <summary>The first column of the first row, or null when there is no row.</summary>
    public object? ExecuteScalar(params object?[] values)
    {
        using var reader = ExecuteReader(values);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    /// <summary>Rows of a SELECT, or the one row of INSERT ... RETURNING / EXECUTE PROCEDURE.</summary>
    public FbDataReader ExecuteReader(params object?[] values)
    {
        if (IsSelect)
        {
            Execute(values, withOutput: false);
            _cursorOpen = true;
            return _reader = new FbDataReader(this, singleton: false);
        }
        Execute(values, withOutput: _output.Count > 0);
        return _reader = new FbDataReader(this, singleton: _output.Count > 0);
    }

    internal bool Fetch()
    {
        EnsureUsable();
        var status = Status.New();
        var result = (long)_connection.Api.isc_dsql_fetch(status, ref _handle, Sqlda.Version1, _output.Pointer);
        if (result == 100) return false;
        Status.Check(status, CommandText);
        return true;
    }

    internal void CloseCursor(long execution)
    {
        if (execution == _execution) CloseCursor();
    }

    /// <summary>Executes in <paramref name="transaction"/> from now on: a statement belongs to its connection, and Firebird runs
    /// it in whichever transaction an execution names, so a statement prepared once serves later transactions too (its
    /// open cursor and blob, if any, are closed).</summary>
    public void MoveTo(FbTransaction transaction)
    {
        if (transaction is null) throw new ArgumentNullException(nameof(transaction));
        if (!ReferenceEquals(transaction.Connection, _connection)) throw new ArgumentException("The transaction belongs to another connection.", nameof(transaction));
        if (!transaction.IsActive) throw new InvalidOperationException("The transaction is no longer active.");
        if (_handle == 0) throw new ObjectDisposedException(nameof(FbCommand), $"The command is disposed (or its connection closed).{Environment.NewLine}Statement: {CommandText}");
        _reader?.CloseBlob();
        _reader = null;
        CloseCursor();
        _transaction = transaction;
    }

    private void CloseCursor()
    {
        if (!_cursorOpen || _handle == 0) return;
        _cursorOpen = false;
        var status = Status.New();
        // Fails harmlessly when the transaction already closed the cursor (commit/rollback).
        _connection.Api.isc_dsql_free_statement(status, ref _handle, 1 /* DSQL_close */);
    }

    private void EnsureUsable()
    {
        if (_handle == 0) throw new ObjectDisposedException(nameof(FbCommand), $"The command is disposed (or its connection closed).{Environment.NewLine}Statement: {CommandText}");
        if (!_transaction.IsActive) throw new InvalidOperationException($"The command's transaction has ended: prepare it again in a new transaction.{Environment.NewLine}Statement: {CommandText}");
    }

    private void Execute(object?[]? values, bool withOutput)
    {
        EnsureUsable();
        _reader?.CloseBlob();
        _reader = null;
        CloseCursor();
        _execution++;
        values ??= new object?[] { null };   // Execute(null) means one NULL parameter
        if (values.Length != _input.Count)
        {
            throw new ArgumentException($"The statement takes {_input.Count} parameter(s) but {values.Length} value(s) were given.{Environment.NewLine}Statement: {CommandText}");
        }
        for (var i = 0; i < values.Length; i++)
        {
            Bind(i, values[i]);
        }
        var status = Status.New();
        _connection.StatementsExecuted++;
        _connection.Api.isc_dsql_execute2(status, ref _transaction.Handle, ref _handle, Sqlda.Version1,
            _input.Count > 0 ? _input.Pointer : IntPtr.Zero, withOutput ? _output.Pointer : IntPtr.Zero);
        Status.Check(status, CommandText);
    }

    /// <summary>Writes value <paramref name="i"/> into the input SQLDA, as the closest exact type; Firebird converts to the described type.</summary>
    private void Bind(int i, object? value)
    {
        var type = _input.DescribedType(i);
        var subType = _input.DescribedSubType(i);
        var scale = _input.DescribedScale(i);
        var length = _input.DescribedLength(i);
        if (value is null || value is DBNull)
        {
            _input.SetType(i, type, scale, subType, length);
            _input.Allocate(i, type == Sqlda.SqlVarying ? length + 2 : length);
            _input.SetNull(i, true);
            return;
        }
        if (type == Sqlda.SqlNull)
        {
            // "? IS NULL": only the indicator matters; any value is "not null".
            _input.SetType(i, type, scale, subType, length);
            _input.Allocate(i, length);
            return;
        }
        switch (value)
        {
            case short s: SetFixed(i, Sqlda.SqlShort, 0, 0, BitConverter.GetBytes(s)); break;
            case int n: SetFixed(i, Sqlda.SqlLong, 0, 0, BitConverter.GetBytes(n)); break;
            case long l: SetFixed(i, Sqlda.SqlInt64, 0, 0, BitConverter.GetBytes(l)); break;
            case byte b8: SetFixed(i, Sqlda.SqlShort, 0, 0, BitConverter.GetBytes((short)b8)); break;
            case decimal d: BindDecimal(i, d, type, scale); break;
            case double f: SetFixed(i, Sqlda.SqlDouble, 0, 0, BitConverter.GetBytes(f)); break;
            case float f: SetFixed(i, Sqlda.SqlFloat, 0, 0, BitConverter.GetBytes(f)); break;
            case bool b: SetFixed(i, Sqlda.SqlBoolean, 0, 0, new[] { (byte)(b ? 1 : 0) }); break;
            case DateTime dt when type == Sqlda.SqlDate: SetFixed(i, Sqlda.SqlDate, 0, 0, BitConverter.GetBytes(FbDateTime.EncodeDate(dt))); break;
            case DateTime dt when type == Sqlda.SqlTime: SetFixed(i, Sqlda.SqlTime, 0, 0, BitConverter.GetBytes(FbDateTime.EncodeTime(dt.TimeOfDay))); break;
            case DateTime dt:
                var stamp = new byte[8];
                BitConverter.GetBytes(FbDateTime.EncodeDate(dt)).CopyTo(stamp, 0);
                BitConverter.GetBytes(FbDateTime.EncodeTime(dt.TimeOfDay)).CopyTo(stamp, 4);
                SetFixed(i, Sqlda.SqlTimestamp, 0, 0, stamp);
                break;
            case TimeSpan ts:
                if (ts < TimeSpan.Zero || ts >= TimeSpan.FromDays(1)) throw BadValue(i, "a TIME must lie between 00:00 and 23:59:59.9999");
                SetFixed(i, Sqlda.SqlTime, 0, 0, BitConverter.GetBytes(FbDateTime.EncodeTime(ts)));
                break;
            case string when type is Sqlda.SqlDate or Sqlda.SqlTime or Sqlda.SqlTimestamp:
                throw BadValue(i, "a string is not accepted for a DATE/TIME/TIMESTAMP parameter: pass a DateTime or TimeSpan");
            case string text when type == Sqlda.SqlBlob:
            {
                // Written in the attachment's charset (the column's with NONE), and declared so, for Firebird to transliterate.
                var charset = _connection.TextCharsetFor(scale);
                using var content = new MemoryStream(Charsets.EncodingOf(charset).GetBytes(text));
                BindBlob(i, subType, (short)charset, content);
                break;
            }
            case string text:
            {
                var charset = type is Sqlda.SqlText or Sqlda.SqlVarying ? _connection.TextCharsetFor(subType) : _connection.TextCharsetFor(Charsets.Utf8);
                SetText(i, Charsets.EncodingOf(charset).GetBytes(text), (short)charset);
                break;
            }
            case char c: Bind(i, c.ToString()); break;
            // Raw bytes are declared as charset NONE. On a NONE attachment Firebird stores them untouched in any column
            // charset; on another attachment it takes NONE/OCTETS input as text in the attachment's charset (measured on 3.0.11).
            case FbRawText raw when type == Sqlda.SqlBlob: BindBlob(i, subType, Charsets.None, new MemoryStream(raw.Bytes)); break;
            case FbRawText raw: SetText(i, raw.Bytes, Charsets.None); break;
            case byte[] bytes when type == Sqlda.SqlBlob: BindBlob(i, subType, Charsets.None, new MemoryStream(bytes)); break;
            case byte[] bytes: SetText(i, bytes, Charsets.None); break;
            case Stream stream when type == Sqlda.SqlBlob: BindBlob(i, subType, Charsets.None, stream); break;
            default:
                throw BadValue(i, $"a value of type {value.GetType().Name} cannot be sent to a {Parameters[i].Type} parameter");
        }
    }

    private ArgumentException BadValue(int i, string why) =>
        new($"Parameter {i + 1}: {why}.{Environment.NewLine}Statement: {CommandText}");

    private void SetFixed(int i, short type, short scale, short subType, byte[] bytes)
    {
        _input.SetType(i, type, scale, subType, (short)bytes.Length);
        var data = _input.Allocate(i, bytes.Length);
        Marshal.Copy(bytes, 0, data, bytes.Length);
    }

    private void SetText(int i, byte[] bytes, int charset)
    {
        if (bytes.Length > short.MaxValue) throw BadValue(i, $"{bytes.Length} bytes is more than a CHAR/VARCHAR value can hold (32767)");
        _input.SetType(i, Sqlda.SqlText, 0, (short)charset, (short)bytes.Length);
        var data = _input.Allocate(i, bytes.Length);
        Marshal.Copy(bytes, 0, data, bytes.Length);
    }

    private void BindDecimal(int i, decimal value, short describedType, short describedScale)
    {
        // Exact: an INT64 scaled to an integer/NUMERIC parameter's own scale (an error rather than a lost digit),
        // else (DOUBLE, text...) scaled by the value's own scale and converted by Firebird.
        var targetScale = describedType is Sqlda.SqlShort or Sqlda.SqlLong or Sqlda.SqlInt64
            ? Math.Max(0, -(int)describedScale)
            : (decimal.GetBits(value)[3] >> 16) & 0xFF;
        if (targetScale > 18) throw BadValue(i, $"a scale of {targetScale} is more than Firebird's 18");
        var scaled = value * Pow10(targetScale);
        if (scaled != decimal.Truncate(scaled))
        {
            throw BadValue(i, $"the value has more decimals than the parameter's scale ({targetScale}); round it first");
        }
        if (scaled > long.MaxValue || scaled < long.MinValue)
        {
            throw BadValue(i, $"the value does not fit a NUMERIC(18,{targetScale})");
        }
        SetFixed(i, Sqlda.SqlInt64, (short)-targetScale, 0, BitConverter.GetBytes((long)scaled));
    }

    /// <summary>Creates a blob from <paramref name="content"/>, segment by segment (never whole in memory), and binds its id.</summary>
    private void BindBlob(int i, short subType, short charset, Stream content)
    {
        var api = _connection.Api;
        var status = Status.New();
        uint blob = 0;
        long blobId = 0;
        api.isc_create_blob2(status, ref _connection.Handle, ref _transaction.Handle, ref blob, ref blobId, 0, null);
        Status.Check(status, CommandText, "Cannot create a blob");
        try
        {
            var buffer = new byte[BlobSegmentSize];
            int read;
            while ((read = ReadFull(content, buffer)) > 0)
            {
                api.isc_put_segment(status, ref blob, (ushort)read, buffer);
                Status.Check(status, CommandText, "Cannot write a blob");
            }
            api.isc_close_blob(status, ref blob);
            Status.Check(status, CommandText, "Cannot close a blob");
            blob = 0;
        }
        finally
        {
            if (blob != 0)
            {
                var cancel = Status.New();
                api.isc_cancel_blob(cancel, ref blob);
            }
        }
        // For a blob, sqlscale carries the charset of its content: NONE for raw bytes, which Firebird then leaves alone.
        SetFixed(i, Sqlda.SqlBlob, charset, subType, BitConverter.GetBytes(blobId));
    }

    /// <summary>Fills the buffer as far as the stream allows, so segments are full-sized even from network streams.</summary>
    private static int ReadFull(Stream stream, byte[] buffer)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0) total += read;
        return total;
    }

    private int ReadStatementType()
    {
        var buffer = new byte[16];
        var status = Status.New();
        _connection.Api.isc_dsql_sql_info(status, ref _handle, 1, new byte[] { IscInfoSqlStmtType }, (short)buffer.Length, buffer);
        Status.Check(status, CommandText);
        return buffer[0] == IscInfoSqlStmtType ? BitConverter.ToInt32(buffer, 3) : 0;
    }

    private int RecordsAffected()
    {
        var buffer = new byte[64];
        var status = Status.New();
        _connection.Api.isc_dsql_sql_info(status, ref _handle, 1, new byte[] { IscInfoSqlRecords }, (short)buffer.Length, buffer);
        Status.Check(status, CommandText);
        if (buffer[0] != IscInfoSqlRecords) return 0;
        var total = 0;
        var position = 3;
        while (position + 3 <= buffer.Length && buffer[position] != 1 /* isc_info_end */)
        {
            var item = buffer[position];
            var length = BitConverter.ToInt16(buffer, position + 1);
            if (position + 3 + length > buffer.Length) break;
            var count = length == 4 ? BitConverter.ToInt32(buffer, position + 3) : 0;
            if (item is 14 or 15 or 16) total += count;   // isc_info_req_insert/update/delete_count (13 is select)
            position += 3 + length;
        }
        return total;
    }

    private static IReadOnlyList<FbColumn> Describe(Sqlda sqlda, string what, string sql)
    {
        var columns = new FbColumn[sqlda.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var type = sqlda.Type(i);
            var scale = sqlda.Scale(i);
            var subType = sqlda.SubType(i);
            var dbType = type switch
            {
                Sqlda.SqlShort => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.SmallInt,
                Sqlda.SqlLong => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.Integer,
                Sqlda.SqlInt64 => scale < 0 || subType is 1 or 2 ? FbDbType.Numeric : FbDbType.BigInt,
                Sqlda.SqlFloat => FbDbType.Float,
                Sqlda.SqlDouble or Sqlda.SqlDFloat => scale < 0 ? FbDbType.Numeric : FbDbType.Double,   // dialect 1 NUMERIC
                Sqlda.SqlText => FbDbType.Char,
                Sqlda.SqlVarying => FbDbType.VarChar,
                Sqlda.SqlDate => FbDbType.Date,
                Sqlda.SqlTime => FbDbType.Time,
                Sqlda.SqlTimestamp => FbDbType.Timestamp,
                Sqlda.SqlBoolean => FbDbType.Boolean,
                Sqlda.SqlBlob => subType == 1 ? FbDbType.TextBlob : FbDbType.Blob,
                Sqlda.SqlNull => FbDbType.VarChar,   // "? IS NULL" and untyped NULL: never carries a value
                _ => throw Unsupported(sqlda, i, type, what, sql),
            };
            var charset = type is Sqlda.SqlText or Sqlda.SqlVarying ? subType & 0xFF : type == Sqlda.SqlBlob ? scale : 0;
            columns[i] = new FbColumn(sqlda.Name(i), sqlda.Relation(i) is { Length: > 0 } r ? r : null, dbType, sqlda.Length(i),
                type == Sqlda.SqlBlob ? 0 : scale, subType, charset, sqlda.Nullable(i));
        }
        return columns;
    }

    private static FbException Unsupported(Sqlda sqlda, int i, short type, string what, string sql)
    {
        var name = type switch
        {
            Sqlda.SqlInt128 => "INT128",
            Sqlda.SqlDec16 or Sqlda.SqlDec34 => "DECFLOAT",
            Sqlda.SqlTimeTz or Sqlda.SqlTimeTzEx => "TIME WITH TIME ZONE",
            Sqlda.SqlTimestampTz or Sqlda.SqlTimestampTzEx => "TIMESTAMP WITH TIME ZONE",
            Sqlda.SqlArray => "ARRAY",
            _ => "type " + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var label = sqlda.Name(i) is { Length: > 0 } n ? n : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new FbException($"The {what} {label} is of Firebird type {name}, which HeitzSync's Firebird binding does not support " +
            $"(Firebird 3 types only; cast it in the statement).{Environment.NewLine}Statement: {sql}");
    }

    internal static decimal Pow10(int power)
    {
        decimal result = 1;
        for (var i = 0; i < power; i++) result *= 10;
        return result;
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            _reader?.CloseBlob();
            _reader = null;
            CloseCursor();
            _execution++;
            if (_connection.IsOpen)
            {
                var status = Status.New();
                _connection.Api.isc_dsql_free_statement(status, ref _handle, 2 /* DSQL_drop */);
            }
            _handle = 0;
            _connection.Forget(this);
        }
        _input?.Dispose();
        _output?.Dispose();
    }
}

/// <summary>ISC_DATE (days since 17 November 1858) and ISC_TIME (1/10000 s since midnight).</summary>
internal static class FbDateTime
{
    private static readonly DateTime BaseDate = new(1858, 11, 17);
    private const long TicksPerFraction = TimeSpan.TicksPerMillisecond / 10;

    public static int EncodeDate(DateTime value) => (int)((value.Date.Ticks - BaseDate.Ticks) / TimeSpan.TicksPerDay);

    /// <summary>Whole 1/10000 s (the 100 ns tick below that is dropped, as Firebird cannot store it).</summary>
    public static uint EncodeTime(TimeSpan value) => (uint)(value.Ticks % TimeSpan.TicksPerDay / TicksPerFraction);

    public static DateTime DecodeDate(int days) => new(BaseDate.Ticks + days * TimeSpan.TicksPerDay, DateTimeKind.Unspecified);

    public static TimeSpan DecodeTime(uint fractions) => new(fractions * TicksPerFraction);
}
