using System.Globalization;
using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Backup;

/// <summary>
/// The names safety backups carry: <c>&lt;db&gt;_yyyyMMdd-HHmmss[-n].fbk</c>, and <c>&lt;final&gt;.&lt;pid&gt;.part</c> while
/// being written. Parsing is strict so that rotation only ever touches files this module named.
/// </summary>
internal static class BackupNames
{
    public const string StampFormat = "yyyyMMdd-HHmmss";

    /// <summary>The database's file name without extension (or its alias on a server), file-name safe.</summary>
    public static string DatabaseName(FbConnectionSettings database)
    {
        var path = database.Database.TrimEnd('/', '\\');
        // A server's path may use the other platform's separators (a Windows server seen from Linux), so split on both.
        var last = path.Substring(path.LastIndexOfAny(new[] { '/', '\\', ':' }) + 1);
        var dot = last.LastIndexOf('.');
        return Sanitize(dot > 0 ? last.Substring(0, dot) : last);
    }

    public static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            builder.Append(char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }
        return builder.Length == 0 ? "database" : builder.ToString();
    }

    public static string TemporaryFor(string finalPath) =>
        finalPath + "." + System.Diagnostics.Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture) + ".part";

    /// <summary>Parses <c>&lt;db&gt;_yyyyMMdd-HHmmss[-n].fbk</c> for this database name only.</summary>
    public static bool TryParse(string fileName, string databaseName, out DateTime takenUtc, out int sequence)
    {
        takenUtc = default;
        sequence = 0;
        if (!fileName.EndsWith(".fbk", Comparison) || !fileName.StartsWith(databaseName + "_", Comparison)) return false;
        var rest = fileName.Substring(databaseName.Length + 1, fileName.Length - databaseName.Length - 1 - ".fbk".Length);
        return TryParseStamp(rest, out takenUtc, out sequence);
    }

    /// <summary>Parses <c>&lt;db&gt;_yyyyMMdd-HHmmss[-n].fbk.&lt;pid&gt;.part</c> for this database name only.</summary>
    public static bool TryParseTemporary(string fileName, string databaseName, out int processId)
    {
        processId = 0;
        if (!fileName.EndsWith(".part", Comparison)) return false;
        var withoutPart = fileName.Substring(0, fileName.Length - ".part".Length);
        var dot = withoutPart.LastIndexOf('.');
        if (dot < 0 || !int.TryParse(withoutPart.Substring(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out processId)) return false;
        return TryParse(withoutPart.Substring(0, dot), databaseName, out _, out _);
    }

    private static bool TryParseStamp(string text, out DateTime takenUtc, out int sequence)
    {
        takenUtc = default;
        sequence = 1;
        if (text.Length < StampFormat.Length) return false;
        if (!DateTime.TryParseExact(text.Substring(0, StampFormat.Length), StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out takenUtc)) return false;
        var suffix = text.Substring(StampFormat.Length);
        if (suffix.Length == 0) return true;
        return suffix[0] == '-' && suffix.Length <= 6 && suffix.Skip(1).All(c => c is >= '0' and <= '9')
            && int.TryParse(suffix.Substring(1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence >= 2;
    }

    // Windows file names ignore case; elsewhere "Club" and "club" are two databases.
    private static StringComparison Comparison => Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
