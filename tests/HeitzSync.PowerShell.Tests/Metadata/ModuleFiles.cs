using System.Reflection;

namespace HeitzSync.PowerShell.Tests.Metadata;

/// <summary>
/// Where the built cmdlet assembly, the repository and the reference assemblies are: written into this test assembly
/// by the project file (HzLocateCmdletAssembly), so the tests read the same build they were built with.
/// </summary>
internal static class ModuleFiles
{
    public static string CmdletAssembly => Existing(File.Exists, Metadata("HzCmdletAssembly"),
        "the built HeitzSync.PowerShell.dll is missing: build tests/HeitzSync.PowerShell.Tests (it builds the cmdlet project first)");

    public static string RepositoryRoot => Existing(Directory.Exists, Metadata("HzRepositoryRoot"), "the repository folder is missing");

    public static string Manifest => Existing(File.Exists, Path.Combine(RepositoryRoot, "module", "HeitzSync.psd1"), "module/HeitzSync.psd1 is missing");

    public static string FormatFile => Existing(File.Exists, Path.Combine(RepositoryRoot, "module", "HeitzSync.Format.ps1xml"), "module/HeitzSync.Format.ps1xml is missing");

    public static string DocsFolder => Path.Combine(RepositoryRoot, "docs", "en-US");

    /// <summary>PowerShellStandard.Library's reference System.Management.Automation.dll folder.</summary>
    public static string PowerShellReference => Existing(Directory.Exists, Metadata("HzPowerShellReference"),
        "PowerShellStandard.Library was not restored: run dotnet restore");

    /// <summary>The netstandard2.0 reference assemblies (NETStandard.Library, restored by the netstandard2.0 projects), highest version.</summary>
    public static string NetStandardReference
    {
        get
        {
            var root = Path.Combine(Metadata("HzNuGetPackageRoot"), "netstandard.library");
            var folder = Directory.Exists(root)
                ? Directory.GetDirectories(root)
                    .Select(d => (Folder: Path.Combine(d, "build", "netstandard2.0", "ref"), Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
                    .Where(c => File.Exists(Path.Combine(c.Folder, "netstandard.dll")))
                    .OrderByDescending(c => c.Version)
                    .Select(c => c.Folder)
                    .FirstOrDefault()
                : null;
            return folder ?? throw new InvalidOperationException(
                $"No netstandard2.0 reference assemblies under {root}: restore the solution (the netstandard2.0 projects bring NETStandard.Library).");
        }
    }

    private static string Metadata(string key) =>
        typeof(ModuleFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The test assembly has no {key}: the HzLocateCmdletAssembly target of HeitzSync.PowerShell.Tests.csproj did not run.");

    private static string Existing(Func<string, bool> exists, string path, string problem) =>
        exists(path) ? path : throw new InvalidOperationException($"{path}: {problem}.");
}
