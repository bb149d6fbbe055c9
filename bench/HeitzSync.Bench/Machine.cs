using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>What the figures were measured on.</summary>
internal sealed record Machine(int Cores, long MemoryKb, string Cpu, string Kernel, string Dotnet, string Firebird, string Vsftpd, string Curl)
{
    public string Summary => $"{Cores} cores, {MemoryKb / 1024.0 / 1024.0:0.0} GiB, {Cpu}";

    /// <summary>For the results file name: "2core-amd-epyc-24gb".</summary>
    public string ShortName =>
        $"{Cores}core-{Regex.Replace(Cpu.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-')}-{Math.Round(MemoryKb / 1024.0 / 1024.0):0}gb";

    public static Machine Describe() => new(
        Environment.ProcessorCount,
        Field("/proc/meminfo", "MemTotal"),
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown CPU",
        File.Exists("/proc/sys/kernel/osrelease") ? "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        "not read yet",
        "vsftpd " + Shell.FirstLine("dpkg-query", "-W", "-f=${Version}", "vsftpd"),
        Shell.FirstLine("curl", "--version").Split(' ').Take(2).Aggregate((a, b) => a + " " + b));

    /// <summary>The engine's own version (embedded) and the Debian package of the client library.</summary>
    public static string FirebirdVersion(string database)
    {
        using var connection = FbConnection.Open(Chain.Settings(database));
        return $"Firebird {connection.ServerVersion} embedded (libfbclient2 {Shell.FirstLine("dpkg-query", "-W", "-f=${Version}", "libfbclient2")})";
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>
    /// Writes every dirty page of the machine to disk before a timed comparison starts, and says how much there was: the
    /// databases a measure has just made (ten sites of half a gigabyte) are otherwise written back while it runs, and
    /// that write-back falls on whichever side commits most often, not alike on both.
    /// </summary>
    public static void FlushDisks(Action<string> log)
    {
        var dirtyKb = Field("/proc/meminfo", "Dirty") + Field("/proc/meminfo", "Writeback");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Sync();
        log($"  flushed {dirtyKb / 1024.0:N0} MiB of dirty pages to disk in {watch.Elapsed.TotalSeconds:0.0} s before timing");
    }

    [DllImport("libc", EntryPoint = "sync")]
    private static extern void Sync();

    /// <summary>The folder holding HeitzSync.sln, from the current directory up.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "HeitzSync.sln"))) return folder.FullName;
        }
        throw new InvalidOperationException("Run from inside the repository (HeitzSync.sln not found above the current folder), or give --out.");
    }

    private static long Field(string file, string name)
    {
        var line = File.ReadLines(file).First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return long.Parse(line.Substring(name.Length + 1).Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
