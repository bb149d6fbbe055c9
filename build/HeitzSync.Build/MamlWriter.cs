using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace HeitzSync.Build;

/// <summary>
/// Writes cmdlet help pages as one MAML file (the format Get-Help reads for a binary module:
/// <c>en-US/&lt;assembly&gt;.dll-Help.xml</c>), element for element as PlatyPS's New-ExternalHelp writes it: details
/// (name, verb, noun, synopsis), description, syntax (one item per parameter set), parameters, input and return
/// types, notes, examples and related links.
/// </summary>
internal static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MsHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument Document(IEnumerable<CommandHelpPage> pages) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), pages.OrderBy(p => p.Name, StringComparer.Ordinal).Select(CommandElement)));

    /// <summary>UTF-8 with a byte order mark, indented: Windows PowerShell 5.1 and PowerShell 7 read it alike.</summary>
    public static void Save(XDocument document, string path)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(true), Indent = true, IndentChars = "  " };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static XElement CommandElement(CommandHelpPage page) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MsHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", page.Name),
                new XElement(Command + "verb", page.Verb),
                new XElement(Command + "noun", page.Noun),
                Description(page.Synopsis)),
            Description(page.Description),
            new XElement(Command + "syntax", page.Syntax.Select(s => SyntaxItem(page, s))),
            new XElement(Command + "parameters", page.Parameters.Select(p => Parameter(p, inSyntax: false))),
            new XElement(Command + "inputTypes", page.Inputs.Select(t => TypeEntry("inputType", t))),
            new XElement(Command + "returnValues", page.Outputs.Select(t => TypeEntry("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paragraphs(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select(Example)),
            new XElement(Command + "relatedLinks", page.Links.Select(l =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", l.Text),
                    new XElement(Maml + "uri", IsWebAddress(l.Uri) ? l.Uri : "")))));

    /// <summary>One parameter set: the parameters documented for it or for all sets (the yaml block of that set), in the page's order.</summary>
    private static XElement SyntaxItem(CommandHelpPage page, HelpSyntax syntax) =>
        new(Command + "syntaxItem",
            new XElement(Maml + "name", page.Name),
            page.ParameterBlocks
                .Where(p => syntax.ParameterSet is null || p.InAllSets || p.ParameterSets.Contains(syntax.ParameterSet, StringComparer.Ordinal))
                .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
                .Select(g => Parameter(g.First(), inSyntax: true)));

    private static XElement Parameter(HelpParameter parameter, bool inSyntax)
    {
        var element = new XElement(Command + "parameter",
            new XAttribute("required", Lower(parameter.Required)),
            new XAttribute("variableLength", Lower(parameter.Type.EndsWith("[]", StringComparison.Ordinal))),
            new XAttribute("globbing", Lower(parameter.Globbing)),
            new XAttribute("pipelineInput", parameter.PipelineInput),
            new XAttribute("position", parameter.Position.ToLowerInvariant() == "named" ? "named" : parameter.Position),
            new XAttribute("aliases", string.Equals(parameter.Aliases, "None", StringComparison.OrdinalIgnoreCase) ? "none" : parameter.Aliases),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description));
        // A switch shows as [-Name] in a syntax: no value; the parameter list still names its type.
        if (!(inSyntax && parameter.IsSwitch))
        {
            element.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", Lower(!parameter.IsSwitch)),
                new XAttribute("variableLength", Lower(parameter.Type.EndsWith("[]", StringComparison.Ordinal))),
                parameter.Type));
        }
        element.Add(new XElement(Dev + "type", new XElement(Maml + "name", parameter.Type), new XElement(Maml + "uri")));
        element.Add(new XElement(Dev + "defaultValue", parameter.DefaultValue));
        return element;
    }

    private static XElement TypeEntry(string kind, HelpType type) =>
        new(Command + kind,
            new XElement(Dev + "type", new XElement(Maml + "name", type.Name)),
            Description(type.Description));

    private static XElement Example(HelpExample example) =>
        new(Command + "example",
            new XElement(Maml + "title", $"-------------------------- {example.Title} --------------------------"),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paragraphs(example.Remarks)));

    private static XElement Description(IReadOnlyList<string> paragraphs) => new(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IReadOnlyList<string> paragraphs) =>
        paragraphs.Count == 0 ? new[] { new XElement(Maml + "para") } : paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Lower(bool value) => value ? "true" : "false";

    private static bool IsWebAddress(string uri) =>
        uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
