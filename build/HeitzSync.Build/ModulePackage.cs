using System.IO.Compression;
using System.Text;
using System.Xml.Linq;

namespace HeitzSync.Build;

/// <summary>
/// Packs an assembled module as the .nupkg a PowerShell repository serves, in the layout Publish-PSResource and
/// Publish-Module produce: the module's files at the package root (the manifest among them), a .nuspec whose id,
/// version, authors, description, license, release notes and tags come from the manifest (tags: the manifest's, plus
/// PSModule, PSIncludes_Cmdlet and PSCmdlet_/PSCommand_ per exported cmdlet, which Find-PSResource -CommandName
/// searches), and the OPC parts NuGet writes ([Content_Types].xml, _rels/.rels, the core properties).
/// Register-PSResourceRepository -Uri &lt;folder&gt; with the file in the folder, then Install-PSResource installs it.
/// </summary>
internal static class ModulePackage
{
    private static readonly XNamespace Nuspec = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd";
    private static readonly XNamespace ContentTypes = "http://schemas.openxmlformats.org/package/2006/content-types";
    private static readonly XNamespace Relationships = "http://schemas.openxmlformats.org/package/2006/relationships";
    private static readonly XNamespace CoreProperties = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties";
    private static readonly XNamespace Dc = "http://purl.org/dc/elements/1.1/";
    private static readonly XNamespace DcTerms = "http://purl.org/dc/terms/";

    /// <summary>Writes <c>&lt;id&gt;.&lt;version&gt;.nupkg</c> of the module in <paramref name="moduleFolder"/> into <paramref name="packageFolder"/>; returns its path.</summary>
    public static string Write(string moduleFolder, string packageFolder)
    {
        var manifestPath = Path.Combine(moduleFolder, ModuleAssembler.ManifestFile);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"{moduleFolder} holds no {ModuleAssembler.ManifestFile}: assemble the module first.", manifestPath);
        var manifest = File.ReadAllText(manifestPath);
        var id = Path.GetFileNameWithoutExtension(manifestPath);
        var version = Required(manifest, "ModuleVersion");
        var nuspec = NuspecDocument(id, version, manifest);

        Directory.CreateDirectory(packageFolder);
        var path = Path.Combine(Path.GetFullPath(packageFolder), $"{id}.{version}.nupkg");
        if (File.Exists(path)) File.Delete(path);
        var files = Directory.GetFiles(moduleFolder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Part: Path.GetRelativePath(moduleFolder, f).Replace('\\', '/')))
            .OrderBy(f => f.Part, StringComparer.Ordinal)
            .ToList();
        var properties = $"package/services/metadata/core-properties/{Guid.NewGuid():N}.psmdcp";
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            Add(zip, "_rels/.rels", RelationshipsDocument(id, properties));
            Add(zip, id + ".nuspec", nuspec);
            foreach (var (full, part) in files)
            {
                var entry = zip.CreateEntry(EscapePart(part), CompressionLevel.Optimal);
                using var target = entry.Open();
                using var source = File.OpenRead(full);
                source.CopyTo(target);
            }
            Add(zip, properties, CorePropertiesDocument(id, version, manifest));
            Add(zip, "[Content_Types].xml", ContentTypesDocument(files.Select(f => f.Part)));
        }
        return path;
    }

    /// <summary>The .nuspec: what a PowerShell repository shows and searches (Find-PSResource, the gallery's page).</summary>
    internal static XDocument NuspecDocument(string id, string version, string manifest)
    {
        var cmdlets = ManifestText.Strings(manifest, "CmdletsToExport") ?? Array.Empty<string>();
        var tags = (ManifestText.Strings(manifest, "Tags") ?? Array.Empty<string>())
            .Concat(new[] { "PSModule", "PSIncludes_Cmdlet" })
            .Concat(cmdlets.SelectMany(c => new[] { "PSCmdlet_" + c, "PSCommand_" + c }))
            .Distinct(StringComparer.OrdinalIgnoreCase);
        var metadata = new XElement(Nuspec + "metadata",
            new XElement(Nuspec + "id", id),
            new XElement(Nuspec + "version", version),
            new XElement(Nuspec + "authors", Required(manifest, "Author")),
            new XElement(Nuspec + "owners", ManifestText.String(manifest, "CompanyName") ?? Required(manifest, "Author")),
            new XElement(Nuspec + "requireLicenseAcceptance", "false"));
        if (ManifestText.String(manifest, "LicenseUri") is { Length: > 0 } license) metadata.Add(new XElement(Nuspec + "licenseUrl", license));
        if (ManifestText.String(manifest, "ProjectUri") is { Length: > 0 } project) metadata.Add(new XElement(Nuspec + "projectUrl", project));
        metadata.Add(new XElement(Nuspec + "description", Required(manifest, "Description")));
        if (ManifestText.String(manifest, "ReleaseNotes") is { Length: > 0 } notes) metadata.Add(new XElement(Nuspec + "releaseNotes", notes));
        if (ManifestText.String(manifest, "Copyright") is { Length: > 0 } copyright) metadata.Add(new XElement(Nuspec + "copyright", copyright));
        metadata.Add(new XElement(Nuspec + "tags", string.Join(" ", tags)));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement(Nuspec + "package", metadata));
    }

    private static XDocument RelationshipsDocument(string id, string properties) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Relationships + "Relationships",
                new XElement(Relationships + "Relationship",
                    new XAttribute("Type", "http://schemas.microsoft.com/packaging/2010/07/manifest"),
                    new XAttribute("Target", "/" + id + ".nuspec"),
                    new XAttribute("Id", "R" + Guid.NewGuid().ToString("N").Substring(0, 16).ToUpperInvariant())),
                new XElement(Relationships + "Relationship",
                    new XAttribute("Type", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"),
                    new XAttribute("Target", "/" + properties),
                    new XAttribute("Id", "R" + Guid.NewGuid().ToString("N").Substring(0, 16).ToUpperInvariant()))));

    private static XDocument CorePropertiesDocument(string id, string version, string manifest) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(CoreProperties + "coreProperties",
                new XAttribute(XNamespace.Xmlns + "dc", Dc),
                new XAttribute(XNamespace.Xmlns + "dcterms", DcTerms),
                new XElement(Dc + "creator", Required(manifest, "Author")),
                new XElement(Dc + "description", Required(manifest, "Description")),
                new XElement(Dc + "identifier", id),
                new XElement(CoreProperties + "version", version),
                new XElement(CoreProperties + "keywords", string.Join(" ", ManifestText.Strings(manifest, "Tags") ?? Array.Empty<string>())),
                new XElement(CoreProperties + "lastModifiedBy", "HeitzSync build.ps1")));

    private static XDocument ContentTypesDocument(IEnumerable<string> parts)
    {
        var extensions = parts.Select(p => Path.GetExtension(p).TrimStart('.')).Where(e => e.Length > 0)
            .Concat(new[] { "rels", "psmdcp", "nuspec" })
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(e => e, StringComparer.OrdinalIgnoreCase);
        return new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(ContentTypes + "Types", extensions.Select(e => new XElement(ContentTypes + "Default",
                new XAttribute("Extension", e),
                new XAttribute("ContentType", e switch
                {
                    "rels" => "application/vnd.openxmlformats-package.relationships+xml",
                    "psmdcp" => "application/vnd.openxmlformats-package.core-properties+xml",
                    _ => "application/octet",
                })))));
    }

    private static void Add(ZipArchive zip, string part, XDocument document)
    {
        var entry = zip.CreateEntry(part, CompressionLevel.Optimal);
        using var stream = entry.Open();
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        document.Save(writer);
    }

    /// <summary>A part name as NuGet writes it: each segment URI-escaped (a space is %20), '/' between them.</summary>
    private static string EscapePart(string part) => string.Join("/", part.Split('/').Select(Uri.EscapeDataString));

    private static string Required(string manifest, string key) =>
        ManifestText.String(manifest, key) is { Length: > 0 } value ? value : throw new InvalidDataException($"The module manifest has no {key}: a package needs it.");
}
