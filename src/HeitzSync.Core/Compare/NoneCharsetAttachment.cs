using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>
/// An attachment with character set NONE to the database of a given connection: the engine then sends text and text
/// blobs as stored, without transliteration, so they compare byte for byte (and a byte no Unicode character maps
/// cannot fail the read). The given connection is used as it is when it already reads with NONE.
/// </summary>
internal sealed class NoneCharsetAttachment : IDisposable
{
    private readonly bool _owned;

    private NoneCharsetAttachment(FbConnection connection, bool owned)
    {
        Connection = connection;
        _owned = owned;
    }

    public FbConnection Connection { get; }

    public static NoneCharsetAttachment For(FbConnection connection) =>
        string.Equals(connection.Settings.Charset, "NONE", StringComparison.OrdinalIgnoreCase)
            ? new NoneCharsetAttachment(connection, owned: false)
            : new NoneCharsetAttachment(FbConnection.Open(connection.Settings with { Charset = "NONE" }), owned: true);

    public void Dispose()
    {
        if (_owned) Connection.Dispose();
    }
}
