using System.Management.Automation;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// On import, lets the module's own dependencies load from the module folder where the runtime cannot bind them
/// (Windows PowerShell 5.1): see <see cref="ModuleAssemblyResolver"/> for what it answers, and what it leaves alone.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    public void OnImport() => ModuleAssemblyResolver.Install(ModuleFolder);
}
