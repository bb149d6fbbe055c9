using System.Runtime.InteropServices;

namespace HeitzSync.Firebird.Native;

/// <summary>
/// The entry points of the official Firebird client library (legacy ISC API), loaded once per process.
/// netstandard2.0 has no NativeLibrary, so the library is opened with dlopen/LoadLibrary and each function bound
/// through a delegate. The library is looked for in HEITZSYNC_FBCLIENT (a full path), then by its usual names.
/// Handles are 32-bit on 64-bit platforms (FB_API_HANDLE); a 32-bit process is refused.
/// </summary>
internal sealed class FbClientLibrary
{
    private static readonly object Gate = new();
    private static FbClientLibrary? _instance;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr AttachDatabase(IntPtr[] status, short nameLength, byte[] name, ref uint db, short dpbLength, byte[] dpb);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr DetachDatabase(IntPtr[] status, ref uint db);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr DropDatabase(IntPtr[] status, ref uint db);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr ExecuteImmediate(IntPtr[] status, ref uint db, ref uint tr, ushort length, byte[] statement, ushort dialect, IntPtr xsqlda);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr StartMultiple(IntPtr[] status, ref uint tr, short count, IntPtr teb);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr EndTransaction(IntPtr[] status, ref uint tr);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr AllocateStatement(IntPtr[] status, ref uint db, ref uint stmt);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr Prepare(IntPtr[] status, ref uint tr, ref uint stmt, ushort length, byte[] sql, ushort dialect, IntPtr xsqlda);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr Describe(IntPtr[] status, ref uint stmt, ushort version, IntPtr xsqlda);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr Execute2(IntPtr[] status, ref uint tr, ref uint stmt, ushort version, IntPtr inSqlda, IntPtr outSqlda);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr Fetch(IntPtr[] status, ref uint stmt, ushort version, IntPtr xsqlda);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr FreeStatement(IntPtr[] status, ref uint stmt, ushort option);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr SqlInfo(IntPtr[] status, ref uint stmt, short itemsLength, byte[] items, short bufferLength, byte[] buffer);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr OpenBlob(IntPtr[] status, ref uint db, ref uint tr, ref uint blob, ref long blobId, ushort bpbLength, byte[]? bpb);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr GetSegment(IntPtr[] status, ref uint blob, out ushort actual, ushort bufferLength, byte[] buffer);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr PutSegment(IntPtr[] status, ref uint blob, ushort length, byte[] buffer);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr CloseBlob(IntPtr[] status, ref uint blob);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int Interpret(byte[] buffer, uint length, ref IntPtr statusPointer);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int SqlCode(IntPtr[] status);

    public AttachDatabase isc_attach_database { get; private set; } = null!;
    public DetachDatabase isc_detach_database { get; private set; } = null!;
    public DropDatabase isc_drop_database { get; private set; } = null!;
    public ExecuteImmediate isc_dsql_execute_immediate { get; private set; } = null!;
    public StartMultiple isc_start_multiple { get; private set; } = null!;
    public EndTransaction isc_commit_transaction { get; private set; } = null!;
    public EndTransaction isc_rollback_transaction { get; private set; } = null!;
    public AllocateStatement isc_dsql_allocate_statement { get; private set; } = null!;
    public Prepare isc_dsql_prepare { get; private set; } = null!;
    public Describe isc_dsql_describe { get; private set; } = null!;
    public Describe isc_dsql_describe_bind { get; private set; } = null!;
    public Execute2 isc_dsql_execute2 { get; private set; } = null!;
    public Fetch isc_dsql_fetch { get; private set; } = null!;
    public FreeStatement isc_dsql_free_statement { get; private set; } = null!;
    public SqlInfo isc_dsql_sql_info { get; private set; } = null!;
    public OpenBlob isc_open_blob2 { get; private set; } = null!;
    public OpenBlob isc_create_blob2 { get; private set; } = null!;
    public GetSegment isc_get_segment { get; private set; } = null!;
    public PutSegment isc_put_segment { get; private set; } = null!;
    public CloseBlob isc_close_blob { get; private set; } = null!;
    public CloseBlob isc_cancel_blob { get; private set; } = null!;
    public Interpret fb_interpret { get; private set; } = null!;
    public SqlCode isc_sqlcode { get; private set; } = null!;

    public string LoadedFrom { get; private set; } = "";

    public static FbClientLibrary Instance
    {
        get
        {
            var loaded = Volatile.Read(ref _instance);
            if (loaded is not null) return loaded;
            lock (Gate)
            {
                if (_instance is null) Volatile.Write(ref _instance, Load(Candidates()));
                return _instance!;
            }
        }
    }

    /// <summary>Loads the first candidate that opens; internal so tests can check the message when none does.</summary>
    internal static FbClientLibrary Load(IEnumerable<string> candidates)
    {
        if (IntPtr.Size != 8)
        {
            throw new PlatformNotSupportedException("HeitzSync's Firebird access needs a 64-bit process (start the 64-bit PowerShell or hzsync).");
        }
        lock (Gate)
        {
            var tried = new List<string>();
            foreach (var candidate in candidates)
            {
                var handle = NativeLoader.Open(candidate, out var reason);
                if (handle == IntPtr.Zero)
                {
                    tried.Add(reason is { Length: > 0 } ? $"{candidate} ({reason})" : candidate);
                    continue;
                }
                var library = new FbClientLibrary { LoadedFrom = candidate };
                library.Bind(handle);
                return library;
            }
            throw new FbException(
                $"The Firebird client library could not be loaded (tried: {string.Join("; ", tried)}). " +
                "On Debian/Ubuntu: apt-get install libfbclient2 (and firebird3.0-server-core for embedded databases). " +
                "On Windows: put the 64-bit fbclient.dll (with its plugins for embedded use) beside the module, or set HEITZSYNC_FBCLIENT to its full path.");
        }
    }

    /// <summary>HEITZSYNC_FBCLIENT first, then the platform's usual names (on Windows, beside this assembly first).</summary>
    private static IEnumerable<string> Candidates()
    {
        var configured = Environment.GetEnvironmentVariable("HEITZSYNC_FBCLIENT");
        if (!string.IsNullOrEmpty(configured)) yield return configured!;
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            var folder = Path.GetDirectoryName(typeof(FbClientLibrary).Assembly.Location);
            if (!string.IsNullOrEmpty(folder)) yield return Path.Combine(folder, "fbclient.dll");
            yield return "fbclient.dll";
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            yield return "libfbclient.dylib";
            yield return "/Library/Frameworks/Firebird.framework/Libraries/libfbclient.dylib";
        }
        else
        {
            yield return "libfbclient.so.2";
            yield return "libfbclient.so";
        }
    }

    private void Bind(IntPtr handle)
    {
        T F<T>(string name) where T : Delegate
        {
            var symbol = NativeLoader.Symbol(handle, name);
            if (symbol == IntPtr.Zero) throw new FbException($"{LoadedFrom} has no function {name}: it is not a Firebird 3+ client library.");
            return Marshal.GetDelegateForFunctionPointer<T>(symbol);
        }
        isc_attach_database = F<AttachDatabase>("isc_attach_database");
        isc_detach_database = F<DetachDatabase>("isc_detach_database");
        isc_drop_database = F<DropDatabase>("isc_drop_database");
        isc_dsql_execute_immediate = F<ExecuteImmediate>("isc_dsql_execute_immediate");
        isc_start_multiple = F<StartMultiple>("isc_start_multiple");
        isc_commit_transaction = F<EndTransaction>("isc_commit_transaction");
        isc_rollback_transaction = F<EndTransaction>("isc_rollback_transaction");
        isc_dsql_allocate_statement = F<AllocateStatement>("isc_dsql_allocate_statement");
        isc_dsql_prepare = F<Prepare>("isc_dsql_prepare");
        isc_dsql_describe = F<Describe>("isc_dsql_describe");
        isc_dsql_describe_bind = F<Describe>("isc_dsql_describe_bind");
        isc_dsql_execute2 = F<Execute2>("isc_dsql_execute2");
        isc_dsql_fetch = F<Fetch>("isc_dsql_fetch");
        isc_dsql_free_statement = F<FreeStatement>("isc_dsql_free_statement");
        isc_dsql_sql_info = F<SqlInfo>("isc_dsql_sql_info");
        isc_open_blob2 = F<OpenBlob>("isc_open_blob2");
        isc_create_blob2 = F<OpenBlob>("isc_create_blob2");
        isc_get_segment = F<GetSegment>("isc_get_segment");
        isc_put_segment = F<PutSegment>("isc_put_segment");
        isc_close_blob = F<CloseBlob>("isc_close_blob");
        isc_cancel_blob = F<CloseBlob>("isc_cancel_blob");
        fb_interpret = F<Interpret>("fb_interpret");
        isc_sqlcode = F<SqlCode>("isc_sqlcode");
    }

    /// <summary>dlopen/LoadLibrary without System.Runtime.InteropServices.NativeLibrary (not in netstandard2.0).</summary>
    private static class NativeLoader
    {
        private const int RtldNow = 2;
        private const uint LoadWithAlteredSearchPath = 0x8;

        // Where dlopen/dlsym live: libdl.so.2 on older glibc, libc.so.6 since glibc 2.34 (still exported by both), libSystem on macOS.
        private enum Dl { Unknown, LibDl, LibC, LibSystem }
        private static Dl _dl;

        public static IntPtr Open(string name, out string? reason)
        {
            reason = null;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                // A full path loads its own dependencies (plugins, ICU) from its folder.
                var handle = Path.IsPathRooted(name) ? LoadLibraryEx(name, IntPtr.Zero, LoadWithAlteredSearchPath) : LoadLibraryEx(name, IntPtr.Zero, 0);
                if (handle == IntPtr.Zero) reason = "Windows error " + Marshal.GetLastWin32Error().ToString(System.Globalization.CultureInfo.InvariantCulture);
                return handle;
            }
            var result = Unix(() => dlopen_libdl(name, RtldNow), () => dlopen_libc(name, RtldNow), () => dlopen_system(name, RtldNow));
            if (result == IntPtr.Zero) reason = LastError();
            return result;
        }

        public static IntPtr Symbol(IntPtr handle, string name) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? GetProcAddress(handle, name)
            : Unix(() => dlsym_libdl(handle, name), () => dlsym_libc(handle, name), () => dlsym_system(handle, name));

        private static string? LastError()
        {
            var message = Unix(() => dlerror_libdl(), () => dlerror_libc(), () => dlerror_system());
            return message == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(message);
        }

        private static IntPtr Unix(Func<IntPtr> libdl, Func<IntPtr> libc, Func<IntPtr> system)
        {
            if (_dl == Dl.Unknown)
            {
                _dl = RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? Dl.LibSystem : Dl.LibDl;
            }
            while (true)
            {
                try
                {
                    return _dl switch { Dl.LibDl => libdl(), Dl.LibC => libc(), _ => system() };
                }
                catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException && _dl != Dl.LibSystem)
                {
                    _dl = _dl == Dl.LibDl ? Dl.LibC : Dl.LibSystem;
                }
            }
        }

        [DllImport("kernel32", EntryPoint = "LoadLibraryExW", SetLastError = true, CharSet = CharSet.Unicode)] private static extern IntPtr LoadLibraryEx(string name, IntPtr file, uint flags);
        [DllImport("kernel32", CharSet = CharSet.Ansi, BestFitMapping = false, ExactSpelling = true)] private static extern IntPtr GetProcAddress(IntPtr module, string name);
        [DllImport("libdl.so.2", EntryPoint = "dlopen")] private static extern IntPtr dlopen_libdl(string name, int flags);
        [DllImport("libdl.so.2", EntryPoint = "dlsym")] private static extern IntPtr dlsym_libdl(IntPtr handle, string name);
        [DllImport("libdl.so.2", EntryPoint = "dlerror")] private static extern IntPtr dlerror_libdl();
        [DllImport("libc.so.6", EntryPoint = "dlopen")] private static extern IntPtr dlopen_libc(string name, int flags);
        [DllImport("libc.so.6", EntryPoint = "dlsym")] private static extern IntPtr dlsym_libc(IntPtr handle, string name);
        [DllImport("libc.so.6", EntryPoint = "dlerror")] private static extern IntPtr dlerror_libc();
        [DllImport("/usr/lib/libSystem.dylib", EntryPoint = "dlopen")] private static extern IntPtr dlopen_system(string name, int flags);
        [DllImport("/usr/lib/libSystem.dylib", EntryPoint = "dlsym")] private static extern IntPtr dlsym_system(IntPtr handle, string name);
        [DllImport("/usr/lib/libSystem.dylib", EntryPoint = "dlerror")] private static extern IntPtr dlerror_system();
    }
}
