using System.Reflection;

namespace HeitzSync.Core.Night;

/// <summary>The module version every package and siege.json carries (all nodes must run compatible versions).</summary>
public static class ModuleInfo
{
    public static string Version { get; } =
        typeof(ModuleInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ModuleInfo).Assembly.GetName().Version?.ToString(3)
        ?? "0.0.0";
}

/// <summary>Where a long step is, for Write-Progress and the console.</summary>
public readonly record struct SyncProgress(string Activity, string Status, int PercentComplete);
