using System.Diagnostics;
using HeitzSync.Testing;

namespace HeitzSync.Cli.Tests;

/// <summary>One finished hzsync process.</summary>
public sealed record HzsyncResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>Runs <c>dotnet hzsync.dll &lt;arguments&gt;</c> (built beside the tests through the project reference), as cron would.</summary>
public static class Hzsync
{
    public static HzsyncResult Run(params string[] arguments) => RunWithInput(null, arguments);

    /// <summary>Runs hzsync with <paramref name="input"/> on its standard input (redirected, then closed), or the test
    /// host's own standard input when null.</summary>
    public static HzsyncResult RunWithInput(string? input, params string[] arguments)
    {
        var start = HzsyncCommand.StartInfo(arguments);
        start.RedirectStandardInput = input is not null;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("hzsync did not start.");
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"hzsync {string.Join(" ", arguments)} did not end within 120 s.");
        }
        process.WaitForExit();
        return new HzsyncResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
