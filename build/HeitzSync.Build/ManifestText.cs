using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Build;

/// <summary>
/// The few things the build and the tests read from the module manifest, a PowerShell hashtable read as text (no
/// PowerShell here): comments are removed first (respecting quotes), then a key's array or string is taken by a small
/// regex. Single-quoted strings may span lines and hold '' for a quote, as in PowerShell.
/// </summary>
internal static class ManifestText
{
    private const string SingleQuoted = @"'(?:[^']|'')*'";
    private const string DoubleQuoted = @"""[^""]*""";

    public static string WithoutComments(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                var end = text.IndexOf(c, i + 1);
                if (end < 0) end = text.Length - 1;
                result.Append(text, i, end - i + 1);
                i = end;
            }
            else if (c == '<' && i + 1 < text.Length && text[i + 1] == '#')
            {
                var end = text.IndexOf("#>", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 1;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n') i++;
                result.Append('\n');
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    /// <summary>The quoted strings of <c>Key = @( ... )</c> (or a single quoted string), or null when the key is absent.</summary>
    public static IReadOnlyList<string>? Strings(string manifest, string key)
    {
        var text = WithoutComments(manifest);
        var array = Regex.Match(text, $@"(?im)^\s*{Regex.Escape(key)}\s*=\s*@\((?<items>(?:{SingleQuoted}|{DoubleQuoted}|[^)'""])*)\)");
        var single = Regex.Match(text, $@"(?im)^\s*{Regex.Escape(key)}\s*=\s*(?<items>{SingleQuoted}|{DoubleQuoted})");
        var items = array.Success ? array.Groups["items"].Value : single.Success ? single.Groups["items"].Value : null;
        if (items is null) return null;
        return Regex.Matches(items, $@"'(?<s>(?:[^']|'')*)'|""(?<d>[^""]*)""")
            .Select(m => m.Groups["s"].Success ? m.Groups["s"].Value.Replace("''", "'") : m.Groups["d"].Value)
            .ToList();
    }

    /// <summary>A key's single string value, or null.</summary>
    public static string? String(string manifest, string key) => Strings(manifest, key) is { Count: 1 } values ? values[0] : null;
}
