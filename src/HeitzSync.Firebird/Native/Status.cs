using System.Text;

namespace HeitzSync.Firebird.Native;

/// <summary>Turns a Firebird status vector into an <see cref="FbException"/> with its codes and Firebird's own text.</summary>
internal static class Status
{
    public const int StatusLength = 20;
    private const int IscArgEnd = 0;
    private const int IscArgGds = 1;

    public static IntPtr[] New() => new IntPtr[StatusLength];

    public static bool IsError(IntPtr[] status) => status[0] == (IntPtr)1 && status[1] != IntPtr.Zero;

    public static void Check(IntPtr[] status, string? sql = null, string? context = null)
    {
        if (IsError(status)) throw ToException(status, sql, context);
    }

    public static FbException ToException(IntPtr[] status, string? sql, string? context)
    {
        var library = FbClientLibrary.Instance;
        var codes = new List<int>();
        for (var i = 0; i < status.Length - 1;)
        {
            var arg = (long)status[i];
            if (arg == IscArgEnd) break;
            if (arg == IscArgGds) codes.Add((int)(long)status[i + 1]);
            i += arg == 3 /* isc_arg_cstring: length and pointer */ ? 3 : 2;
        }
        var sqlCode = library.isc_sqlcode(status);
        var text = new StringBuilder();
        var pinned = System.Runtime.InteropServices.GCHandle.Alloc(status, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            var pointer = pinned.AddrOfPinnedObject();
            var buffer = new byte[1024];
            int length;
            while ((length = library.fb_interpret(buffer, (uint)buffer.Length, ref pointer)) > 0)
            {
                if (text.Length > 0) text.Append(" - ");
                text.Append(Encoding.UTF8.GetString(buffer, 0, length));
            }
        }
        finally
        {
            pinned.Free();
        }
        var message = text.ToString();
        if (context is not null) message = context + ": " + message;
        if (sql is not null) message += Environment.NewLine + "Statement: " + Shorten(sql);
        return new FbException(message, codes, sqlCode);
    }

    private static string Shorten(string sql) => sql.Length <= 2000 ? sql : sql.Substring(0, 2000) + "…";
}
