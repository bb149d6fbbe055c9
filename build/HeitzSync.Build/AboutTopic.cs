using System.Text;

namespace HeitzSync.Build;

/// <summary>
/// An about topic in PlatyPS's markdown (<c># Module</c>, <c>## about_Topic</c>, then <c># SHORT DESCRIPTION</c>,
/// <c># LONG DESCRIPTION</c>... with <c>##</c> sub-headings) as the text file Get-Help about_Topic shows: the classic
/// layout of PowerShell's own about files (TOPIC, section names in capitals at the margin, text indented by four).
/// </summary>
internal static class AboutTopic
{
    public static string Name(string markdown)
    {
        var sections = Markdown.Sections(markdown, out _);
        return sections.SelectMany(s => s.Children.Select(c => c.Title).Prepend(s.Title))
                   .FirstOrDefault(t => t.StartsWith("about_", StringComparison.OrdinalIgnoreCase))?.Trim()
               ?? throw new InvalidDataException("An about page needs a '## about_<Topic>' heading under its title (PlatyPS format).");
    }

    public static string ToText(string markdown)
    {
        var topic = Name(markdown);
        var text = new StringBuilder();
        text.Append("TOPIC\n    ").Append(topic).Append('\n');
        var fenced = false;
        var started = false;
        foreach (var raw in markdown.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.TrimEnd();
            if (Markdown.IsFence(line))
            {
                fenced = !fenced;
                continue;
            }
            if (!fenced && line.StartsWith("#", StringComparison.Ordinal))
            {
                var level = line.TakeWhile(c => c == '#').Count();
                var title = line.Substring(level).Trim();
                if (!started)
                {
                    // The page's title lines (# Module, ## about_Topic) became TOPIC above.
                    if (level == 1 && title.Equals("SHORT DESCRIPTION", StringComparison.OrdinalIgnoreCase)) started = true;
                    else continue;
                }
                text.Append('\n');
                if (level == 1) text.Append(title.ToUpperInvariant()).Append('\n');
                else text.Append("  ").Append(title).Append('\n');
                continue;
            }
            if (!started) continue;
            text.Append(line.Length == 0 ? "" : "    " + line).Append('\n');
        }
        return Collapse(text.ToString());
    }

    /// <summary>No more than one blank line in a row, and one line break at the end.</summary>
    private static string Collapse(string text)
    {
        var lines = text.Split('\n');
        var result = new StringBuilder();
        var blank = false;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                if (blank) continue;
                blank = true;
            }
            else
            {
                blank = false;
            }
            result.Append(line).Append('\n');
        }
        return result.ToString().TrimEnd('\n') + "\n";
    }
}
