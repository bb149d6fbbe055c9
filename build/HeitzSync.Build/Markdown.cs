using System.Text.RegularExpressions;

namespace HeitzSync.Build;

/// <summary>A heading of a markdown page with the lines under it, up to the next heading of the same or a higher level.</summary>
internal sealed record MarkdownSection(int Level, string Title, IReadOnlyList<string> Lines, IReadOnlyList<MarkdownSection> Children)
{
    public MarkdownSection? Child(string title) => Children.FirstOrDefault(c => string.Equals(c.Title, title, StringComparison.OrdinalIgnoreCase));

    /// <summary>The lines under the heading before its first sub-heading.</summary>
    public IReadOnlyList<string> Body => Lines;
}

/// <summary>
/// The little of markdown that help needs: headings (outside fenced code), paragraphs, fenced code blocks, list items
/// and inline links. Text is kept as written (backticks included, as PowerShell's own help shows them); a soft line
/// break inside a paragraph becomes a space.
/// </summary>
internal static class Markdown
{
    private static readonly Regex Heading = new(@"^(?<hashes>#{1,6})\s+(?<title>.*?)\s*#*\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex ListItem = new(@"^\s{0,3}([-*+]|\d+[.)])\s+", RegexOptions.CultureInvariant);
    private static readonly Regex Link = new(@"\[(?<text>[^\]]*)\]\((?<uri>[^)\s]*)\)", RegexOptions.CultureInvariant);
    private static readonly Regex Strong = new(@"\*\*(?<text>[^*]+)\*\*", RegexOptions.CultureInvariant);

    /// <summary>The page without its front matter, cut into sections by headings (fenced code never holds one).</summary>
    public static IReadOnlyList<MarkdownSection> Sections(string text, out IReadOnlyDictionary<string, string> frontMatter)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        var front = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Count > 0 && lines[0].Trim() == "---")
        {
            var end = lines.FindIndex(1, l => l.Trim() == "---");
            if (end > 0)
            {
                foreach (var line in lines.Skip(1).Take(end - 1))
                {
                    var colon = line.IndexOf(':');
                    if (colon > 0) front[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
                }
                lines.RemoveRange(0, end + 1);
            }
        }
        frontMatter = front;

        var flat = new List<(int Level, string Title, List<string> Lines)>();
        var preamble = new List<string>();
        var fenced = false;
        foreach (var line in lines)
        {
            if (IsFence(line)) fenced = !fenced;
            var heading = fenced ? Match.Empty : Heading.Match(line);
            if (!fenced && heading.Success)
            {
                flat.Add((heading.Groups["hashes"].Length, heading.Groups["title"].Value, new List<string>()));
                continue;
            }
            (flat.Count == 0 ? preamble : flat[flat.Count - 1].Lines).Add(line);
        }
        var index = 0;
        return Nest(flat, ref index, 0);
    }

    private static List<MarkdownSection> Nest(List<(int Level, string Title, List<string> Lines)> flat, ref int index, int parentLevel)
    {
        var result = new List<MarkdownSection>();
        while (index < flat.Count && flat[index].Level > parentLevel)
        {
            var (level, title, lines) = flat[index++];
            var children = Nest(flat, ref index, level);
            result.Add(new MarkdownSection(level, title, lines, children));
        }
        return result;
    }

    public static bool IsFence(string line) => line.TrimStart().StartsWith("```", StringComparison.Ordinal);

    /// <summary>
    /// The paragraphs of some lines: a blank line ends one; each list item starts one; a fenced code block is one,
    /// verbatim (its lines kept, the fences dropped), as is a block indented by four spaces.
    /// </summary>
    public static IReadOnlyList<string> Paragraphs(IEnumerable<string> lines)
    {
        var result = new List<string>();
        var current = new List<string>();
        var verbatim = new List<string>();
        List<string>? code = null;
        void Flush()
        {
            if (current.Count > 0) result.Add(Inline(string.Join(" ", current)));
            if (verbatim.Count > 0) result.Add(string.Join("\n", verbatim));
            current.Clear();
            verbatim.Clear();
        }
        foreach (var line in lines)
        {
            if (code is not null)
            {
                if (IsFence(line))
                {
                    result.Add(string.Join("\n", code));
                    code = null;
                }
                else
                {
                    code.Add(line.TrimEnd());
                }
                continue;
            }
            if (IsFence(line))
            {
                Flush();
                code = new List<string>();
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }
            if (current.Count == 0 && line.StartsWith("    ", StringComparison.Ordinal) && !ListItem.IsMatch(line))
            {
                verbatim.Add(line.TrimEnd());   // an indented block: kept as written, like a fenced one
                continue;
            }
            if (ListItem.IsMatch(line) || verbatim.Count > 0) Flush();
            current.Add(line.Trim());
        }
        if (code is not null) result.Add(string.Join("\n", code));
        Flush();
        return result;
    }

    /// <summary>Inline markup as a console shows it: a link to another page becomes its text, a web link "text (address)", bold plain.</summary>
    public static string Inline(string text)
    {
        text = Link.Replace(text, m =>
        {
            var uri = m.Groups["uri"].Value;
            var label = m.Groups["text"].Value;
            return uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? (label == uri || label.Length == 0 ? uri : $"{label} ({uri})")
                : label;
        });
        return Strong.Replace(text, m => m.Groups["text"].Value);
    }

    /// <summary>The text of the first fenced code block in some lines, and the lines after it.</summary>
    public static (string? Code, IReadOnlyList<string> After) FirstCodeBlock(IReadOnlyList<string> lines)
    {
        var start = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!IsFence(lines[i])) continue;
            if (start < 0)
            {
                start = i;
                continue;
            }
            var code = string.Join("\n", lines.Skip(start + 1).Take(i - start - 1).Select(l => l.TrimEnd()));
            return (code, lines.Skip(i + 1).ToList());
        }
        return (null, lines);
    }
}
