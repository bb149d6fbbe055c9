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

    // Everything that holds a handle inside this attachment, so that disposing the connection releases it all
    // (Firebird refuses to detach with open transactions, and stale statement handles must never be freed later).
    private readonly HashSet<FbCommand> _commands = new();
    private readonly HashSet<FbTransaction> _transactions = new();

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
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        Charsets.IdOf(settings.Charset);   // an unknown charset fails before attaching, not after
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
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        var api = FbClientLibrary.Instance;
        Charsets.IdOf(settings.Charset);
        Charsets.IdOf(defaultCharacterSet);   // also keeps the name safe to put in the statement
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

    /// <summary>Drops the database and closes this connection (its statements and transactions are released first).</summary>
    public void DropDatabase()
    {
        EnsureOpen();
        ReleaseChildren();
        var status = Status.New();
        Api.isc_drop_database(status, ref _handle);
        Status.Check(status, context: $"Cannot drop {Settings}");
        _handle = 0;
    }

    public bool IsOpen => _handle != 0;

    /// <summary>Statements executed on this attachment so far (one call into the engine each): how an apply counts its round trips.</summary>
    public long StatementsExecuted { get; internal set; }

    /// <summary>Statements prepared on this connection so far.</summary>
    public long StatementsPrepared { get; private set; }

    public FbTransaction BeginTransaction(FbTransactionOptions? options = null)
    {
        EnsureOpen();
        var transaction = new FbTransaction(this, options ?? new FbTransactionOptions());
        _transactions.Add(transaction);
        return transaction;
    }

    public FbCommand Prepare(FbTransaction transaction, string sql)
    {
        if (transaction is null) throw new ArgumentNullException(nameof(transaction));
        if (sql is null) throw new ArgumentNullException(nameof(sql));
        EnsureOpen();
        if (!ReferenceEquals(transaction.Connection, this)) throw new ArgumentException("The transaction belongs to another connection.", nameof(transaction));
        if (!transaction.IsActive) throw new InvalidOperationException("The transaction is no longer active.");
        var command = new FbCommand(this, transaction, sql);
        _commands.Add(command);
        StatementsPrepared++;
        return command;
    }

    internal void Forget(FbCommand command) => _commands.Remove(command);

    internal void Forget(FbTransaction transaction) => _transactions.Remove(transaction);

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

    internal void EnsureOpen()
    {
        if (_handle == 0) throw new ObjectDisposedException(nameof(FbConnection), $"The connection to {Settings} is closed.");
    }

    /// <summary>The charset text parameters are written in: the attachment's, or with NONE the column's own.</summary>
    internal int TextCharsetFor(int describedCharset) => CharsetId == Charsets.None ? describedCharset & 0xFF : CharsetId;

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

    /// <summary>Frees every statement (and its blobs) and rolls back every transaction still open on this attachment.</summary>
    private void ReleaseChildren()
    {
        foreach (var command in _commands.ToList()) command.Dispose();
        foreach (var transaction in _transactions.ToList()) transaction.Dispose();
        _commands.Clear();
        _transactions.Clear();
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        ReleaseChildren();
        var status = Status.New();
        Api.isc_detach_database(status, ref _handle);
        _handle = 0;
    }
}

/// <summary>A transaction; disposing it without <see cref="Commit"/> rolls it back.</summary>
public sealed class FbTransaction : IDisposable
{
    private readonly FbConnection _connection;
    private readonly HashSet<FbBlobReadStream> _blobs = new();
    private uint _handle;

    internal FbTransaction(FbConnection connection, FbTransactionOptions options)
    {
        _connection = connection;
        Options = options;
        var tpb = BuildTpb(options);
        var dbHandle = Marshal.AllocHGlobal(4);
        var tpbMemory = Marshal.AllocHGlobal(tpb.Length);
        var teb = Marshal.AllocHGlobal(24);   // ISC_TEB: database handle pointer, tpb length (long), tpb pointer
        try
        {
            Marshal.WriteInt32(dbHandle, (int)connection.Handle);
            Marshal.Copy(tpb, 0, tpbMemory, tpb.Length);
            Marshal.WriteIntPtr(teb, 0, dbHandle);
            Marshal.WriteInt64(teb, 8, tpb.Length);
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

    public FbTransactionOptions Options { get; }

    public bool IsActive => _handle != 0;

    internal FbConnection Connection => _connection;
    internal ref uint Handle => ref _handle;

    private static byte[] BuildTpb(FbTransactionOptions options)
    {
        var tpb = new List<byte> { 3 /* isc_tpb_version3 */, (byte)(options.ReadOnly ? 8 /* read */ : 9 /* write */) };
        switch (options.Isolation)
        {
            case FbIsolation.ReadCommitted: tpb.Add(15); tpb.Add(17); break;   // read_committed, rec_version
            case FbIsolation.Snapshot: tpb.Add(2); break;                      // concurrency
            case FbIsolation.SnapshotTableStability: tpb.Add(1); break;        // consistency
            default: throw new ArgumentOutOfRangeException(nameof(options), options.Isolation, "Unknown isolation.");
        }
        tpb.Add((byte)(options.Wait ? 6 /* wait */ : 7 /* nowait */));
        if (options.Wait && options.LockTimeoutSeconds is { } timeout)
        {
            if (timeout < 1 || timeout > short.MaxValue) throw new ArgumentOutOfRangeException(nameof(options), timeout, "LockTimeoutSeconds must be between 1 and 32767.");
            tpb.Add(21 /* isc_tpb_lock_timeout */);
            tpb.Add(4);
            tpb.AddRange(BitConverter.GetBytes(timeout));
        }
        return tpb.ToArray();
    }

    internal void Track(FbBlobReadStream blob) => _blobs.Add(blob);

    internal void Forget(FbBlobReadStream blob) => _blobs.Remove(blob);

    public void Commit()
    {
        EnsureActive();
        CloseBlobs();
        var status = Status.New();
        _connection.Api.isc_commit_transaction(status, ref _handle);
        Status.Check(status, context: "Commit failed");
        End();
    }

    public void Rollback()
    {
        EnsureActive();
        CloseBlobs();
        var status = Status.New();
        _connection.Api.isc_rollback_transaction(status, ref _handle);
        Status.Check(status, context: "Rollback failed");
        End();
    }

    private void EnsureActive()
    {
        if (_handle == 0) throw new InvalidOperationException("The transaction is no longer active.");
        _connection.EnsureOpen();
    }

    // Blob handles die with their transaction: close them while the handles are still ours.
    private void CloseBlobs()
    {
        foreach (var blob in _blobs.ToList()) blob.Dispose();
        _blobs.Clear();
    }

    private void End()
    {
        _handle = 0;
        _connection.Forget(this);
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        CloseBlobs();
        if (_connection.IsOpen)
        {
            var status = Status.New();
            _connection.Api.isc_rollback_transaction(status, ref _handle);
        }
        End();
    }
}
