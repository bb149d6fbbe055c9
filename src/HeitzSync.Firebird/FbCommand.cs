using System.Runtime.InteropServices;
using System.Text;
using HeitzSync.Firebird.Native;

namespace HeitzSync.Firebird;

/// <summary>A prepared statement, executed as often as needed with new parameter values.</summary>
public sealed class FbCommand : IDisposable
{
    private const int IscInfoSqlStmtType = 21, IscInfoSqlRecords = 23, StmtSelect = 1, StmtSelectForUpdate = 12, StmtExecProcedure = 8;
    private static readonly DateTime BaseDate = new(1858, 11, 17);

    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private Sqlda _input;
    private Sqlda _output;
    private uint _handle;
    private bool _cursorOpen;
    private readonly int _statementType;

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
            _output.AllocateForDescribed();

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
            _statementType = ReadStatementType();
            Parameters = Describe(_input);
            Columns = Describe(_output);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string CommandText { get; }
    public IReadOnlyList<FbColumn> Parameters { get; }
    public IReadOnlyList<FbColumn> Columns { get; }

    internal FbConnection Connection => _connection;
    internal FbTransaction Transaction => _transaction;
    internal Sqlda Output => _output;
    internal bool IsSelect => _statementType is StmtSelect or StmtSelectForUpdate;

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

    public object? ExecuteScalar(params object?[] values)
    {
        using var reader = ExecuteReader(values);
        return reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null;
    }

    public FbDataReader ExecuteReader(params object?[] values)
    {
        if (IsSelect)
        {
            Execute(values, withOutput: false);
            _cursorOpen = true;
            return new FbDataReader(this, singleton: false);
        }
        Execute(values, withOutput: _output.Count > 0);
        return new FbDataReader(this, singleton: _output.Count > 0);
    }

    internal bool Fetch()
    {
        var status = Status.New();
        var result = (long)_connection.Api.isc_dsql_fetch(status, ref _handle, Sqlda.Version1, _output.Pointer);
        if (result == 100) return false;
        Status.Check(status, CommandText);
        return true;
    }

    internal void CloseCursor()
    {
        if (!_cursorOpen || _handle == 0) return;
        _cursorOpen = false;
        var status = Status.New();
        _connection.Api.isc_dsql_free_statement(status, ref _handle, 1 /* DSQL_close */);
    }

    private void Execute(object?[] values, bool withOutput)
    {
        if (_handle == 0) throw new ObjectDisposedException(nameof(FbCommand));
        if (!_transaction.IsActive) throw new InvalidOperationException("The command's transaction has ended.");
        CloseCursor();
        values ??= new object?[] { null };
        if (values.Length != _input.Count)
        {
            throw new ArgumentException($"The statement takes {_input.Count} parameter(s) but {values.Length} value(s) were given.{Environment.NewLine}Statement: {CommandText}");
        }
        _input.ReleaseBuffers();
        for (var i = 0; i < values.Length; i++)
        {
            Bind(i, values[i]);
        }
        var status = Status.New();
        _connection.Api.isc_dsql_execute2(status, ref _transaction.Handle, ref _handle, Sqlda.Version1,
            _input.Count > 0 ? _input.Pointer : IntPtr.Zero, withOutput ? _output.Pointer : IntPtr.Zero);
        Status.Check(status, CommandText);
    }

    private void Bind(int i, object? value)
    {
        var type = _input.Type(i);
        var subType = _input.SubType(i);
        var scale = _input.Scale(i);
        if (value is null || value is DBNull)
        {
            var length = _input.Length(i);
            _input.SetType(i, type, scale, subType, length);
            _input.Allocate(i, type == Sqlda.SqlVarying ? length + 2 : Math.Max((int)length, 8));
            _input.SetNull(i, true);
            return;
        }
        switch (value)
        {
            case short s: SetFixed(i, Sqlda.SqlShort, 0, 0, BitConverter.GetBytes(s)); break;
            case int n: SetFixed(i, Sqlda.SqlLong, 0, 0, BitConverter.GetBytes(n)); break;
            case long l: SetFixed(i, Sqlda.SqlInt64, 0, 0, BitConverter.GetBytes(l)); break;
            case decimal d: BindDecimal(i, d, type, scale); break;
            case double f: SetFixed(i, Sqlda.SqlDouble, 0, 0, BitConverter.GetBytes(f)); break;
            case float f: SetFixed(i, Sqlda.SqlFloat, 0, 0, BitConverter.GetBytes(f)); break;
            case bool b: SetFixed(i, Sqlda.SqlBoolean, 0, 0, new[] { (byte)(b ? 1 : 0) }); break;
            case DateTime dt when type == Sqlda.SqlDate: SetFixed(i, Sqlda.SqlDate, 0, 0, BitConverter.GetBytes(EncodeDate(dt))); break;
            case DateTime dt when type == Sqlda.SqlTime: SetFixed(i, Sqlda.SqlTime, 0, 0, BitConverter.GetBytes(EncodeTime(dt.TimeOfDay))); break;
            case DateTime dt:
                var stamp = new byte[8];
                BitConverter.GetBytes(EncodeDate(dt)).CopyTo(stamp, 0);
                BitConverter.GetBytes(EncodeTime(dt.TimeOfDay)).CopyTo(stamp, 4);
                SetFixed(i, Sqlda.SqlTimestamp, 0, 0, stamp);
                break;
            case TimeSpan ts: SetFixed(i, Sqlda.SqlTime, 0, 0, BitConverter.GetBytes(EncodeTime(ts))); break;
            case string text when type == Sqlda.SqlBlob:
                BindBlob(i, subType, scale, new MemoryStream(_connection.Encode(text, scale)));
                break;
            case string text:
                var charset = _connection.CharsetId == Charsets.None ? (type is Sqlda.SqlText or Sqlda.SqlVarying ? subType & 0xFF : Charsets.Utf8) : _connection.CharsetId;
                SetText(i, Charsets.EncodingOf(charset).GetBytes(text), (short)charset);
                break;
            case FbRawText raw when type == Sqlda.SqlBlob: BindBlob(i, subType, scale, new MemoryStream(raw.Bytes)); break;
            case FbRawText raw: SetText(i, raw.Bytes, Charsets.None); break;
            case byte[] bytes when type == Sqlda.SqlBlob: BindBlob(i, subType, scale, new MemoryStream(bytes)); break;
            case byte[] bytes: SetText(i, bytes, Charsets.None); break;
            case Stream stream when type == Sqlda.SqlBlob: BindBlob(i, subType, scale, stream); break;
            default:
                throw new ArgumentException($"Parameter {i + 1} has a value of type {value.GetType().Name}, which cannot be sent to a {Describe(_input)[i].Type} parameter.{Environment.NewLine}Statement: {CommandText}");
        }
    }

    private void SetFixed(int i, short type, short scale, short subType, byte[] bytes)
    {
        _input.SetType(i, type, scale, subType, (short)bytes.Length);
        var data = _input.Allocate(i, bytes.Length);
        Marshal.Copy(bytes, 0, data, bytes.Length);
    }

    private void SetText(int i, byte[] bytes, short charset)
    {
        if (bytes.Length > short.MaxValue) throw new ArgumentException($"Parameter {i + 1} is {bytes.Length} bytes long; CHAR/VARCHAR values are limited to 32767 bytes.");
        _input.SetType(i, Sqlda.SqlText, 0, charset, (short)bytes.Length);
        var data = _input.Allocate(i, bytes.Length);
        Marshal.Copy(bytes, 0, data, bytes.Length);
    }

    private void BindDecimal(int i, decimal value, short describedType, short describedScale)
    {
        // Exact: an INT64 scaled by the parameter's scale when it is a NUMERIC/DECIMAL, else by the value's own.
        var targetScale = describedType is Sqlda.SqlShort or Sqlda.SqlLong or Sqlda.SqlInt64 && describedScale < 0
            ? -describedScale
            : (decimal.GetBits(value)[3] >> 16) & 0xFF;
        var scaled = value * Pow10(targetScale);
        if (scaled != decimal.Truncate(scaled))
        {
            throw new ArgumentException($"Parameter {i + 1} ({value}) has more decimals than the column's scale {targetScale}.");
        }
        if (scaled > long.MaxValue || scaled < long.MinValue)
        {
            throw new ArgumentException($"Parameter {i + 1} ({value}) does not fit a NUMERIC(18,{targetScale}).");
        }
        SetFixed(i, Sqlda.SqlInt64, (short)-targetScale, 0, BitConverter.GetBytes((long)scaled));
    }

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
            var buffer = new byte[32 * 1024];
            int read;
            while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
            {
                var segment = buffer;
                if (read < buffer.Length)
                {
                    segment = new byte[read];
                    Array.Copy(buffer, segment, read);
                }
                api.isc_put_segment(status, ref blob, (ushort)read, segment);
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
        SetFixed(i, Sqlda.SqlBlob, charset, subType, BitConverter.GetBytes(blobId));
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
        while (position < buffer.Length && buffer[position] != 1 /* isc_info_end */)
        {
            var item = buffer[position];
            var length = BitConverter.ToInt16(buffer, position + 1);
            var count = BitConverter.ToInt32(buffer, position + 3);
            if (item is 14 or 15 or 16) total += count;   // isc_info_req_insert/update/delete_count (13 is select)
            position += 3 + length;
        }
        return total;
    }

    private static IReadOnlyList<FbColumn> Describe(Sqlda sqlda)
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
                Sqlda.SqlDouble or Sqlda.SqlDFloat => FbDbType.Double,
                Sqlda.SqlText => FbDbType.Char,
                Sqlda.SqlVarying => FbDbType.VarChar,
                Sqlda.SqlDate => FbDbType.Date,
                Sqlda.SqlTime => FbDbType.Time,
                Sqlda.SqlTimestamp => FbDbType.Timestamp,
                Sqlda.SqlBoolean => FbDbType.Boolean,
                Sqlda.SqlBlob => subType == 1 ? FbDbType.TextBlob : FbDbType.Blob,
                _ => FbDbType.VarChar,
            };
            var charset = type is Sqlda.SqlText or Sqlda.SqlVarying ? subType & 0xFF : type == Sqlda.SqlBlob ? scale : 0;
            columns[i] = new FbColumn(sqlda.Name(i), sqlda.Relation(i) is { Length: > 0 } r ? r : null, dbType, sqlda.Length(i),
                type == Sqlda.SqlBlob ? 0 : scale, subType, charset, sqlda.Nullable(i));
        }
        return columns;
    }

    internal static int EncodeDate(DateTime value) => (int)(value.Date - BaseDate).TotalDays;

    internal static uint EncodeTime(TimeSpan value) => (uint)(value.Ticks % TimeSpan.TicksPerDay / 1000);

    internal static DateTime DecodeDate(int days) => BaseDate.AddDays(days);

    internal static TimeSpan DecodeTime(uint fractions) => new(fractions * 1000L);

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
            CloseCursor();
            var status = Status.New();
            _connection.Api.isc_dsql_free_statement(status, ref _handle, 2 /* DSQL_drop */);
            _handle = 0;
        }
        _input?.Dispose();
        _output?.Dispose();
    }
}
