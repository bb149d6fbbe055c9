using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>
/// The package build.ps1 -Package makes (the same ModuleAssembler and ModulePackage, from the cmdlet project's build
/// output): the layout a PowerShell repository accepts and Install-PSResource installs, its version from
/// Directory.Build.props, a manifest that loads from the package root, and release notes that are CHANGELOG.md's newest
/// entry.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ModulePackageTests : IClassFixture<ModulePackageTests.BuiltPackage>
{
    private static readonly XNamespace Nuspec = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd";

    /// <summary>The module assembled and packed once into a temporary folder.</summary>
    public sealed class BuiltPackage : IDisposable
    {
        public BuiltPackage()
        {
            Folder = Path.Combine(Path.GetTempPath(), "hz-package-" + Guid.NewGuid().ToString("N"));
            Module = ModuleAssembler.Assemble(ModuleFiles.RepositoryRoot, Path.GetDirectoryName(ModuleFiles.CmdletAssembly)!, Path.Combine(Folder, "output"));
            Path_ = ModulePackage.Write(Module, Path.Combine(Folder, "packages"));
            using var zip = ZipFile.OpenRead(Path_);
            Entries = zip.Entries.Select(e => e.FullName).ToList();
            Texts = zip.Entries.Where(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) || e.FullName.EndsWith(".psd1", StringComparison.Ordinal))
                .ToDictionary(e => e.FullName, e =>
                {
                    using var reader = new StreamReader(e.Open());
                    return reader.ReadToEnd();
                });
        }

        public string Folder { get; }
        public string Module { get; }
        public string Path_ { get; }
        public IReadOnlyList<string> Entries { get; }
        public IReadOnlyDictionary<string, string> Texts { get; }

        public void Dispose()
        {
            if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        }
    }

    private readonly BuiltPackage _package;

    public ModulePackageTests(BuiltPackage package) => _package = package;

    private static string Version => XDocument.Load(Path.Combine(ModuleFiles.RepositoryRoot, "Directory.Build.props")).Descendants("Version").Single().Value.Trim();

    private string Manifest => _package.Texts.TryGetValue("HeitzSync.psd1", out var text)
        ? text
        : throw new InvalidOperationException("The package has no HeitzSync.psd1 at its root.");

    private XElement Metadata => XDocument.Parse(_package.Texts["HeitzSync.nuspec"]).Root!.Element(Nuspec + "metadata")!;

    [Fact]
    public void Is_named_and_versioned_from_Directory_Build_props()
    {
        Assert.Equal($"HeitzSync.{Version}.nupkg", Path.GetFileName(_package.Path_));
        Assert.Equal(new[] { Version }, ManifestText.Strings(Manifest, "ModuleVersion"));
        Assert.Equal("HeitzSync", Metadata.Element(Nuspec + "id")!.Value);
        Assert.Equal(Version, Metadata.Element(Nuspec + "version")!.Value);
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", Version);
    }

    [Fact]
    public void Holds_the_module_at_its_root_with_help_format_scripts_and_dependencies_but_not_PowerShell()
    {
        foreach (var entry in new[]
                 {
                     "HeitzSync.psd1", "HeitzSync.nuspec", "HeitzSync.PowerShell.dll", "HeitzSync.Core.dll", "HeitzSync.Firebird.dll", "System.Text.Json.dll",
                     "en-US/HeitzSync.PowerShell.dll-Help.xml", "en-US/about_HeitzSync.help.txt", "[Content_Types].xml", "_rels/.rels",
                 })
        {
            Assert.True(_package.Entries.Contains(entry), $"The package lacks {entry}: entries are {string.Join(", ", _package.Entries)}.");
        }
        Assert.Contains(_package.Entries, e => Regex.IsMatch(e, @"^package/services/metadata/core-properties/[0-9a-f]+\.psmdcp$"));
        foreach (var script in Directory.GetFiles(Path.Combine(ModuleFiles.RepositoryRoot, "module", "Scripts")))
        {
            Assert.Contains("Scripts/" + Path.GetFileName(script), _package.Entries);
        }
        Assert.DoesNotContain(_package.Entries, e => e.EndsWith("System.Management.Automation.dll", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(_package.Entries, e => e.Contains('\\'));

        // What the manifest needs is in the package beside it: it imports from the folder Install-PSResource makes.
        var root = ManifestText.String(Manifest, "RootModule")!;
        Assert.Contains(root, _package.Entries);
        foreach (var format in ManifestText.Strings(Manifest, "FormatsToProcess") ?? Array.Empty<string>()) Assert.Contains(format, _package.Entries);
        foreach (var types in ManifestText.Strings(Manifest, "TypesToProcess") ?? Array.Empty<string>()) Assert.Contains(types, _package.Entries);
        Assert.Equal(CmdletCatalog.Cmdlets.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal),
            ManifestText.Strings(Manifest, "CmdletsToExport")!.OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void The_nuspec_carries_the_manifest_s_metadata_and_the_tags_a_repository_searches()
    {
        Assert.Equal(ManifestText.String(Manifest, "Author"), Metadata.Element(Nuspec + "authors")!.Value);
        Assert.Equal(ManifestText.String(Manifest, "Description"), Metadata.Element(Nuspec + "description")!.Value);
        var license = ManifestText.String(Manifest, "LicenseUri");
        Assert.True(license is { Length: > 0 } && Uri.TryCreate(license, UriKind.Absolute, out _), "module/HeitzSync.psd1: PrivateData.PSData.LicenseUri must be an absolute URI.");
        Assert.Equal(license, Metadata.Element(Nuspec + "licenseUrl")!.Value);
        Assert.Equal(ManifestText.String(Manifest, "ReleaseNotes"), Metadata.Element(Nuspec + "releaseNotes")!.Value);
        Assert.Equal("false", Metadata.Element(Nuspec + "requireLicenseAcceptance")!.Value);

        var tags = Metadata.Element(Nuspec + "tags")!.Value.Split(' ');
        foreach (var tag in new[] { "PSModule", "PSIncludes_Cmdlet", "PSEdition_Desktop", "PSEdition_Core", "Windows", "Linux", "Firebird" }) Assert.Contains(tag, tags);
        foreach (var cmdlet in CmdletCatalog.Cmdlets)
        {
            Assert.Contains("PSCmdlet_" + cmdlet.Name, tags);
            Assert.Contains("PSCommand_" + cmdlet.Name, tags);
        }
    }

    [Fact]
    public void The_release_notes_are_the_newest_CHANGELOG_entry_for_this_version_and_the_license_is_MIT()
    {
        var changelog = File.ReadAllText(Path.Combine(ModuleFiles.RepositoryRoot, "CHANGELOG.md")).Replace("\r\n", "\n");
        var newest = Regex.Match(changelog, @"(?ms)^## \[?(?<version>[0-9][^\]\s]*)\]?[^\n]*\n(?<body>.*?)(?=^## |\z)");
        Assert.True(newest.Success, "CHANGELOG.md has no '## [version] - date' entry.");
        Assert.Equal(Version, newest.Groups["version"].Value);
        var notes = ManifestText.String(File.ReadAllText(ModuleFiles.Manifest), "ReleaseNotes");
        Assert.True(notes is { Length: > 0 }, "module/HeitzSync.psd1: PrivateData.PSData.ReleaseNotes is empty; copy CHANGELOG.md's newest entry into it.");
        Assert.Equal(Lines(newest.Groups["body"].Value), Lines(notes!));

        var license = File.ReadAllText(Path.Combine(ModuleFiles.RepositoryRoot, "LICENSE"));
        Assert.StartsWith("MIT License", license);
        Assert.Contains("Permission is hereby granted, free of charge", license);
    }

    /// <summary>The non-empty lines, trimmed: the manifest's string and the changelog's entry may be indented differently.</summary>
    private static IReadOnlyList<string> Lines(string text) =>
        text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
