using System.Text.RegularExpressions;

namespace HeitzSync.PowerShell.Tests.Metadata;

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

    /// <summary>The text of a "## NAME" section, up to the next "## " heading; empty when the page has none.</summary>
    public string Section(string name)
    {
        var start = Regex.Match(Text, $@"(?m)^## {Regex.Escape(name)}\s*$");
        if (!start.Success) return "";
        var body = Text.Substring(start.Index + start.Length);
        var next = Regex.Match(body, @"(?m)^## ");
        return next.Success ? body.Substring(0, next.Index) : body;
    }

    /// <summary>A parameter's description: its section's text before the yaml block.</summary>
    public string ParameterDescription(string name)
    {
        var block = Parameters[name];
        var text = block.Substring(block.IndexOf('\n') + 1);
        var yaml = text.IndexOf("```yaml", StringComparison.Ordinal);
        return yaml < 0 ? text : text.Substring(0, yaml);
    }

    /// <summary>The code of each "### Example N" section, in order.</summary>
    public IReadOnlyList<string> ExampleCodes() =>
        Regex.Matches(Text, @"(?m)^### Example \d+[^\n]*\n```[a-z]*\n(?<code>(.*\n)*?)```").Select(m => m.Groups["code"].Value.TrimEnd('\n')).ToList();

    private string ParameterBlock(int start)
    {
        var next = Regex.Match(Text.Substring(start + 4), @"(?m)^##");
        return next.Success ? Text.Substring(start, next.Index + 4) : Text.Substring(start);
    }
}
