using System.Diagnostics;
using System.Text;

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
        // HZSYNC_DLL runs another build of hzsync (e.g. the main branch's, to see a test fail before its fix).
        var dll = Environment.GetEnvironmentVariable("HZSYNC_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "hzsync.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"hzsync.dll is not beside the tests ({AppContext.BaseDirectory}).");
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            RedirectStandardInput = input is not null,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("HEITZSYNC_CONFIG");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
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
