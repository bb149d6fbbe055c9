using System.Diagnostics;
using System.Text;
using HeitzSync.Core;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>One finished hzsync process: what a scheduler would see of it.</summary>
public sealed record HzsyncRun(string Node, string Command, int ExitCode, string Stdout, string Stderr, TimeSpan Duration)
{
    /// <summary>The fault point the process killed itself at (its last words on standard error), or null.</summary>
    public string? KilledAt =>
        Stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(FaultPoints.Marker, StringComparison.Ordinal))?.Substring(FaultPoints.Marker.Length);

    /// <summary>Exit code of a process ended by SIGKILL, as .NET reports it on Linux (128 + 9).</summary>
    public const int SigKillExitCode = 137;

    public string Summary => Stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";

    public override string ToString()
    {
        var errors = string.Join(" | ", Stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(6));
        return $"{Node} {Command}: exit {ExitCode} in {Duration.TotalSeconds:0.0} s; {Summary}" + (errors.Length > 0 ? $" [stderr: {errors}]" : "");
    }
}

/// <summary>
/// Runs the real console front, <c>dotnet hzsync.dll &lt;command&gt; --config &lt;file&gt;</c>, as a child process (built with
/// this project through its reference to HeitzSync.Cli), the way cron or a scheduled task runs it: one after another.
/// </summary>
public static class Hzsync
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static string Dll
    {
        get
        {
            // HZSYNC_DLL runs another build of hzsync (e.g. the main branch's, to see a test fail before its fix).
            var dll = Environment.GetEnvironmentVariable("HZSYNC_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "hzsync.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException($"hzsync.dll is not beside the tests ({AppContext.BaseDirectory}): build the solution, HeitzSync.Cli is a project reference of HeitzSync.Fault.Tests.");
            return dll;
        }
    }

    /// <summary>The dotnet host: the one running these tests when it is dotnet, else dotnet from PATH.</summary>
    private static string DotnetHost =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <param name="environment">Variables for this process only (e.g. the fault variables); the fault variables of the
    /// test process itself never reach a child.</param>
    /// <param name="clockOffset">A libfaketime offset such as <c>+2h</c>: the process (and its embedded Firebird engine) sees
    /// a clock that far off.</param>
    public static Process Start(string node, string configPath, string command, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null, string? clockOffset = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        if (clockOffset is null)
        {
            start.FileName = DotnetHost;
        }
        else
        {
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => File.Exists(Path.Combine(p, "faketime"))))
                throw new InvalidOperationException("faketime is not installed: scripts/install-prereqs.sh installs it (Debian package faketime).");
            start.FileName = "faketime";
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(clockOffset);
            start.ArgumentList.Add(DotnetHost);
        }
        start.ArgumentList.Add(Dll);
        start.ArgumentList.Add(command);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        foreach (var argument in arguments ?? Array.Empty<string>()) start.ArgumentList.Add(argument);
        start.Environment.Remove(FaultPoints.AtVariable);
        start.Environment.Remove(FaultPoints.AfterVariable);
        start.Environment.Remove(FaultPoints.ModeVariable);
        start.Environment.Remove(FaultPoints.HoldVariable);
        start.Environment.Remove("HEITZSYNC_CONFIG");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var pair in environment ?? new Dictionary<string, string>()) start.Environment[pair.Key] = pair.Value;
        return Process.Start(start) ?? throw new InvalidOperationException($"hzsync {command} for {node} did not start.");
    }

    public static HzsyncRun Run(string node, string configPath, string command, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null, string? clockOffset = null, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        using var process = Start(node, configPath, command, arguments, environment, clockOffset);
        return Finish(node, command, process, watch, timeout ?? DefaultTimeout);
    }

    /// <summary>Collects a started process's output and exit code; a process past <paramref name="timeout"/> is killed and the test fails.</summary>
    public static HzsyncRun Finish(string node, string command, Process process, Stopwatch watch, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"hzsync {command} for {node} did not end within {timeout.TotalSeconds:0} s and was killed. Output: {stdout.Result} {stderr.Result}");
        }
        process.WaitForExit();
        return new HzsyncRun(node, command, process.ExitCode, stdout.Result, stderr.Result, watch.Elapsed);
    }
}
