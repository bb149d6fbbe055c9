using System.Diagnostics;
using HeitzSync.Core;
using HeitzSync.Testing;

namespace HeitzSync.Customer.Tests.Chain;

/// <summary>One finished hzsync process, as cron or an RMM tool sees it.</summary>
public sealed record HzsyncExit(string Command, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Exit code of a process ended by SIGKILL, as .NET reports it on Linux (128 + 9).</summary>
    public const int SigKill = 137;

    /// <summary>The fault point the process killed itself at, or null.</summary>
    public string? KilledAt => Stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(FaultPoints.Marker, StringComparison.Ordinal))?.Substring(FaultPoints.Marker.Length);

    public override string ToString() => $"hzsync {Command}: exit {ExitCode}; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>Runs the real console front, <c>dotnet hzsync.dll ...</c>, built beside the tests (project reference).</summary>
public static class HzsyncProcess
{
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        Process.Start(HzsyncCommand.StartInfo(arguments, environment)) ?? throw new InvalidOperationException("hzsync did not start.");

    /// <summary>Waits for a started process (killed, and the test failed, past <paramref name="timeout"/>).</summary>
    public static async Task<HzsyncExit> FinishAsync(Process process, string command, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"hzsync {command} did not end within {timeout.TotalSeconds:0} s and was killed. Output: {await stdout} {await stderr}");
        }
        return new HzsyncExit(command, process.ExitCode, await stdout, await stderr);
    }

    public static async Task<HzsyncExit> RunAsync(params string[] arguments)
    {
        using var process = Start(arguments);
        return await FinishAsync(process, string.Join(" ", arguments), TimeSpan.FromSeconds(120));
    }
}
