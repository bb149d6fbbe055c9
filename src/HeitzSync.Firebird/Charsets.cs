using System.Text;

namespace HeitzSync.Firebird;

/// <summary>Firebird character set ids and the .NET encodings that decode them.</summary>
internal static class Charsets
{
    public const int None = 0;
    public const int Octets = 1;
    public const int Utf8 = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    static Charsets()
    {
#if NETSTANDARD2_0
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
#endif
    }

    private static readonly Dictionary<string, int> Ids = new(StringComparer.OrdinalIgnoreCase)
    {
        ["NONE"] = 0, ["OCTETS"] = 1, ["ASCII"] = 2, ["UNICODE_FSS"] = 3, ["UTF8"] = 4,
        ["ISO8859_1"] = 21, ["ISO8859_2"] = 22, ["ISO8859_15"] = 39, ["WIN1250"] = 51, ["WIN1251"] = 52,
        ["WIN1252"] = 53, ["WIN1253"] = 54, ["WIN1254"] = 55, ["WIN1257"] = 58, ["DOS850"] = 15, ["DOS437"] = 10,
    };

    private static readonly Dictionary<int, int> CodePages = new()
    {
        [2] = 20127, [21] = 28591, [22] = 28592, [39] = 28605, [51] = 1250, [52] = 1251, [53] = 1252,
        [54] = 1253, [55] = 1254, [58] = 1257, [15] = 850, [10] = 437,
    };

    public static int IdOf(string name) => Ids.TryGetValue(name, out var id)
        ? id
        : throw new FbException($"Character set {name} is not supported by HeitzSync's Firebird binding; use UTF8 or NONE.");

    public static Encoding EncodingOf(int charsetId)
    {
        charsetId &= 0xFF;
        if (charsetId is Utf8 or 3) return Encoding.UTF8;
        if (CodePages.TryGetValue(charsetId, out var codePage)) return Encoding.GetEncoding(codePage);
        return Encoding.UTF8;
    }

    public static int MaxBytesPerCharacter(int charsetId) => (charsetId & 0xFF) switch
    {
        Utf8 => 4,
        3 => 3,
        _ => 1,
    };

    /// <summary>Decodes text received in <paramref name="charsetId"/>; NONE is read as UTF-8 when valid, else as Latin-1.</summary>
    public static string Decode(byte[] bytes, int offset, int count, int charsetId)
    {
        charsetId &= 0xFF;
        if (charsetId is None or Octets)
        {
            try { return StrictUtf8.GetString(bytes, offset, count); }
            catch (DecoderFallbackException) { return Encoding.GetEncoding(28591).GetString(bytes, offset, count); }
        }
        return EncodingOf(charsetId).GetString(bytes, offset, count);
    }
}
