using System.Text.RegularExpressions;

namespace HeitzSync.Build;

/// <summary>One parameter as its page documents it: the description, then the yaml block's fields.</summary>
internal sealed record HelpParameter(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> ParameterSets,
    string Aliases,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    public bool IsSwitch => Type == "SwitchParameter";
    public bool InAllSets => ParameterSets.Count == 0 || ParameterSets.Any(s => s == "(All)");
}

internal sealed record HelpExample(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>An input or output type and what the page says of it.</summary>
internal sealed record HelpType(string Name, IReadOnlyList<string> Description);

internal sealed record HelpLink(string Text, string Uri);

/// <summary>A syntax block of the page: its parameter set's name (none when the cmdlet has one set).</summary>
internal sealed record HelpSyntax(string? ParameterSet, bool IsDefault);

/// <summary>
/// A cmdlet's help page in PlatyPS's markdown (docs/en-US/&lt;Cmdlet&gt;.md, schema 2.0.0): what the MAML file is made
/// from. Reads the sections PlatyPS writes and fails, naming the page and the section, on a page it cannot read.
/// </summary>
internal sealed class CommandHelpPage
{
    private static readonly Regex SyntaxHeading = new(@"^(?<set>.+?)(\s+\(Default\))?$", RegexOptions.CultureInvariant);
    private static readonly Regex ExampleHeading = new(@"^Example\s+\d+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex LinkLine = new(@"^\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)\s*$", RegexOptions.CultureInvariant);

    public required string Name { get; init; }
    public required string SourcePath { get; init; }
    public required IReadOnlyList<string> Synopsis { get; init; }
    public required IReadOnlyList<string> Description { get; init; }
    public required IReadOnlyList<HelpSyntax> Syntax { get; init; }
    public required IReadOnlyList<HelpExample> Examples { get; init; }
    /// <summary>Each parameter once, as its first yaml block describes it (the parameter list of Get-Help -Full).</summary>
    public IReadOnlyList<HelpParameter> Parameters => ParameterBlocks.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();

    /// <summary>
    /// Each yaml block of each parameter: PlatyPS writes one per group of parameter sets in which the parameter differs
    /// (-DropPath is mandatory with a folder drop, optional with FTP), and a syntax takes the block of its set.
    /// </summary>
    public required IReadOnlyList<HelpParameter> ParameterBlocks { get; init; }
    public required IReadOnlyList<HelpType> Inputs { get; init; }
    public required IReadOnlyList<HelpType> Outputs { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
    public required IReadOnlyList<HelpLink> Links { get; init; }

    public string Verb => Name.Substring(0, Name.IndexOf('-'));
    public string Noun => Name.Substring(Name.IndexOf('-') + 1);

    /// <summary>True for a PlatyPS cmdlet page (front matter with <c>external help file</c>), false for an about topic.</summary>
    public static bool IsCommandPage(string text)
    {
        Markdown.Sections(text, out var front);
        return front.ContainsKey("external help file");
    }

    public static CommandHelpPage Read(string path)
    {
        var text = File.ReadAllText(path);
        var sections = Markdown.Sections(text, out _);
        var title = sections.FirstOrDefault(s => s.Level == 1) ?? throw Problem(path, "has no '# <Cmdlet>' title");
        var name = title.Title.Trim();
        if (!name.Contains('-')) throw Problem(path, $"has the title '{name}', not a cmdlet name (Verb-Noun)");

        MarkdownSection Section(string heading) => title.Child(heading) ?? throw Problem(path, $"has no '## {heading}' section");
        IReadOnlyList<string> Optional(string heading) => title.Child(heading) is { } s ? Markdown.Paragraphs(s.Body) : Array.Empty<string>();

        var synopsis = Markdown.Paragraphs(Section("SYNOPSIS").Body);
        if (synopsis.Count == 0) throw Problem(path, "has an empty SYNOPSIS");
        var description = Markdown.Paragraphs(Section("DESCRIPTION").Body);
        if (description.Count == 0) throw Problem(path, "has an empty DESCRIPTION");

        var syntaxSection = Section("SYNTAX");
        var syntax = syntaxSection.Children.Count == 0
            ? new[] { new HelpSyntax(null, true) }
            : syntaxSection.Children.Select(c =>
            {
                var match = SyntaxHeading.Match(c.Title.Trim());
                return new HelpSyntax(match.Groups["set"].Value, c.Title.TrimEnd().EndsWith("(Default)", StringComparison.Ordinal));
            }).ToArray();

        var examples = Section("EXAMPLES").Children.Where(c => ExampleHeading.IsMatch(c.Title)).Select(c =>
        {
            var (code, after) = Markdown.FirstCodeBlock(c.Body);
            if (code is null) throw Problem(path, $"'### {c.Title}' has no code block");
            return new HelpExample(c.Title.Trim(), code, Markdown.Paragraphs(after));
        }).ToList();

        var parameters = Section("PARAMETERS").Children
            .Where(c => c.Title.StartsWith("-", StringComparison.Ordinal))
            .SelectMany(c => ReadParameter(path, c))
            .ToList();

        return new CommandHelpPage
        {
            Name = name,
            SourcePath = path,
            Synopsis = synopsis,
            Description = description,
            Syntax = syntax,
            Examples = examples,
            ParameterBlocks = parameters,
            Inputs = Types(title.Child("INPUTS")),
            Outputs = Types(title.Child("OUTPUTS")),
            Notes = Optional("NOTES"),
            Links = (title.Child("RELATED LINKS")?.Body ?? Array.Empty<string>())
                .Select(l => LinkLine.Match(l.Trim()))
                .Where(m => m.Success)
                .Select(m => new HelpLink(m.Groups["text"].Value, m.Groups["uri"].Value))
                .ToList(),
        };
    }

    private static IReadOnlyList<HelpType> Types(MarkdownSection? section) =>
        section?.Children.Select(c => new HelpType(c.Title.Trim(), Markdown.Paragraphs(c.Body))).ToList() ?? (IReadOnlyList<HelpType>)Array.Empty<HelpType>();

    private static IEnumerable<HelpParameter> ReadParameter(string path, MarkdownSection section)
    {
        var name = section.Title.Trim().TrimStart('-');
        var body = section.Body.ToList();
        var fence = body.FindIndex(l => l.TrimStart().StartsWith("```yaml", StringComparison.OrdinalIgnoreCase));
        if (fence < 0) throw Problem(path, $"'### -{name}' has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, Default value, Accept pipeline input, Accept wildcard characters)");
        var description = Markdown.Paragraphs(body.Take(fence));
        var blocks = new List<HelpParameter>();
        for (var start = fence; start >= 0; start = body.FindIndex(start + 1, l => l.TrimStart().StartsWith("```yaml", StringComparison.OrdinalIgnoreCase)))
        {
            var yaml = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in body.Skip(start + 1).TakeWhile(l => !Markdown.IsFence(l)))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) yaml[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
            }
            string Field(string key) => yaml.TryGetValue(key, out var value) ? value : throw Problem(path, $"'### -{name}': a yaml block has no '{key}:'");
            blocks.Add(new HelpParameter(
                name,
                description,
                Field("Type"),
                Field("Parameter Sets").Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList(),
                Field("Aliases"),
                IsTrue(Field("Required")),
                Field("Position"),
                yaml.TryGetValue("Default value", out var defaultValue) ? defaultValue : "None",
                Field("Accept pipeline input"),
                IsTrue(Field("Accept wildcard characters"))));
        }
        return blocks;
    }

    private static bool IsTrue(string value) => value.StartsWith("True", StringComparison.OrdinalIgnoreCase);

    private static InvalidDataException Problem(string path, string what) => new($"{path} {what}: fix the page (PlatyPS format, see the other pages in docs/en-US).");
}
