using System.Diagnostics;
using System.Globalization;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>Plain commands the suite needs around hzsync: mount, umount, isql-fb (under faketime), and a look at /proc.</summary>
public static class Shell
{
    public sealed record Result(int ExitCode, string Output);

    public static Result Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(" ", arguments)} did not end within 60 s.");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Mounts a tmpfs over <paramref name="folder"/> (root only; a failure fails the test, it never skips).</summary>
    public static void MountTmpfs(string folder, string options)
    {
        Directory.CreateDirectory(folder);
        var result = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", folder);
        Assert.True(result.ExitCode == 0,
            $"mount -t tmpfs -o {options} failed on {folder} (exit {result.ExitCode}): {result.Output.Trim()}. The fault suite runs as root (as CI does) to mount small or read-only file systems.");
    }

    public static void Unmount(string folder)
    {
        var result = Run("umount", folder);
        Assert.True(result.ExitCode == 0, $"umount {folder} failed (exit {result.ExitCode}): {result.Output.Trim()}");
    }

    /// <summary>Runs SQL on an embedded database with isql-fb, stopping at the first error, optionally with a clock that far off.</summary>
    public static void Isql(string database, string sql, string? clockOffset = null)
    {
        var script = Path.Combine(Path.GetTempPath(), "hz-fault-" + Guid.NewGuid().ToString("N") + ".sql");
        File.WriteAllText(script, "SET BAIL ON;\n" + sql + "\nCOMMIT;\n");
        try
        {
            var isql = new[] { "-q", "-b", "-ch", "UTF8", "-user", "SYSDBA", database, "-i", script };
            var result = clockOffset is null ? Run("isql-fb", isql) : Run("faketime", new[] { "-f", clockOffset, "isql-fb" }.Concat(isql).ToArray());
            Assert.True(result.ExitCode == 0 && !result.Output.Contains("Statement failed", StringComparison.Ordinal),
                $"isql-fb on {database} failed (exit {result.ExitCode}): {result.Output.Trim()}");
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>, with their command names (from /proc).</summary>
    public static IReadOnlyList<(int Pid, string Name)> Children(int parent)
    {
        var found = new List<(int, string)>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) != parent) continue;
                var open = stat.IndexOf('(');
                found.Add((pid, stat[(open + 1)..close]));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }

    public static bool IsRunning(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));
}
