using System.Management.Automation;
using System.Reflection;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// Lets the module's own dependencies (System.Text.Json, System.Memory...) load from the module folder whatever
/// version another assembly asks for. Windows PowerShell 5.1 has no binding redirects for a module, so a request
/// for, say, System.Runtime.CompilerServices.Unsafe 4.0.4.1 when 6.0.0.0 ships would otherwise fail. Only names
/// whose file is in the module folder are answered; everything else is left to the runtime.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static int _installed;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        if (string.IsNullOrEmpty(name)) return null;
        var candidate = Path.Combine(ModuleFolder, name + ".dll");
        if (!File.Exists(candidate)) return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => !a.IsDynamic && string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
        return loaded ?? Assembly.LoadFrom(candidate);
    }
}
