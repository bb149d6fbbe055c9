using System.Collections.Concurrent;
using System.Reflection;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>The resolver's answer to one request.</summary>
internal enum ResolveAnswer
{
    /// <summary>Not ours to answer: the runtime (or another module's resolver) goes on.</summary>
    None,

    /// <summary>The module's own copy, loaded already: that same assembly.</summary>
    OwnLoadedCopy,

    /// <summary>The module's own copy, loaded from the module folder now.</summary>
    LoadOwnCopy,
}

/// <summary>A dependency the module ships in its folder: its file and its identity, read without loading it.</summary>
internal sealed record ShippedAssembly(string Path, AssemblyName Name);

/// <summary>An assembly the process has loaded already: its identity and where it came from (null: from memory).</summary>
internal sealed record LoadedAssembly(AssemblyName Name, string? Location);

/// <summary>What to answer, and with which assembly (<see cref="Loaded"/> index, or the shipped file).</summary>
internal readonly record struct ResolveDecision(ResolveAnswer Answer, int Loaded = -1);

/// <summary>
/// Lets the module's own dependencies (System.Text.Json, System.Memory...) load from the module folder when the
/// runtime cannot bind them: Windows PowerShell 5.1 has no binding redirects for a module, so a request for, say,
/// System.Runtime.CompilerServices.Unsafe 4.0.4.1 when 6.0.0.0 ships fails there. It answers only with the module's
/// own copy, and only when that copy is not older than the version asked for: never with a copy another module loaded
/// first (an older System.Text.Json there throws MissingMethodException in our calls), never with ours for a request
/// it cannot satisfy (another module asking for a newer one). No PowerShell type here: the decision is tested alone.
/// </summary>
internal static class ModuleAssemblyResolver
{
    private static readonly ConcurrentDictionary<string, ShippedAssembly?> Shipped = new(StringComparer.OrdinalIgnoreCase);
    private static string _folder = "";
    private static int _installed;

    /// <summary>Answers the AppDomain's failed binds from <paramref name="moduleFolder"/> (once per process).</summary>
    public static void Install(string moduleFolder)
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        _folder = moduleFolder;
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    /// <summary>
    /// The decision, from the request, the module's copy of that name (null when it ships none) and what is loaded.
    /// </summary>
    public static ResolveDecision Decide(AssemblyName requested, ShippedAssembly? shipped, IReadOnlyList<LoadedAssembly> loaded)
    {
        if (requested is null) throw new ArgumentNullException(nameof(requested));
        if (loaded is null) throw new ArgumentNullException(nameof(loaded));
        if (shipped is null || !string.Equals(requested.Name, shipped.Name.Name, StringComparison.OrdinalIgnoreCase)) return new(ResolveAnswer.None);
        // Another assembly that merely shares the name (signed by someone else) is not ours to give.
        var wantedToken = requested.GetPublicKeyToken();
        if (wantedToken is { Length: > 0 } && !SameBytes(wantedToken, shipped.Name.GetPublicKeyToken())) return new(ResolveAnswer.None);
        // Ours must be at least the version asked for (a binding redirect only ever goes up).
        if (requested.Version is { } version && shipped.Name.Version is { } ours && version > ours) return new(ResolveAnswer.None);
        var shippedPath = Path.GetFullPath(shipped.Path);
        for (var i = 0; i < loaded.Count; i++)
        {
            if (loaded[i].Location is { Length: > 0 } location
                && string.Equals(loaded[i].Name.Name, shipped.Name.Name, StringComparison.OrdinalIgnoreCase)
                && string.Equals(Path.GetFullPath(location), shippedPath, StringComparison.OrdinalIgnoreCase))
            {
                return new(ResolveAnswer.OwnLoadedCopy, i);
            }
        }
        return new(ResolveAnswer.LoadOwnCopy);
    }

    // A loop, not SequenceEqual: on arrays the compiler may bind that to System.Memory's span overload, and this code
    // runs while System.Memory itself is being resolved.
    private static bool SameBytes(byte[] left, byte[]? right)
    {
        if (right is null || left.Length != right.Length) return false;
        for (var i = 0; i < left.Length; i++)
        {
            if (left[i] != right[i]) return false;
        }
        return true;
    }

    /// <summary>The module's copy of <paramref name="name"/>, its identity read from the file without loading it (cached).</summary>
    internal static ShippedAssembly? ShippedIn(string folder, string name) => Shipped.GetOrAdd(name, n =>
    {
        var path = Path.Combine(folder, n + ".dll");
        if (!File.Exists(path)) return null;
        try
        {
            return new ShippedAssembly(path, AssemblyName.GetAssemblyName(path));
        }
        catch (Exception ex) when (ex is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    });

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var requested = new AssemblyName(args.Name);
        if (string.IsNullOrEmpty(requested.Name)) return null;
        var shipped = ShippedIn(_folder, requested.Name!);
        if (shipped is null) return null;
        var assemblies = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic).ToList();
        var loaded = assemblies.Select(a => new LoadedAssembly(a.GetName(), LocationOf(a))).ToList();
        var decision = Decide(requested, shipped, loaded);
        return decision.Answer switch
        {
            ResolveAnswer.OwnLoadedCopy => assemblies[decision.Loaded],
            ResolveAnswer.LoadOwnCopy => Assembly.LoadFrom(shipped.Path),
            _ => null,
        };
    }

    private static string? LocationOf(Assembly assembly)
    {
        try
        {
            return assembly.Location;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
