using System.Runtime.InteropServices;
using System.Text;
using HeitzSync.Firebird.Native;

namespace HeitzSync.Firebird;

/// <summary>An attachment to one Firebird database, embedded or through a server. Not thread-safe: one per thread.</summary>
public sealed class FbConnection : IDisposable
{
    private const ushort Dialect = 3;
    private uint _handle;
    private FbSchema? _schema;

    private FbConnection(FbConnectionSettings settings, uint handle)
    {
        Settings = settings;
        _handle = handle;
        CharsetId = Charsets.IdOf(settings.Charset);
    }

    public FbConnectionSettings Settings { get; }

    internal FbClientLibrary Api => FbClientLibrary.Instance;
    internal int CharsetId { get; }
    internal ref uint Handle => ref _handle;
    internal static ushort SqlDialect => Dialect;

    public string ServerVersion
    {
        get
        {
            using var tx = BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            return Convert.ToString(ExecuteScalar(tx, "SELECT RDB$GET_CONTEXT('SYSTEM', 'ENGINE_VERSION') FROM RDB$DATABASE"), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
    }

    public FbSchema Schema => _schema ??= new FbSchema(this);

    public static FbConnection Open(FbConnectionSettings settings)
    {
        var api = FbClientLibrary.Instance;
        var name = Encoding.UTF8.GetBytes(settings.AttachString);
        var dpb = BuildDpb(settings, includePageSize: false);
        var status = Status.New();
        uint handle = 0;
        api.isc_attach_database(status, (short)name.Length, name, ref handle, (short)dpb.Length, dpb);
        Status.Check(status, context: $"Cannot attach {settings}");
        return new FbConnection(settings, handle);
    }

    /// <summary>Creates a new database (an error if the file exists) and attaches to it.</summary>
    public static FbConnection CreateDatabase(FbConnectionSettings settings, string defaultCharacterSet = "UTF8")
    {
        var api = FbClientLibrary.Instance;
        Charsets.IdOf(defaultCharacterSet);
        var sql = new StringBuilder("CREATE DATABASE '").Append(settings.AttachString.Replace("'", "''")).Append('\'')
            .Append(" USER '").Append(settings.User.Replace("'", "''")).Append('\'');
        if (settings.Password is not null) sql.Append(" PASSWORD '").Append(settings.Password.Replace("'", "''")).Append('\'');
        sql.Append(" PAGE_SIZE ").Append(settings.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(" DEFAULT CHARACTER SET ").Append(defaultCharacterSet);
        var bytes = Encoding.UTF8.GetBytes(sql.ToString());
        var status = Status.New();
        uint db = 0, tr = 0;
        api.isc_dsql_execute_immediate(status, ref db, ref tr, (ushort)bytes.Length, bytes, Dialect, IntPtr.Zero);
        // The statement holds the password: never put it in the error.
        Status.Check(status, context: $"Cannot create database {settings}");
        var detach = Status.New();
        api.isc_detach_database(detach, ref db);
        return Open(settings);
    }

    /// <summary>Drops the database and closes this connection.</summary>
    public void DropDatabase()
    {
        EnsureOpen();
        var status = Status.New();
        Api.isc_drop_database(status, ref _handle);
        Status.Check(status, context: $"Cannot drop {Settings}");
        _handle = 0;
    }

    public FbTransaction BeginTransaction(FbTransactionOptions? options = null)
    {
        EnsureOpen();
        return new FbTransaction(this, options ?? new FbTransactionOptions());
    }

    public FbCommand Prepare(FbTransaction transaction, string sql)
    {
        EnsureOpen();
        return new FbCommand(this, transaction, sql);
    }

    public int Execute(FbTransaction transaction, string sql, params object?[] parameters)
    {
        using var command = Prepare(transaction, sql);
        return command.ExecuteNonQuery(parameters);
    }

    public object? ExecuteScalar(FbTransaction transaction, string sql, params object?[] parameters)
    {
        using var command = Prepare(transaction, sql);
        return command.ExecuteScalar(parameters);
    }

    /// <summary>Starts a transaction, executes one statement and commits (DDL, one-off changes).</summary>
    public void ExecuteInNewTransaction(string sql, params object?[] parameters)
    {
        using var tx = BeginTransaction();
        Execute(tx, sql, parameters);
        tx.Commit();
    }

    private void EnsureOpen()
    {
        if (_handle == 0) throw new ObjectDisposedException(nameof(FbConnection), $"The connection to {Settings} is closed.");
    }

    internal byte[] Encode(string text, int describedCharset)
    {
        var charset = CharsetId == Charsets.None ? describedCharset & 0xFF : CharsetId;
        return Charsets.EncodingOf(charset).GetBytes(text);
    }

    private static byte[] BuildDpb(FbConnectionSettings settings, bool includePageSize)
    {
        var dpb = new List<byte> { 1 /* isc_dpb_version1 */ };
        void Add(byte tag, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            if (bytes.Length > 255) throw new FbException($"Connection parameter {tag} is longer than 255 bytes.");
            dpb.Add(tag);
            dpb.Add((byte)bytes.Length);
            dpb.AddRange(bytes);
        }
        Add(28 /* isc_dpb_user_name */, settings.User);
        if (settings.Password is not null) Add(29 /* isc_dpb_password */, settings.Password);
        if (settings.Role is not null) Add(60 /* isc_dpb_sql_role_name */, settings.Role);
        Add(48 /* isc_dpb_lc_ctype */, settings.Charset);
        dpb.Add(63 /* isc_dpb_sql_dialect */);
        dpb.Add(4);
        dpb.AddRange(BitConverter.GetBytes((int)Dialect));
        if (includePageSize)
        {
            dpb.Add(4 /* isc_dpb_page_size */);
            dpb.Add(4);
            dpb.AddRange(BitConverter.GetBytes(settings.PageSize));
        }
        return dpb.ToArray();
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        var status = Status.New();
        Api.isc_detach_database(status, ref _handle);
        _handle = 0;
    }
}

/// <summary>A transaction; disposing it without <see cref="Commit"/> rolls it back.</summary>
public sealed class FbTransaction : IDisposable
{
    private readonly FbConnection _connection;
    private uint _handle;

    internal FbTransaction(FbConnection connection, FbTransactionOptions options)
    {
        _connection = connection;
        var tpb = new List<byte> { 3 /* isc_tpb_version3 */, (byte)(options.ReadOnly ? 8 : 9) };
        switch (options.Isolation)
        {
            case FbIsolation.ReadCommitted: tpb.Add(15); tpb.Add(17); break;   // read_committed, rec_version
            case FbIsolation.Snapshot: tpb.Add(2); break;                      // concurrency
            case FbIsolation.SnapshotTableStability: tpb.Add(1); break;        // consistency
        }
        tpb.Add((byte)(options.Wait ? 6 : 7));
        if (options.Wait && options.LockTimeoutSeconds is { } timeout)
        {
            tpb.Add(21 /* isc_tpb_lock_timeout */);
            tpb.Add(4);
            tpb.AddRange(BitConverter.GetBytes(timeout));
        }
        var tpbBytes = tpb.ToArray();
        var dbHandle = Marshal.AllocHGlobal(4);
        var tpbMemory = Marshal.AllocHGlobal(tpbBytes.Length);
        var teb = Marshal.AllocHGlobal(24);
        try
        {
            Marshal.WriteInt32(dbHandle, (int)connection.Handle);
            Marshal.Copy(tpbBytes, 0, tpbMemory, tpbBytes.Length);
            Marshal.WriteIntPtr(teb, 0, dbHandle);
            Marshal.WriteInt64(teb, 8, tpbBytes.Length);
            Marshal.WriteIntPtr(teb, 16, tpbMemory);
            var status = Status.New();
            connection.Api.isc_start_multiple(status, ref _handle, 1, teb);
            Status.Check(status, context: "Cannot start a transaction");
        }
        finally
        {
            Marshal.FreeHGlobal(teb);
            Marshal.FreeHGlobal(tpbMemory);
            Marshal.FreeHGlobal(dbHandle);
        }
    }

    public bool IsActive => _handle != 0;

    internal FbConnection Connection => _connection;
    internal ref uint Handle => ref _handle;

    public void Commit()
    {
        EnsureActive();
        var status = Status.New();
        _connection.Api.isc_commit_transaction(status, ref _handle);
        Status.Check(status, context: "Commit failed");
        _handle = 0;
    }

    public void Rollback()
    {
        EnsureActive();
        var status = Status.New();
        _connection.Api.isc_rollback_transaction(status, ref _handle);
        Status.Check(status, context: "Rollback failed");
        _handle = 0;
    }

    private void EnsureActive()
    {
        if (_handle == 0) throw new InvalidOperationException("The transaction is no longer active.");
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        var status = Status.New();
        _connection.Api.isc_rollback_transaction(status, ref _handle);
        _handle = 0;
    }
}
