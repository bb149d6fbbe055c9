using System.Reflection;
using System.Runtime.CompilerServices;
using HeitzSync.Core.Configuration;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.MonoCheck;

/// <summary>
/// Stands for Windows PowerShell 5.1 importing the module: installs the module's AssemblyResolve handler for the module
/// folder (args[0]), after "another module" loaded its own copies of shared dependencies (args[1..]), then runs Core's
/// JSON (a configuration saved and loaded) and prints where each shared assembly came from. Exit 0 when Core ran on the
/// module's own copies.
/// </summary>
internal static class Program
{
    private static readonly string[] Shared = { "HeitzSync.Core", "System.Text.Json", "System.Memory", "System.Runtime.CompilerServices.Unsafe", "System.Buffers", "Microsoft.Bcl.AsyncInterfaces", "System.Text.Encodings.Web" };

    private static int Main(string[] args)
    {
        var folder = Path.GetFullPath(args[0]);
        foreach (var other in args.Skip(1))
        {
            var first = Assembly.LoadFrom(other);
            Console.WriteLine($"another module loaded first: {first.GetName().Name} {first.GetName().Version} from {first.Location}");
        }
        ModuleAssemblyResolver.Install(folder);
        try
        {
            var byName = LoadByName(folder);
            return Run(folder) == 0 && byName ? 0 : 1;
        }
        catch (Exception ex)
        {
            Console.WriteLine($"FAILED: {ex.GetType().FullName}: {ex.Message}");
            return 1;
        }
        finally
        {
            foreach (var a in AppDomain.CurrentDomain.GetAssemblies().Where(a => Array.IndexOf(Shared, a.GetName().Name) >= 0).OrderBy(a => a.GetName().Name))
            {
                Console.WriteLine($"loaded: {a.GetName().Name} {a.GetName().Version} from {a.Location}");
            }
        }
    }

    /// <summary>
    /// A request by name (what a script's type literal or a deserializer makes) binds in the load context, where the
    /// module folder is not probed: the handler answers it, with the module's own copy even when another module loaded
    /// an older one first. Asked before Core loads anything, so no copy of the module's is loaded yet.
    /// </summary>
    private static bool LoadByName(string folder)
    {
        var answered = true;
        foreach (var name in new[] { "System.Memory", "System.Runtime.CompilerServices.Unsafe", "System.Text.Json" })
        {
            var shipped = AssemblyName.GetAssemblyName(Path.Combine(folder, name + ".dll"));
            var got = Assembly.Load(shipped.FullName);
            var ours = string.Equals(Path.GetDirectoryName(got.Location), folder, StringComparison.OrdinalIgnoreCase);
            Console.WriteLine($"Assembly.Load({name} {shipped.Version}): {got.GetName().Version} from {got.Location}{(ours ? "" : " <- NOT the module's copy")}");
            answered &= ours;
        }
        return answered;
    }

    // Not inlined: HeitzSync.Core (and through it System.Text.Json...) is bound when this method is compiled, after the
    // handler is installed, as the module's types are after OnImport.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Run(string folder)
    {
        var path = Path.Combine(Path.GetTempPath(), "hz-mono-" + Guid.NewGuid().ToString("N"), "heitzsync.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            HzSyncConfigStore.Save(new HzSyncConfig
            {
                Role = NodeRole.Site,
                Site = new SiteIdentity { Code = "LYON01", Number = 2 },
                Database = new DatabaseConfig { Path = "LYON01.fdb" },
                Drop = new DropConfig { Kind = DropKind.Folder, Path = "drop" },
            }, path);
            var loaded = HzSyncConfigStore.Load(path);
            Console.WriteLine($"Core's JSON ran: configuration of {loaded.Site.Code} ({loaded.Role}) saved and loaded back");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
        // The System.Text.Json Core's serializer options belong to: the module's copy, not another module's.
        var options = typeof(HzSyncConfigStore).Assembly.GetType("HeitzSync.Core.Reports.ReportStore")!
            .GetField("Json", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        var json = options.GetType().Assembly;
        var own = string.Equals(Path.GetDirectoryName(json.Location), folder, StringComparison.OrdinalIgnoreCase);
        Console.WriteLine($"Core's System.Text.Json: {json.GetName().Version} from {json.Location} ({(own ? "the module's own copy" : "NOT the module's copy")})");

        return own ? 0 : 1;
    }
}

