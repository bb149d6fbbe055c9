using System.Diagnostics;
using HeitzSync.Core.Runs;

namespace HeitzSync.Core.Tests.Runs;

/// <summary>
/// Another process that takes the real <see cref="RunLock"/>: a tiny program compiled once with the SDK's own C#
/// compiler against the HeitzSync.Core.dll under test, run with the dotnet host. It prints "LOCKED &lt;pid&gt;" once it
/// holds the lock, and releases it (Dispose) and exits when its standard input closes; or it is killed.
/// </summary>
internal sealed class LockHolderProcess : IDisposable
{
    private const string Source = """
        using System;
        using HeitzSync.Core.Runs;

        internal static class Program
        {
            private static int Main(string[] args)
            {
                try
                {
                    using (var runLock = RunLock.Acquire(args[0], args[1]))
                    {
                        Console.WriteLine("LOCKED " + runLock.Holder.ProcessId);
                        Console.Out.Flush();
                        Console.In.ReadToEnd();
                    }
                    return 0;
                }
                catch (RunLockedException ex)
                {
                    Console.WriteLine("REFUSED " + ex.Message);
                    return 3;
                }
            }
        }
        """;

    private static readonly Lazy<string> Program = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;

    private LockHolderProcess(Process process, string firstLine)
    {
        _process = process;
        FirstLine = firstLine;
    }

    public int Id => _process.Id;

    /// <summary>"LOCKED &lt;pid&gt;" or "REFUSED &lt;message&gt;".</summary>
    public string FirstLine { get; }

    public bool HasExited => _process.HasExited;

    public static LockHolderProcess Start(string workFolder, string operation)
    {
        var start = new ProcessStartInfo(DotnetHost(), $"\"{Program.Value}\" \"{workFolder}\" {operation}")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("The lock holder process did not start.");
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            throw new InvalidOperationException("The lock holder process did not report within 60 s: " + process.StandardError.ReadToEnd());
        }
        return new LockHolderProcess(process, line.Result);
    }

    /// <summary>Closes its standard input: it disposes the lock and exits normally.</summary>
    public int Release()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(30_000)) throw new TimeoutException("The lock holder did not exit after its input closed.");
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no dispose, no finally, as a power cut or kill -9 leaves it.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(30_000);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>Compiles the holder beside copies of the assemblies under test; fails (never skips) when the SDK is missing.</summary>
    private static string Compile()
    {
        var dotnetRoot = DotnetRoot();
        var csc = Directory.Exists(Path.Combine(dotnetRoot, "sdk"))
            ? Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk")).Select(d => Path.Combine(d, "Roslyn", "bincore", "csc.dll")).Where(File.Exists)
                .OrderByDescending(p => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(p))))?.Split('-')[0], out var v) ? v : new Version())
                .FirstOrDefault()
            : null;
        var refs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var referenceFolder = Directory.Exists(refs)
            ? Directory.GetDirectories(refs).Where(d => Path.GetFileName(d).StartsWith(Environment.Version.Major + ".", StringComparison.Ordinal))
                .Select(d => Path.Combine(d, "ref", "net" + Environment.Version.Major + ".0")).Where(Directory.Exists).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (csc is null || referenceFolder is null)
        {
            throw new InvalidOperationException($"The run lock tests need the .NET SDK's C# compiler and reference assemblies under {dotnetRoot} (sdk/*/Roslyn/bincore/csc.dll, packs/Microsoft.NETCore.App.Ref): install the .NET {Environment.Version.Major} SDK.");
        }

        var folder = Path.Combine(Path.GetTempPath(), "hz-lock-holder-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { } };
        foreach (var assembly in new[] { "HeitzSync.Core.dll", "HeitzSync.Firebird.dll" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, assembly), Path.Combine(folder, assembly));
        }
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Source);
        var output = Path.Combine(folder, "lockholder.dll");
        var arguments = new List<string> { csc, "-nologo", "-target:exe", "-nullable:disable", "-out:" + output };
        arguments.AddRange(Directory.GetFiles(referenceFolder, "*.dll").Select(r => "-r:" + r));
        arguments.Add("-r:" + Path.Combine(folder, "HeitzSync.Core.dll"));
        arguments.Add(Path.Combine(folder, "Program.cs"));
        var start = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var compiler = Process.Start(start)!;
        var stdout = compiler.StandardOutput.ReadToEndAsync();
        var stderr = compiler.StandardError.ReadToEnd();
        compiler.WaitForExit();
        if (compiler.ExitCode != 0) throw new InvalidOperationException($"Compiling the lock holder failed: {stdout.Result} {stderr}");
        File.WriteAllText(Path.Combine(folder, "lockholder.runtimeconfig.json"),
            $$"""{ "runtimeOptions": { "tfm": "net{{Environment.Version.Major}}.0", "framework": { "name": "Microsoft.NETCore.App", "version": "{{Environment.Version.Major}}.0.0" } } }""");
        return output;
    }

    private static string DotnetRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        var host = DotnetHost();
        if (!Path.IsPathRooted(host))
        {
            host = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(p => Path.Combine(p, "dotnet")).FirstOrDefault(File.Exists) ?? host;
        }
        var resolved = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
        return Path.GetDirectoryName(resolved)!;
    }
}
