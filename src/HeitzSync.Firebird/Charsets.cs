using System.Collections.Concurrent;
using System.Text;

namespace HeitzSync.Firebird;

/// <summary>
/// Firebird character sets: their fixed ids (as in RDB$CHARACTER_SETS), bytes per character and the .NET encoding
/// that decodes them. A described CHAR/VARCHAR carries its charset id in the low byte of sqlsubtype (the column's
/// own charset on a NONE attachment, the attachment's charset otherwise); a text blob carries it in sqlscale.
/// </summary>
internal static class Charsets
{
    public const int None = 0;
    public const int Octets = 1;
    public const int UnicodeFss = 3;
    public const int Utf8 = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly Dictionary<string, Charset> ByName = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<int, Charset> ById = new();

    // Encoding.GetEncoding asks the code-page provider anew at every call, which reads its tables each time (4 % of a
    // consolidation's time when every bound origin went through it): one instance per code page serves every call.
    private static readonly ConcurrentDictionary<int, Encoding> ByCodePage = new();

    private sealed record Charset(int Id, string Name, int BytesPerCharacter, int CodePage);

    static Charsets()
    {
        // netstandard2.0 on .NET Core/5+ only knows UTF-8, ASCII and Latin-1 until the code page provider is registered
        // (on .NET Framework it is a no-op): once per process, before any lookup.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        void Add(int id, string name, int bytes, int codePage)
        {
            var charset = new Charset(id, name, bytes, codePage);
            ByName[name] = charset;
            ById[id] = charset;
        }
        Add(0, "NONE", 1, 0); Add(1, "OCTETS", 1, 0); Add(2, "ASCII", 1, 20127); Add(3, "UNICODE_FSS", 3, 65001);
        Add(4, "UTF8", 4, 65001); Add(5, "SJIS_0208", 2, 932); Add(6, "EUCJ_0208", 2, 20932); Add(9, "DOS737", 1, 737);
        Add(10, "DOS437", 1, 437); Add(11, "DOS850", 1, 850); Add(12, "DOS865", 1, 865); Add(13, "DOS860", 1, 860);
        Add(14, "DOS863", 1, 863); Add(15, "DOS775", 1, 775); Add(16, "DOS858", 1, 858); Add(17, "DOS862", 1, 862);
        Add(18, "DOS864", 1, 864); Add(21, "ISO8859_1", 1, 28591); Add(22, "ISO8859_2", 1, 28592);
        Add(23, "ISO8859_3", 1, 28593); Add(34, "ISO8859_4", 1, 28594); Add(35, "ISO8859_5", 1, 28595);
        Add(36, "ISO8859_6", 1, 28596); Add(37, "ISO8859_7", 1, 28597); Add(38, "ISO8859_8", 1, 28598);
        Add(39, "ISO8859_9", 1, 28599); Add(40, "ISO8859_13", 1, 28603); Add(44, "KSC_5601", 2, 949);
        Add(45, "DOS852", 1, 852); Add(46, "DOS857", 1, 857); Add(47, "DOS861", 1, 861); Add(48, "DOS866", 1, 866);
        Add(49, "DOS869", 1, 869); Add(51, "WIN1250", 1, 1250); Add(52, "WIN1251", 1, 1251); Add(53, "WIN1252", 1, 1252);
        Add(54, "WIN1253", 1, 1253); Add(55, "WIN1254", 1, 1254); Add(56, "BIG_5", 2, 950); Add(57, "GB_2312", 2, 936);
        Add(58, "WIN1255", 1, 1255); Add(59, "WIN1256", 1, 1256); Add(60, "WIN1257", 1, 1257); Add(63, "KOI8R", 1, 20866);
        Add(64, "KOI8U", 1, 21866); Add(65, "WIN1258", 1, 1258); Add(66, "TIS620", 1, 874); Add(67, "GBK", 2, 936);
        Add(68, "CP943C", 2, 932); Add(69, "GB18030", 4, 54936);
    }

    /// <summary>The id of a connection/column character set name; an error for names .NET cannot decode.</summary>
    public static int IdOf(string name) => ByName.TryGetValue(name.Trim(), out var charset) && (charset.CodePage != 0 || charset.Id is None or Octets)
        ? charset.Id
        : throw new FbException($"Character set {name} is not supported by HeitzSync's Firebird binding; use UTF8 or NONE (or a WIN/ISO/DOS code page).");

    public static string NameOf(int charsetId) => ById.TryGetValue(charsetId & 0xFF, out var charset) ? charset.Name : "charset " + (charsetId & 0xFF);

    /// <summary>The encoding that writes text for <paramref name="charsetId"/>; NONE and OCTETS (and unknown ids) as UTF-8.</summary>
    public static Encoding EncodingOf(int charsetId)
    {
        if (ById.TryGetValue(charsetId & 0xFF, out var charset) && charset.CodePage != 0)
        {
            return charset.CodePage == 65001 ? Encoding.UTF8 : CodePage(charset.CodePage);
        }
        return Encoding.UTF8;
    }

    private static Encoding CodePage(int codePage) => ByCodePage.GetOrAdd(codePage, page => Encoding.GetEncoding(page));

    public static int MaxBytesPerCharacter(int charsetId) => ById.TryGetValue(charsetId & 0xFF, out var charset) ? charset.BytesPerCharacter : 1;

    /// <summary>Decodes text received in <paramref name="charsetId"/>; NONE/OCTETS (and unknown ids) as UTF-8 when valid, else as Latin-1.</summary>
    public static string Decode(byte[] bytes, int offset, int count, int charsetId)
    {
        if (ById.TryGetValue(charsetId & 0xFF, out var charset) && charset.CodePage != 0)
        {
            return EncodingOf(charset.Id).GetString(bytes, offset, count);
        }
        try
        {
            return StrictUtf8.GetString(bytes, offset, count);
        }
        catch (DecoderFallbackException)
        {
            return CodePage(28591).GetString(bytes, offset, count);
        }
    }
}
