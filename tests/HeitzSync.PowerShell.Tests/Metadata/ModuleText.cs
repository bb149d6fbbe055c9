using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>
/// The few things the tests read from the module manifest, a PowerShell hashtable read as text: comments are removed
/// first (respecting quotes), then a key's array or string is taken by a small regex.
/// </summary>
internal static class ManifestText
{
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
        var array = Regex.Match(text, $@"(?im)^\s*{Regex.Escape(key)}\s*=\s*@\((?<items>[^)]*)\)");
        var single = Regex.Match(text, $@"(?im)^\s*{Regex.Escape(key)}\s*=\s*(?<items>'[^']*'|""[^""]*"")");
        var items = array.Success ? array.Groups["items"].Value : single.Success ? single.Groups["items"].Value : null;
        if (items is null) return null;
        return Regex.Matches(items, @"'(?<v>[^']*)'|""(?<v>[^""]*)""").Select(m => m.Groups["v"].Value).ToList();
    }
}

/// <summary>One PlatyPS help page (docs/en-US/&lt;Cmdlet&gt;.md): its sections, parameter sections and examples.</summary>
internal sealed class HelpPage
{
    private HelpPage(string path, string text)
    {
        Path = path;
        Text = text.Replace("\r\n", "\n");
        Sections = Regex.Matches(Text, @"(?m)^## (?<name>[A-Z ]+)\s*$").Select(m => m.Groups["name"].Value.Trim()).ToList();
        Examples = Regex.Matches(Text, @"(?m)^### Example \d+").Count;
        Parameters = Regex.Matches(Text, @"(?m)^### -(?<name>\w+)\s*$").ToDictionary(m => m.Groups["name"].Value, m => ParameterBlock(m.Index), StringComparer.OrdinalIgnoreCase);
    }

    public string Path { get; }
    public string Text { get; }
    public IReadOnlyList<string> Sections { get; }
    public int Examples { get; }

    /// <summary>Each "### -Name" section's text, up to the next heading.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    public static HelpPage? For(string cmdlet)
    {
        var path = System.IO.Path.Combine(ModuleFiles.DocsFolder, cmdlet + ".md");
        return File.Exists(path) ? new HelpPage(path, File.ReadAllText(path)) : null;
    }

    private string ParameterBlock(int start)
    {
        var next = Regex.Match(Text.Substring(start + 4), @"(?m)^##");
        return next.Success ? Text.Substring(start, next.Index + 4) : Text.Substring(start);
    }
}
