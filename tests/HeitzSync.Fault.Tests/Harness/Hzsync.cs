using System.Diagnostics;
using HeitzSync.Core;
using HeitzSync.Testing;

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

    /// <param name="environment">Variables for this process only (e.g. the fault variables); the fault variables of the
    /// test process itself never reach a child.</param>
    /// <param name="clockOffset">A libfaketime offset such as <c>+2h</c>: the process (and its embedded Firebird engine) sees
    /// a clock that far off.</param>
    public static Process Start(string node, string configPath, string command, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null, string? clockOffset = null)
    {
        var start = HzsyncCommand.StartInfo(new[] { command, "--config", configPath }.Concat(arguments ?? Array.Empty<string>()), environment);
        start.WorkingDirectory = Path.GetDirectoryName(configPath)!;
        if (clockOffset is not null)
        {
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => File.Exists(Path.Combine(p, "faketime"))))
                throw new InvalidOperationException("faketime is not installed: scripts/install-prereqs.sh installs it (Debian package faketime).");
            // faketime -f <offset> dotnet hzsync.dll ...
            start.ArgumentList.Insert(0, start.FileName);
            start.ArgumentList.Insert(0, clockOffset);
            start.ArgumentList.Insert(0, "-f");
            start.FileName = "faketime";
        }
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
