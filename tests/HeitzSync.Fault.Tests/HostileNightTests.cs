using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using HeitzSync.Core;
using HeitzSync.Fault.Tests.Harness;

namespace HeitzSync.Fault.Tests;

/// <summary>
/// Issue 14, a night as an attacker with write access to a site's folder, a service manager, or a wrong setup meets it:
/// real hzsync processes on a real chain (FaultWorld: a Siège and three sites, embedded databases, a folder drop). Every
/// case ends with one clear line, exit 2 (1 for a partial night), nothing changed or lost, and the next night converges.
/// </summary>
[Trait("Category", "Hostile")]
[UnsupportedOSPlatform("windows")] // signals, symlinks, FIFOs, file modes: the Linux side of the same rules
public class HostileNightTests
{
    /// <summary>
    /// Runs <paramref name="command"/> for <paramref name="node"/> paused at the fault point <paramref name="point"/>
    /// (inside the apply's transaction), sends it <paramref name="signal"/> there, and returns the finished process.
    /// </summary>
    private static HzsyncRun SignalAt(Node node, string command, string point, string signal)
    {
        var environment = new Dictionary<string, string> { [FaultPoints.AtVariable] = point, [FaultPoints.ModeVariable] = "pause" };
        var watch = Stopwatch.StartNew();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var paused = new ManualResetEventSlim();
        using var process = Hzsync.Start(node.Code, node.ConfigPath, command, null, environment);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith(FaultPoints.PausedMarker, StringComparison.Ordinal)) paused.Set();
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var reached = paused.Wait(Hzsync.DefaultTimeout);
            Assert.True(reached, $"{node} {command} never reached {point}: {Text(stdout)} {Text(stderr)}");
            var kill = Shell.Run("kill", "-s", signal, process.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(kill.ExitCode == 0, kill.Output);
            Assert.True(process.WaitForExit(Hzsync.DefaultTimeout), $"{node} {command} did not end after SIG{signal}: {Text(stdout)} {Text(stderr)}");
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        return new HzsyncRun(node.Code, command, process.ExitCode, Text(stdout), Text(stderr), watch.Elapsed);
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder) return builder.ToString();
    }

    private static JsonElement LastReport(Node node)
    {
        var file = Directory.GetFiles(Path.Combine(node.Folder, "reports"), "*.json").OrderBy(f => f, StringComparer.Ordinal).Last();
        return JsonDocument.Parse(File.ReadAllBytes(file)).RootElement.Clone();
    }

    private static IEnumerable<string> DownPackages(FaultWorld world, string site) =>
        Directory.GetFiles(Path.Combine(world.DropFolder, site, "down"), "*.hzp").Select(Path.GetFileName)!;

    [Fact]
    public void SIGTERM_and_SIGINT_stop_a_night_inside_its_transaction_as_hzsync_stop_does()
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();
        var lyon = world["LYON01"];
        foreach (var site in world.Sites) Assert.Equal(0, world.Run(site, "send").ExitCode);
        Assert.Equal(0, world.Run(world.Siege, "consolidate", null, "--reception-minutes", "0").ExitCode);
        var package = Assert.Single(DownPackages(world, "LYON01"));

        // systemctl stop / docker stop: SIGTERM while `hzsync sync` applies the Siège's package (all rows written, not committed).
        var term = SignalAt(lyon, "sync", "apply.inside-tx", "TERM");
        // Ctrl+C, or an agent's SIGINT, at the same point of `hzsync receive`.
        var interrupt = SignalAt(lyon, "receive", "apply.inside-tx", "INT");

        foreach (var (run, signal) in new[] { (term, "SIGTERM"), (interrupt, "SIGINT") })
        {
            Assert.True(run.ExitCode == 2, $"{signal}: {run}");
            Assert.StartsWith($"Stopped: LYON01 {(run.Command == "sync" ? "Sync" : "Receive")} stopped by {signal}", run.Summary);
            Assert.DoesNotContain("connection shutdown", run.Stderr + run.Stdout, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("   at ", run.Stderr + run.Stdout);
            Assert.DoesNotContain("SELECT", run.Stderr + run.Stdout);
            var report = LastReport(lyon);
            Assert.Equal("Stopped", report.GetProperty("state").GetString());
            Assert.StartsWith($"stopped by {signal}", report.GetProperty("summary").GetString());
            // Rolled back: LYON01 holds its own business only, and the package waits for the next receive.
            ledger.AssertUnchangedSinceBusiness(lyon);
            Assert.Equal(package, Assert.Single(DownPackages(world, "LYON01")));
        }

        var receive = world.Run(lyon, "receive", null, "--wait-minutes", "0");
        Assert.True(receive.ExitCode == 0, receive.ToString());
        world.CleanNight();
        world.AssertIdentical();
        ledger.AssertNothingLostOrDuplicated();
    }
}
