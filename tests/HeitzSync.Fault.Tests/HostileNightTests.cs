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

        // systemctl stop / docker stop: SIGTERM while `hzsync sync` applies the Siège's package (all rows written, not
        // committed); then Ctrl+C, or an agent's SIGINT, at the same point of `hzsync receive`.
        foreach (var (command, signal) in new[] { ("sync", "SIGTERM"), ("receive", "SIGINT") })
        {
            var run = SignalAt(lyon, command, "apply.inside-tx", signal[3..]);
            Assert.True(run.ExitCode == 2, $"{signal}: {run}");
            Assert.StartsWith($"Stopped: LYON01 {(run.Command == "sync" ? "Sync" : "Receive")} (report ", run.Summary);   // the one summary line
            Assert.Contains($"[Stopped] stopped by {signal}", run.Stderr);
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

    private static int Count(string text, string what) => text.Split(what).Length - 1;

    private static void MakeFifo(string path) => Assert.Equal(0, Shell.Run("mkfifo", path).ExitCode);

    [Fact]
    public void Links_and_FIFOs_planted_in_the_drop_are_left_alone_reported_once_and_the_other_sites_go_on()
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();
        foreach (var site in world.Sites) Assert.Equal(0, world.Run(site, "send").ExitCode);

        // Someone with write access to the sites' folders: a package name linked to /dev/zero, a FIFO named as a package,
        // a file that is no package, METZ03's down/ linked to another folder, and a site folder linked elsewhere holding
        // an old partial file. The Siège's work folder is a small tmpfs: /dev/zero must never be copied into it.
        var elsewhere = Path.Combine(world.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "keep.txt"), "another folder's file");
        File.WriteAllText(Path.Combine(elsewhere, "old.hzp.part"), "another folder's partial file");
        File.SetLastWriteTimeUtc(Path.Combine(elsewhere, "old.hzp.part"), DateTime.UtcNow.AddDays(-3));
        var drop = world.DropFolder;
        File.CreateSymbolicLink(Path.Combine(drop, "LYON01", "up", "LYON01_20260101T000000Z_d_1-2.hzp"), "/dev/zero");
        MakeFifo(Path.Combine(drop, "NICE02", "up", "NICE02_20260101T000000Z_d_1-2.hzp"));
        File.WriteAllText(Path.Combine(drop, "METZ03", "up", "notes.txt"), "not a package");
        Directory.Delete(Path.Combine(drop, "METZ03", "down"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(drop, "METZ03", "down"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(drop, "EVIL"), elsewhere);
        Shell.MountTmpfs(world.Siege.WorkFolder, "size=16m");
        HzsyncRun consolidate;
        try
        {
            consolidate = world.Run(world.Siege, "consolidate", null, "--reception-minutes", "0");
        }
        finally
        {
            Shell.Unmount(world.Siege.WorkFolder);
        }

        // Every site's real package went in; METZ03 got no package (its down/ is a link): a partial night, each entry said once.
        Assert.True(consolidate.ExitCode == 1, consolidate.ToString());
        Assert.Contains("3 of 3 site(s) delivered", consolidate.Summary);
        foreach (var (entry, why) in new[]
        {
            ("LYON01/up/LYON01_20260101T000000Z_d_1-2.hzp", "is a link"),
            ("NICE02/up/NICE02_20260101T000000Z_d_1-2.hzp", "is a special file"),
            ("METZ03/up/notes.txt", "is not a delta package of METZ03"),
            ("EVIL", "is a link, not a site's folder"),
            ("METZ03/down", "no package was published for METZ03"),
        })
        {
            var lines = consolidate.Stderr.Split('\n').Where(l => l.Contains(entry, StringComparison.Ordinal)).ToList();
            Assert.True(lines.Count == 1, $"{entry} is not reported once: {consolidate}");
            Assert.Contains(why, lines[0]);
        }
        Assert.DoesNotContain("   at ", consolidate.Stderr);

        foreach (var site in new[] { "LYON01", "NICE02" }) Assert.Equal(0, world.Run(world[site], "receive", null, "--wait-minutes", "0").ExitCode);
        var metz = world.Run(world["METZ03"], "receive", null, "--wait-minutes", "0");
        Assert.True(metz.ExitCode == 2, metz.ToString());
        Assert.Contains("METZ03/down in the drop", metz.Stderr);
        Assert.Contains("is a link", metz.Stderr);
        Assert.Equal(new[] { "keep.txt", "old.hzp.part" }, Directory.GetFiles(elsewhere).Select(Path.GetFileName).Order());
        Assert.Equal("another folder's file", File.ReadAllText(Path.Combine(elsewhere, "keep.txt")));

        // Once the folder is put right, the next night brings everyone in line: nothing lost, nothing twice.
        foreach (var planted in new[] { "LYON01/up/LYON01_20260101T000000Z_d_1-2.hzp", "NICE02/up/NICE02_20260101T000000Z_d_1-2.hzp", "METZ03/up/notes.txt", "METZ03/down", "EVIL" })
            File.Delete(Path.Combine(drop, planted));
        world.CleanNight();
        world.AssertIdentical();
        ledger.AssertNothingLostOrDuplicated();
    }

    [Fact]
    public void A_wrong_key_a_missing_drop_a_forged_ack_and_a_full_reports_folder_are_found_before_anything_travels()
    {
        using var world = FaultWorld.FromTemplate();
        var lyon = world["LYON01"];
        var nice = world["NICE02"];
        var metz = world["METZ03"];

        // A drop path with a typo (or a share that is not mounted): a site neither creates it nor "sends" into it.
        world.Reconfigure(lyon, c => c with { Drop = c.Drop with { Path = "../drop-typo" } });
        var typo = Path.Combine(world.Root, "drop-typo");
        var send = world.Run(lyon, "send");
        Assert.True(send.ExitCode == 2, send.ToString());
        Assert.Contains($"The drop folder {typo} does not exist: a site never creates it", send.Stderr);
        var test = world.Run(lyon, "test");
        Assert.True(test.ExitCode == 2, test.ToString());
        Assert.Matches($@"(?m)^Failed\s+Login\s+The drop folder {System.Text.RegularExpressions.Regex.Escape(typo)} does not exist", test.Stdout);
        Assert.DoesNotContain("Passed   WriteRight", test.Stdout);
        Assert.False(Directory.Exists(typo));

        // Another group's key: the connection test says so, and the night stops before it extracts anything.
        using (var other = HeitzSync.Core.Packaging.SyncKey.Generate()) other.Save(Path.Combine(nice.Folder, "other.key"));
        world.Reconfigure(nice, c => c with { KeyFile = "other.key" });
        var wrongKey = world.Run(nice, "test");
        Assert.True(wrongKey.ExitCode == 2, wrongKey.ToString());
        Assert.Matches(@"(?m)^Failed\s+KeyMatch\s+siege.json was signed with group key [0-9a-f]{16}, but this node holds group key [0-9a-f]{16}", wrongKey.Stdout);
        var refused = world.Run(nice, "send");
        Assert.True(refused.ExitCode == 2 && refused.Stderr.Contains("[KeyMismatch]", StringComparison.Ordinal), refused.ToString());
        Assert.Empty(Directory.GetFiles(Path.Combine(world.DropFolder, "NICE02", "up"), "*.hzp"));

        // A forged ack.json far beyond anything METZ03 produced: named, ignored, and the Siège's next one replaces it.
        var ack = Path.Combine(world.DropFolder, "METZ03", "ack.json");
        File.WriteAllText(ack, "{ \"formatVersion\": 1, \"site\": \"METZ03\", \"sequence\": 999999999, \"resendFromTx\": 0 }");
        var forged = world.Run(metz, "send");
        Assert.True(forged.ExitCode == 0, forged.ToString());
        Assert.Equal(1, Count(forged.Stderr, "METZ03/ack.json"));
        Assert.Contains("[AckIgnored]", forged.Stderr);
        Assert.DoesNotContain("ArgumentOutOfRange", forged.Stderr + forged.Stdout);
        // Something dropped in NICE02's folder under a package's name is refused: NICE02 did not deliver.
        File.WriteAllBytes(Path.Combine(world.DropFolder, "NICE02", "up", "NICE02_20260101T000000Z_d_1-2.hzp"), new byte[4096]);
        var consolidate = world.Run(world.Siege, "consolidate", null, "--reception-minutes", "0");
        Assert.True(consolidate.ExitCode == 1 && consolidate.Summary.Contains("1 of 3 site(s) delivered", StringComparison.Ordinal), consolidate.ToString());
        Assert.Contains("[PackageRefused]", consolidate.Stderr);
        Assert.DoesNotContain("999999999", File.ReadAllText(ack));
        Assert.DoesNotContain("ack.json", world.Run(metz, "send").Stderr);

        // A full reports folder: one line, exit 2, and no run without its report.
        var reports = Path.Combine(metz.Folder, "reports");
        Shell.MountTmpfs(reports, "size=4k");
        try
        {
            File.WriteAllBytes(Path.Combine(reports, "filler"), new byte[4096]);
            var full = world.Run(metz, "send");
            Assert.True(full.ExitCode == 2, full.ToString());
            var lines = full.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].StartsWith($"hzsync: No report can be written in {reports} (the disk is full): nothing was run", StringComparison.Ordinal), full.ToString());
        }
        finally
        {
            Shell.Unmount(reports);
        }
    }

    [Fact]
    public void Backups_work_files_and_reports_are_the_accounts_alone_and_loose_permissions_are_reported()
    {
        using var world = FaultWorld.FromTemplate();
        var lyon = world["LYON01"];
        // A fresh node: its folders are made by this version (the template's were made with the umask's modes).
        foreach (var folder in new[] { "backups", "work", "reports" }.Select(f => Path.Combine(lyon.Folder, f)).Where(Directory.Exists)) Directory.Delete(folder, recursive: true);
        Assert.Equal(0, world.Run(lyon, "backup", null, "--kind", "safety").ExitCode);
        Assert.Equal(0, world.Run(lyon, "send").ExitCode);
        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var folder in new[] { "backups", "work", "reports" })
            Assert.Equal(Owner, File.GetUnixFileMode(Path.Combine(lyon.Folder, folder)));
        var backup = Assert.Single(Directory.GetFiles(Path.Combine(lyon.Folder, "backups"), "*.fbk"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));

        // Loosened by hand: each one reported by hzsync test with the chmod that closes it, and by the night.
        var key = Path.Combine(world.Root, "group.key");
        var secrets = new HeitzSync.Core.Secrets.SecretStore(Path.Combine(lyon.Folder, "secrets"));
        secrets.Set("ftp", "not used here");
        File.SetUnixFileMode(key, (UnixFileMode)0x1A4);                                   // 0644
        File.SetUnixFileMode(secrets.Folder, (UnixFileMode)0x1FF);                        // 0777
        File.SetUnixFileMode(Path.Combine(secrets.Folder, "ftp.secret"), (UnixFileMode)0x1B6);   // 0666
        var test = world.Run(lyon, "test");
        Assert.True(test.ExitCode == 1, test.ToString());
        foreach (var (path, fix) in new[] { (key, "chmod 600"), (secrets.Folder, "chmod 700"), (Path.Combine(secrets.Folder, "ftp.secret"), "chmod 600") })
        {
            Assert.Matches($@"(?m)^Warning\s+Permissions\s+.*{System.Text.RegularExpressions.Regex.Escape(path)} is open to", test.Stdout);
            Assert.Contains($"fix: {fix} {path}", test.Stdout);
        }
        var night = world.Run(lyon, "send");
        Assert.True(night.ExitCode == 0, night.ToString());
        Assert.Equal(3, Count(night.Stderr, "[LoosePermissions]"));
        var report = LastReport(lyon);
        Assert.Equal(3, report.GetProperty("errors").EnumerateArray().Count(e => e.GetProperty("errorId").GetString() == "LoosePermissions"));
    }
}
