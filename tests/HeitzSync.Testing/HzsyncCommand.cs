using System.Diagnostics;
using System.Text;
using HeitzSync.Core;

namespace HeitzSync.Testing;

/// <summary>
/// The real console front as cron or an RMM tool starts it: <c>dotnet hzsync.dll &lt;arguments&gt;</c>, with hzsync.dll
/// built beside the tests (each test project that starts it references HeitzSync.Cli). The one place that knows how a
/// test starts hzsync; each suite's harness adds what it reads from the process.
/// </summary>
public static class HzsyncCommand
{
    /// <summary>The dotnet host: the one running these tests when it is dotnet, else dotnet from PATH.</summary>
    public static string DotnetHost =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>hzsync.dll beside the tests, or the build named by <c>HZSYNC_DLL</c> (e.g. the main branch's, to see a
    /// test fail before its fix).</summary>
    public static string Dll
    {
        get
        {
            var dll = Environment.GetEnvironmentVariable("HZSYNC_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "hzsync.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException($"hzsync.dll is not beside the tests ({AppContext.BaseDirectory}): build the solution (the test project references HeitzSync.Cli).");
            return dll;
        }
    }

    /// <summary>
    /// How to start hzsync with <paramref name="arguments"/>: standard output and error redirected (UTF-8), and an
    /// environment of its own: the test process's fault-injection variables and HEITZSYNC_CONFIG never reach the child;
    /// <paramref name="environment"/> (e.g. a fault point for this process only) is set on top.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo
        {
            FileName = DotnetHost,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove(FaultPoints.AtVariable);
        start.Environment.Remove(FaultPoints.AfterVariable);
        start.Environment.Remove(FaultPoints.ModeVariable);
        start.Environment.Remove(FaultPoints.HoldVariable);
        start.Environment.Remove("HEITZSYNC_CONFIG");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var pair in environment ?? new Dictionary<string, string>()) start.Environment[pair.Key] = pair.Value;
        return start;
    }
}
