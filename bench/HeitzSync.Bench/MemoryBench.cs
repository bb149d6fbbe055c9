using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

internal sealed record MemoryPoint(double Scale, long ChainRows, long DatabaseBytes, long RowsSent, long PackageBytes, long RowsConsolidated,
    long RssBeforeKb, long PeakKb, TimeSpan Duration);

/// <summary>
/// Peak memory of the Siège's consolidation and publish, in a child process of its own per database size, so that
/// each figure is that process's high-water mark (VmHWM, reset with /proc/self/clear_refs once the process has
/// started and attached, so start-up is out of the peak but what stays resident counts).
/// </summary>
internal static class MemoryBench
{
    public const string ChildCommand = "siege-memory-child";

    public static async Task<MemoryPoint> MeasureAsync(NightKit kit, string folder, SyncKey key, CancellationToken cancellationToken)
    {
        var databases = kit.CopyTo(Path.Combine(folder, "db"));
        var dropFolder = Path.Combine(folder, "drop");
        Directory.CreateDirectory(dropFolder);
        var keyFile = Path.Combine(folder, "group.key");
        key.Save(keyFile);
        var cycle = CycleId.FromTime(DateTimeOffset.UtcNow, 3);
        long rowsSent = 0, packageBytes = 0;
        using (var drop = new FolderDropTransport(dropFolder))
        {
            foreach (var node in kit.Sites)
            {
                var night = new SiteNight(Chain.Settings(Path.Combine(databases, node.FileName)), drop, key, Path.Combine(folder, "work", node.Code));
                var sent = await night.ExtractAsync(cycle, null, cancellationToken);
                await night.UploadAsync(sent, null, cancellationToken);
                rowsSent += sent.Rows;
                packageBytes += sent.Bytes;
            }
        }
        var siege = Path.Combine(databases, kit.Siege.FileName);
        var databaseBytes = new FileInfo(siege).Length;
        var output = RunChild(siege, dropFolder, keyFile, Path.Combine(folder, "work", "SIEGE"), string.Join(",", kit.Sites.Select(s => s.Code)), kit.Sites.Count());
        var fields = output.Split(' ');
        return new MemoryPoint(kit.Chain.Scale, kit.Chain.TotalRows, databaseBytes, rowsSent, packageBytes,
            RowsConsolidated: long.Parse(fields[2], CultureInfo.InvariantCulture), RssBeforeKb: long.Parse(fields[3], CultureInfo.InvariantCulture),
            PeakKb: long.Parse(fields[1], CultureInfo.InvariantCulture),
            Duration: TimeSpan.FromSeconds(double.Parse(fields[4], CultureInfo.InvariantCulture)));
    }

    private static string RunChild(params object[] arguments)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path to start the child process.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        start.ArgumentList.Add(ChildCommand);
        foreach (var argument in arguments) start.ArgumentList.Add(Convert.ToString(argument, CultureInfo.InvariantCulture)!);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("PEAK ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The Siège's memory child failed (exit {process.ExitCode}): {output}\n{error.Result}");
        }
        return line.Trim();
    }

    /// <summary>In the child: consolidate and publish, then print "PEAK rssBeforeKb peakKb rows seconds".</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var (siege, dropFolder, keyFile, work, sites, expected) = (args[0], args[1], args[2], args[3], args[4].Split(','), int.Parse(args[5], CultureInfo.InvariantCulture));
        using var key = SyncKey.Load(keyFile);
        var settings = Chain.Settings(siege);
        using (var connection = FbConnection.Open(settings))
        {
            _ = connection.ServerVersion;   // the engine is loaded and the database attached once before the peak is reset
        }
        GC.Collect();
        var before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5");
        var watch = Stopwatch.StartNew();
        using var drop = new FolderDropTransport(dropFolder);
        var night = new SiegeNight(settings, drop, key, work, Array.Empty<string>());
        var run = await night.ConsolidateAsync(sites.Select(SiteCode.Parse).ToList(), expected, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, CancellationToken.None);
        if (run.Errors > 0 || run.Deliveries.Count != expected) throw new InvalidOperationException("Consolidation refused a package: " + string.Join("; ", run.Deliveries.Select(d => d.Error)));
        await night.PublishAsync(CycleId.FromTime(DateTimeOffset.UtcNow, 3), null, CancellationToken.None);
        var peak = Status("VmHWM");
        Console.WriteLine(FormattableString.Invariant($"PEAK {peak} {run.RowsApplied} {before} {watch.Elapsed.TotalSeconds:0.000}"));
        return 0;
    }

    /// <summary>A kB figure from /proc/self/status.</summary>
    public static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Substring(field.Length + 1).Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
