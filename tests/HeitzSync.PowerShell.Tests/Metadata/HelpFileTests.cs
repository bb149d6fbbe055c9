using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>
/// The help the module ships: docs/en-US compiled by the build step build.ps1 runs (HelpCompiler) into the MAML file
/// Get-Help reads, and about_HeitzSync.help.txt. Checked for every exported cmdlet against its page and against the
/// cmdlet's own metadata, so a page that drifts from the cmdlet, or help the build loses, fails here (CI has no pwsh).
/// </summary>
[Trait("Category", "Unit")]
public sealed class HelpFileTests : IClassFixture<HelpFileTests.CompiledHelp>
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    /// <summary>docs/en-US compiled once into a temporary en-US folder, as build.ps1 compiles it into the module.</summary>
    public sealed class CompiledHelp : IDisposable
    {
        public CompiledHelp()
        {
            Folder = Path.Combine(Path.GetTempPath(), "hz-help-" + Guid.NewGuid().ToString("N"));
            Files = HelpCompiler.Compile(ModuleFiles.DocsFolder, Folder);
            var maml = Path.Combine(Folder, "HeitzSync.PowerShell.dll-Help.xml");
            Document = File.Exists(maml) ? XDocument.Load(maml) : null;
        }

        public string Folder { get; }
        public IReadOnlyList<string> Files { get; }
        public XDocument? Document { get; }

        public XElement? CommandOf(string name) => Document?.Root?.Elements(Command + "command")
            .FirstOrDefault(c => c.Element(Command + "details")?.Element(Command + "name")?.Value == name);

        public void Dispose()
        {
            if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        }
    }

    private readonly CompiledHelp _help;

    public HelpFileTests(CompiledHelp help) => _help = help;

    public static TheoryData<string> ExportedCmdlets()
    {
        var data = new TheoryData<string>();
        foreach (var name in ManifestText.Strings(File.ReadAllText(ModuleFiles.Manifest), "CmdletsToExport") ?? Array.Empty<string>()) data.Add(name);
        return data;
    }

    [Fact]
    public void The_build_writes_the_MAML_file_the_cmdlets_name_and_the_about_topic()
    {
        Assert.True(_help.Document is not null, "HelpCompiler wrote no HeitzSync.PowerShell.dll-Help.xml from docs/en-US (the file Get-Help reads for HeitzSync.PowerShell.dll's cmdlets).");
        Assert.Equal("helpItems", _help.Document!.Root!.Name.LocalName);
        Assert.Equal("maml", (string?)_help.Document.Root.Attribute("schema"));
        var commands = _help.Document.Root.Elements(Command + "command").Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value).OrderBy(n => n, StringComparer.Ordinal);
        var exported = ManifestText.Strings(File.ReadAllText(ModuleFiles.Manifest), "CmdletsToExport")!.OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(exported, commands);

        var about = Path.Combine(_help.Folder, "about_HeitzSync.help.txt");
        Assert.True(File.Exists(about), "HelpCompiler wrote no about_HeitzSync.help.txt from docs/en-US/about_HeitzSync.md.");
        var bytes = File.ReadAllBytes(about);
        Assert.True(bytes.Length > 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "about_HeitzSync.help.txt needs a UTF-8 byte order mark (Windows PowerShell 5.1 reads text without one as ANSI).");
        var text = File.ReadAllText(about);
        Assert.StartsWith("TOPIC\n    about_HeitzSync\n", text.TrimStart('\uFEFF'));
        var page = File.ReadAllText(Path.Combine(ModuleFiles.DocsFolder, "about_HeitzSync.md"));
        foreach (var section in Regex.Matches(page, @"(?m)^# (?<s>[A-Z ]+)$").Select(m => m.Groups["s"].Value.Trim()))
        {
            Assert.Contains("\n" + section + "\n", text);
        }
        Assert.Equal(Words(Regex.Match(page, @"(?ms)^# LONG DESCRIPTION$(?<body>.*?)^# ").Groups["body"].Value.Replace("#", "")),
            Words(Regex.Match(text, @"(?ms)^LONG DESCRIPTION$(?<body>.*?)^[A-Z][A-Z ]+$").Groups["body"].Value));
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Synopsis_and_description_are_the_page_s(string name)
    {
        var (command, page) = Of(name);
        var synopsis = Paragraphs(command.Element(Command + "details")!.Element(Maml + "description"));
        Assert.True(synopsis.Count > 0 && synopsis.All(p => p.Trim().Length > 0), $"{name}: the MAML synopsis is empty; write '## SYNOPSIS' in docs/en-US/{name}.md.");
        Assert.Equal(Words(page.Section("SYNOPSIS")), Words(string.Join(" ", synopsis)));

        var description = Paragraphs(command.Element(Maml + "description"));
        Assert.True(description.Count > 0 && description.All(p => p.Trim().Length > 0), $"{name}: the MAML description is empty.");
        Assert.Equal(Words(page.Section("DESCRIPTION")), Words(string.Join(" ", description)));
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Every_parameter_is_described_with_the_page_s_text_and_the_cmdlet_s_type(string name)
    {
        var (command, page) = Of(name);
        var cmdlet = CmdletCatalog.Get(name);
        var expected = cmdlet.Parameters.Select(p => (p.Name, p.TypeName)).ToList();
        if (cmdlet.SupportsShouldProcess) expected.AddRange(new[] { ("WhatIf", "SwitchParameter"), ("Confirm", "SwitchParameter") });
        var described = command.Element(Command + "parameters")!.Elements(Command + "parameter")
            .ToDictionary(p => p.Element(Maml + "name")!.Value, StringComparer.Ordinal);
        Assert.Equal(expected.Select(e => e.Name).OrderBy(n => n, StringComparer.Ordinal), described.Keys.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var (parameter, type) in expected)
        {
            var element = described[parameter];
            var text = string.Join(" ", Paragraphs(element.Element(Maml + "description")));
            Assert.True(text.Trim().Length > 0, $"{name} -{parameter}: no description in the MAML; describe it in docs/en-US/{name}.md.");
            Assert.Equal(Words(page.ParameterDescription(parameter)), Words(text));
            Assert.Equal(type, element.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Each_parameter_set_has_a_syntax_with_its_parameters_and_their_mandatory_flags(string name)
    {
        var (command, _) = Of(name);
        var cmdlet = CmdletCatalog.Get(name);
        var items = command.Element(Command + "syntax")!.Elements(Command + "syntaxItem")
            .Select(i => i.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value, p => (string?)p.Attribute("required") == "true", StringComparer.Ordinal))
            .ToList();
        var sets = cmdlet.ParameterSets.Count == 0 ? new[] { CmdletDescription.AllSets } : cmdlet.ParameterSets.ToArray();
        Assert.Equal(sets.Length, items.Count);
        foreach (var set in sets)
        {
            var parameters = cmdlet.Parameters.Where(p => set == CmdletDescription.AllSets || p.InSet(set)).ToList();
            var names = parameters.Select(p => p.Name).Concat(cmdlet.SupportsShouldProcess ? new[] { "WhatIf", "Confirm" } : Array.Empty<string>()).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var item = items.FirstOrDefault(i => i.Keys.OrderBy(n => n, StringComparer.Ordinal).SequenceEqual(names));
            Assert.True(item is not null, $"{name}: no syntax in the MAML lists exactly the parameters of the set {set} ({string.Join(", ", names)}); fix 'Parameter Sets:' in docs/en-US/{name}.md.");
            foreach (var parameter in parameters)
            {
                var mandatory = set == CmdletDescription.AllSets ? parameter.MandatorySets.Count > 0 : parameter.MandatoryIn(set);
                Assert.True(item![parameter.Name] == mandatory, $"{name} -{parameter.Name} in {set}: 'Required: {mandatory}' in docs/en-US/{name}.md.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void There_are_at_least_two_examples_with_the_page_s_code(string name)
    {
        var (command, page) = Of(name);
        var examples = command.Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.True(examples.Count >= 2, $"{name}: {examples.Count} example(s) in the MAML; give docs/en-US/{name}.md at least two.");
        Assert.All(examples, e => Assert.Matches(@"Example \d+", e.Element(Maml + "title")!.Value));
        Assert.Equal(page.ExampleCodes(), examples.Select(e => e.Element(Dev + "code")!.Value));
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Inputs_outputs_and_notes_are_carried(string name)
    {
        var (command, page) = Of(name);
        var returned = command.Element(Command + "returnValues")!.Elements(Command + "returnValue").Select(r => r.Element(Dev + "type")!.Element(Maml + "name")!.Value).ToList();
        foreach (var type in CmdletCatalog.Get(name).OutputTypes) Assert.Contains(type, returned);
        Assert.NotEmpty(command.Element(Command + "inputTypes")!.Elements(Command + "inputType"));
        Assert.Equal(Words(page.Section("NOTES")), Words(string.Join(" ", Paragraphs(command.Element(Maml + "alertSet")!.Element(Maml + "alert")))));
    }

    private (XElement Command, HelpPage Page) Of(string name)
    {
        var page = HelpPage.For(name) ?? throw new InvalidOperationException($"{name}: docs/en-US/{name}.md is missing.");
        var command = _help.CommandOf(name) ?? throw new InvalidOperationException($"{name}: not in the compiled MAML file.");
        return (command, page);
    }

    private static IReadOnlyList<string> Paragraphs(XElement? description) =>
        description?.Elements(Maml + "para").Select(p => p.Value).ToList() ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>
    /// The words of a text, markup aside: what a reader sees must be the page's words in the page's order. A link
    /// keeps its text (and a web link its address, as help shows it); fences, backticks, bold and punctuation go.
    /// </summary>
    private static string Words(string text)
    {
        text = Regex.Replace(text, @"\[(?<t>[^\]]*)\]\((?<u>[^)\s]*)\)", m => m.Groups["u"].Value.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? $"{m.Groups["t"].Value} {m.Groups["u"].Value}" : m.Groups["t"].Value);
        text = Regex.Replace(text, @"(?m)^```\w*\s*$", " ");
        return string.Join(" ", Regex.Matches(text, @"[\p{L}\p{N}]+").Select(m => m.Value));
    }
}
