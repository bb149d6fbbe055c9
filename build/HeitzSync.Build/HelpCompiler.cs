using System.Text;

namespace HeitzSync.Build;

/// <summary>
/// docs/en-US (PlatyPS markdown) into what Get-Help reads from the module's en-US folder: the cmdlet pages into one MAML
/// file named by their front matter (<c>external help file: HeitzSync.PowerShell.dll-Help.xml</c>), each about page into
/// <c>about_&lt;Topic&gt;.help.txt</c>.
/// </summary>
internal static class HelpCompiler
{
    /// <summary>Compiles every page of <paramref name="docsFolder"/> into <paramref name="outputFolder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Compile(string docsFolder, string outputFolder)
    {
        if (!Directory.Exists(docsFolder)) throw new DirectoryNotFoundException($"The help pages folder {docsFolder} does not exist.");
        Directory.CreateDirectory(outputFolder);
        var written = new List<string>();
        var commands = new Dictionary<string, List<CommandHelpPage>>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.GetFiles(docsFolder, "*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            var text = File.ReadAllText(path);
            Markdown.Sections(text, out var front);
            if (front.TryGetValue("external help file", out var helpFile) && helpFile.Length > 0)
            {
                if (!commands.TryGetValue(helpFile, out var pages)) commands[helpFile] = pages = new List<CommandHelpPage>();
                pages.Add(CommandHelpPage.Read(path));
                continue;
            }
            if (Path.GetFileName(path).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
            {
                var target = Path.Combine(outputFolder, AboutTopic.Name(text) + ".help.txt");
                // A byte order mark: Windows PowerShell 5.1 reads a text file without one as ANSI (the Siège's è).
                File.WriteAllText(target, AboutTopic.ToText(text), new UTF8Encoding(true));
                written.Add(target);
            }
        }
        foreach (var (helpFile, pages) in commands)
        {
            var target = Path.Combine(outputFolder, helpFile);
            MamlWriter.Save(MamlWriter.Document(pages), target);
            written.Add(target);
        }
        return written;
    }
}
