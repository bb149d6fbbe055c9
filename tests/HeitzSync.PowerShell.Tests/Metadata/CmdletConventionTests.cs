using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>
/// The conventions every cmdlet of the module keeps (DESIGN.md §9), checked on the built assembly's metadata, the
/// manifest, the format file and the help pages. Each failure names the cmdlet and the fix.
/// </summary>
public class CmdletConventionTests
{
    /// <summary>
    /// Approved verbs as Get-Verb lists them in Windows PowerShell 5.1 (PowerShell 7 adds Build and Deploy, which
    /// 5.1 would warn about on import, so they are left out: the module loads on both).
    /// </summary>
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        // Common
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open", "Optimize",
        "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split", "Step", "Switch",
        "Undo", "Unlock", "Watch",
        // Communications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // Data
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export", "Group",
        "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        // Diagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // Lifecycle
        "Approve", "Assert", "Complete", "Confirm", "Deny", "Disable", "Enable", "Install", "Invoke", "Register", "Request", "Restart",
        "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // Security
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        // Other
        "Use",
    };

    /// <summary>Verbs that change state: their cmdlets take -WhatIf/-Confirm.</summary>
    private static readonly HashSet<string> StateChangingVerbs = new(StringComparer.Ordinal)
    {
        "New", "Set", "Remove", "Start", "Stop", "Invoke", "Send", "Receive", "Initialize", "Register", "Unregister", "Restore", "Clear",
        "Reset", "Update", "Add", "Copy", "Move", "Rename", "Install", "Uninstall", "Publish", "Unpublish", "Enable", "Disable", "Import",
        "Merge", "Repair", "Restart", "Resume", "Suspend", "Sync", "Backup", "Save", "Write", "Edit", "Grant", "Revoke", "Protect", "Unprotect",
        "Block", "Unblock", "Lock", "Unlock",
    };

    /// <summary>State-changing cmdlets allowed without ShouldProcess, each with the reason. Empty: none so far.</summary>
    private static readonly IReadOnlyDictionary<string, string> ShouldProcessExceptions = new Dictionary<string, string>(StringComparer.Ordinal);

    public static TheoryData<string> CmdletNames()
    {
        var data = new TheoryData<string>();
        foreach (var cmdlet in CmdletCatalog.Cmdlets) data.Add(cmdlet.Name);
        return data;
    }

    [Fact]
    public void ShouldProcess_exceptions_name_real_cmdlets_and_give_a_reason()
    {
        foreach (var (name, reason) in ShouldProcessExceptions)
        {
            Assert.True(CmdletCatalog.Cmdlets.Any(c => c.Name == name), $"ShouldProcessExceptions lists {name}, which the assembly does not hold; remove the entry.");
            Assert.True(reason.Trim().Length >= 20, $"ShouldProcessExceptions: say in a sentence why {name} changes state without -WhatIf/-Confirm.");
        }
    }

    [Fact]
    public void The_assembly_holds_cmdlets()
    {
        Assert.True(CmdletCatalog.Cmdlets.Count > 0, $"No cmdlet class found in {ModuleFiles.CmdletAssembly}: is it the right assembly?");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Verb_is_approved(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        Assert.True(ApprovedVerbs.Contains(cmdlet.Verb),
            $"{name}: '{cmdlet.Verb}' is not an approved PowerShell verb (Get-Verb); rename {cmdlet.ClassName} with an approved verb (e.g. Invoke, Start, Get).");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Noun_has_the_Hz_prefix(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        Assert.True(cmdlet.Noun.StartsWith("Hz", StringComparison.Ordinal) && cmdlet.Noun.Length > 2,
            $"{name}: the noun must start with the module prefix 'Hz' (e.g. HzSyncConfig); fix the [Cmdlet] attribute of {cmdlet.ClassName}.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Declares_its_output_type(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        Assert.True(cmdlet.OutputTypes.Count > 0, $"{name}: add [OutputType(typeof(...))] to {cmdlet.ClassName} with the type it writes.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Supports_ShouldProcess_when_it_changes_state(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        if (!StateChangingVerbs.Contains(cmdlet.Verb) || ShouldProcessExceptions.ContainsKey(name)) return;
        Assert.True(cmdlet.SupportsShouldProcess,
            $"{name}: '{cmdlet.Verb}' changes state, so {cmdlet.ClassName} needs [Cmdlet(..., SupportsShouldProcess = true)] and a ShouldProcess call per target " +
            "(or an entry with its reason in ShouldProcessExceptions).");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Class_is_sealed(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        Assert.True(cmdlet.IsSealed, $"{name}: make {cmdlet.ClassName} sealed.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Names_a_default_parameter_set_when_it_has_several(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        if (cmdlet.ParameterSets.Count < 2) return;
        Assert.True(cmdlet.DefaultParameterSetName is { Length: > 0 } set && cmdlet.ParameterSets.Contains(set),
            $"{name}: it has the parameter sets {string.Join(", ", cmdlet.ParameterSets)}; set DefaultParameterSetName in its [Cmdlet] attribute to one of them.");
    }

    [Fact]
    public void Manifest_exports_exactly_the_cmdlets_of_the_assembly()
    {
        var listed = ManifestText.Strings(File.ReadAllText(ModuleFiles.Manifest), "CmdletsToExport");
        Assert.True(listed is not null, "module/HeitzSync.psd1 has no CmdletsToExport = @( ... ): list every cmdlet by name.");
        var built = CmdletCatalog.Cmdlets.Select(c => c.Name).ToList();
        var missing = built.Except(listed!).ToList();
        var unknown = listed!.Except(built).ToList();
        Assert.True(missing.Count == 0, $"Add to CmdletsToExport in module/HeitzSync.psd1: {string.Join(", ", missing)} (they are in the assembly but not exported).");
        Assert.True(unknown.Count == 0, $"Remove from CmdletsToExport in module/HeitzSync.psd1, or build them: {string.Join(", ", unknown)} (no such cmdlet in the assembly).");
        Assert.True(listed.Distinct().Count() == listed.Count, "CmdletsToExport in module/HeitzSync.psd1 lists a cmdlet twice.");
    }

    [Fact]
    public void Manifest_exports_no_functions_variables_or_aliases_by_wildcard_and_points_at_the_assembly()
    {
        var manifest = File.ReadAllText(ModuleFiles.Manifest);
        foreach (var key in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" })
        {
            var values = ManifestText.Strings(manifest, key);
            Assert.True(values is { Count: 0 }, $"module/HeitzSync.psd1: set {key} = @() (explicit and empty, never '*', so PowerShell need not load the module to know its commands).");
        }
        Assert.Equal(new[] { "HeitzSync.PowerShell.dll" }, ManifestText.Strings(manifest, "RootModule"));
        foreach (var format in ManifestText.Strings(manifest, "FormatsToProcess") ?? Array.Empty<string>())
        {
            Assert.True(File.Exists(Path.Combine(ModuleFiles.RepositoryRoot, "module", format)), $"module/HeitzSync.psd1 lists FormatsToProcess '{format}', which is not in module/.");
        }
        Assert.Equal(new[] { "Desktop", "Core" }, ManifestText.Strings(manifest, "CompatiblePSEditions"));
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Output_types_of_the_module_have_a_view_in_the_format_file(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        var viewed = XDocument.Load(ModuleFiles.FormatFile).Descendants("TypeName").Select(t => t.Value.Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var type in cmdlet.OutputTypes.Where(t => t.StartsWith("HeitzSync.", StringComparison.Ordinal)))
        {
            Assert.True(viewed.Contains(type), $"{name}: its output type {type} has no view in module/HeitzSync.Format.ps1xml; add a <View> with <TypeName>{type}</TypeName>.");
        }
    }

    [Fact]
    public void Default_table_views_fit_120_columns_and_leave_the_last_column_room()
    {
        const int console = 120, lastColumn = 30;
        foreach (var view in XDocument.Load(ModuleFiles.FormatFile).Descendants("View").Where(v => v.Element("TableControl") is not null))
        {
            var name = view.Element("Name")!.Value;
            var headers = view.Element("TableControl")!.Element("TableHeaders")!.Elements("TableColumnHeader").ToList();
            var widths = headers.Select(h => (int?)h.Element("Width")).ToList();
            // Columns are separated by one space; the last column, without a width, takes what is left.
            var used = widths.Sum(w => w ?? 0) + headers.Count - 1;
            Assert.True(widths.Take(widths.Count - 1).All(w => w is not null), $"{name}: give every column but the last a <Width> in module/HeitzSync.Format.ps1xml.");
            var left = console - used;
            Assert.True(widths[^1] is { } last ? used <= console : left >= lastColumn,
                $"{name}: its columns take {used} of {console} characters, leaving {left} for '{headers[^1].Element("Label")?.Value}'; narrow or drop columns (Format-Table * shows them all) until it has {lastColumn}.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Has_a_help_page_in_PlatyPS_format(string name)
    {
        var page = HelpPage.For(name);
        Assert.True(page is not null, $"{name}: write docs/en-US/{name}.md (PlatyPS format: SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS, OUTPUTS).");
        Assert.True(Regex.IsMatch(page!.Text, @"\A---\n(.*\n)*?schema: 2\.0\.0\n(.*\n)*?---", RegexOptions.None),
            $"{name}: docs/en-US/{name}.md must start with PlatyPS's front matter (--- external help file: HeitzSync.PowerShell.dll-Help.xml, Module Name: HeitzSync, schema: 2.0.0 ---).");
        Assert.Contains("external help file: HeitzSync.PowerShell.dll-Help.xml", page.Text);
        Assert.True(page.Text.Contains("\n# " + name + "\n"), $"{name}: docs/en-US/{name}.md must have the title '# {name}'.");
        foreach (var section in new[] { "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS" })
        {
            Assert.True(page.Sections.Contains(section), $"{name}: docs/en-US/{name}.md has no '## {section}' section; add it.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void README_and_about_HeitzSync_name_the_cmdlet(string name)
    {
        var readme = File.ReadAllText(Path.Combine(ModuleFiles.RepositoryRoot, "README.md"));
        Assert.True(readme.Contains($"[{name}](docs/en-US/{name}.md)"), $"{name}: link its page from README.md's Documentation list: [{name}](docs/en-US/{name}.md).");
        var about = File.ReadAllText(Path.Combine(ModuleFiles.DocsFolder, "about_HeitzSync.md"));
        Assert.True(Regex.IsMatch(about, $@"\b{Regex.Escape(name)}\b"), $"{name}: name it in docs/en-US/about_HeitzSync.md (at least in SEE ALSO).");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_has_at_least_two_examples(string name)
    {
        var page = HelpPage.For(name) ?? throw new InvalidOperationException($"{name}: docs/en-US/{name}.md is missing.");
        Assert.True(page.Examples >= 2, $"{name}: docs/en-US/{name}.md has {page.Examples} example(s); add real ones until there are at least two ('### Example 1: ...').");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_documents_every_parameter_with_its_type(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        var page = HelpPage.For(name) ?? throw new InvalidOperationException($"{name}: docs/en-US/{name}.md is missing.");
        var expected = cmdlet.Parameters.Select(p => (p.Name, p.TypeName)).ToList();
        if (cmdlet.SupportsShouldProcess)
        {
            expected.Add(("WhatIf", "SwitchParameter"));
            expected.Add(("Confirm", "SwitchParameter"));
        }
        foreach (var (parameter, type) in expected)
        {
            Assert.True(page.Parameters.TryGetValue(parameter, out var block),
                $"{name}: docs/en-US/{name}.md has no '### -{parameter}' section; document the parameter (description, then the yaml block with Type, Required, Accept pipeline input).");
            Assert.True(Regex.IsMatch(block!, $@"(?m)^Type: {Regex.Escape(type)}\s*$"),
                $"{name}: the '### -{parameter}' section of docs/en-US/{name}.md must say 'Type: {type}' in its yaml block.");
            foreach (var field in new[] { "Required:", "Position:", "Accept pipeline input:" })
            {
                Assert.True(block!.Contains(field), $"{name}: the '### -{parameter}' section of docs/en-US/{name}.md lacks '{field}' in its yaml block.");
            }
        }
        var documented = page.Parameters.Keys.Except(expected.Select(e => e.Name), StringComparer.OrdinalIgnoreCase).ToList();
        Assert.True(documented.Count == 0, $"{name}: docs/en-US/{name}.md documents parameters the cmdlet does not have: {string.Join(", ", documented)}; remove them.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_names_the_output_type(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        var page = HelpPage.For(name) ?? throw new InvalidOperationException($"{name}: docs/en-US/{name}.md is missing.");
        var outputs = page.Text.Substring(page.Text.IndexOf("\n## OUTPUTS", StringComparison.Ordinal) is var i and >= 0 ? i : 0);
        foreach (var type in cmdlet.OutputTypes)
        {
            Assert.True(outputs.Contains("### " + type), $"{name}: the OUTPUTS section of docs/en-US/{name}.md must have '### {type}'.");
        }
    }
}
