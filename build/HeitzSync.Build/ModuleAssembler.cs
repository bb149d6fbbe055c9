using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeitzSync.Build;

/// <summary>
/// Assembles the importable module, <c>&lt;output&gt;/HeitzSync/&lt;version&gt;/</c>: the manifest with its
/// ModuleVersion stamped from Directory.Build.props (the one place the version lives), the format file, the scheduled
/// scripts, the cmdlet assembly with its netstandard2.0 dependencies (not System.Management.Automation, which PowerShell
/// provides), and the help compiled from docs/en-US into en-US/.
/// </summary>
internal static class ModuleAssembler
{
    public const string ModuleName = "HeitzSync";
    public const string ManifestFile = "HeitzSync.psd1";
    private const string PowerShellAssembly = "System.Management.Automation.dll";

    /// <summary>The version in Directory.Build.props (&lt;Version&gt;).</summary>
    public static string Version(string repositoryRoot)
    {
        var props = Path.Combine(repositoryRoot, "Directory.Build.props");
        var version = XDocument.Load(props).Descendants("Version").Select(v => v.Value.Trim()).FirstOrDefault(v => v.Length > 0);
        return version ?? throw new InvalidDataException($"{props} has no <Version>: it is where the module version lives.");
    }

    /// <summary>Assembles the module under <paramref name="outputRoot"/> (replacing an earlier build of the same version); returns its folder.</summary>
    public static string Assemble(string repositoryRoot, string binaries, string outputRoot)
    {
        if (!File.Exists(Path.Combine(binaries, "HeitzSync.PowerShell.dll")))
        {
            throw new FileNotFoundException($"The build did not produce HeitzSync.PowerShell.dll in {binaries}.");
        }
        var version = Version(repositoryRoot);
        var module = Path.Combine(Path.GetFullPath(outputRoot), ModuleName, version);
        if (Directory.Exists(module)) Directory.Delete(module, recursive: true);
        Directory.CreateDirectory(module);

        foreach (var assembly in Directory.GetFiles(binaries, "*.dll"))
        {
            if (string.Equals(Path.GetFileName(assembly), PowerShellAssembly, StringComparison.OrdinalIgnoreCase)) continue;
            File.Copy(assembly, Path.Combine(module, Path.GetFileName(assembly)));
        }

        var source = Path.Combine(repositoryRoot, "module");
        var manifest = File.ReadAllText(Path.Combine(source, ManifestFile));
        // UTF-8 with a BOM: Windows PowerShell 5.1 reads a manifest without one as ANSI.
        File.WriteAllText(Path.Combine(module, ManifestFile), StampVersion(manifest, version), new UTF8Encoding(true));
        foreach (var format in Directory.GetFiles(source, "*.ps1xml")) File.Copy(format, Path.Combine(module, Path.GetFileName(format)));
        var scripts = Path.Combine(source, "Scripts");
        if (Directory.Exists(scripts)) CopyFolder(scripts, Path.Combine(module, "Scripts"));

        HelpCompiler.Compile(Path.Combine(repositoryRoot, "docs", "en-US"), Path.Combine(module, "en-US"));
        return module;
    }

    /// <summary>The manifest with <c>ModuleVersion = '&lt;version&gt;'</c>.</summary>
    public static string StampVersion(string manifest, string version)
    {
        var pattern = new Regex(@"(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'");
        if (!pattern.IsMatch(manifest)) throw new InvalidDataException("module/HeitzSync.psd1 has no ModuleVersion = '...' line to stamp.");
        return pattern.Replace(manifest, m => m.Groups[1].Value + "'" + version + "'", 1);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }
}
