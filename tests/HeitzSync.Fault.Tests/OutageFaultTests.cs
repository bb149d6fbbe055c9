using System.Diagnostics;
using System.Globalization;
using HeitzSync.Core.Demo;
using HeitzSync.Fault.Tests.Harness;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests;

/// <summary>Faults of whole machines and of time: the Siège down for nights, a site's clock off, a run killed while it holds the lock or while gbak runs.</summary>
[Trait("Category", "Fault")]
public class OutageFaultTests
{
    private readonly ITestOutputHelper _output;

    public OutageFaultTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void The_siege_down_for_three_nights_then_back_converges_in_one_night()
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        for (var day = 1; day <= 3; day++)
        {
            world.BusinessDay(day);
            if (day == 3) ledger.CloseBusiness();
            var night = world.Night(siegeWorks: false);
            Assert.All(night.Runs.Where(r => r.Command == "send"), r => Assert.True(r.ExitCode == 0, r.ToString()));
            Assert.All(night.Runs.Where(r => r.Command == "receive"), r => Assert.True(r.ExitCode == 1 && r.Summary.Contains("no package", StringComparison.Ordinal), r.ToString()));
        }
        // Each site has left one package a night in its up/ folder; none was lost or overwritten.
        foreach (var site in world.Sites) Assert.Equal(3, Directory.GetFiles(Path.Combine(world.DropFolder, site.Code, "up"), "*.hzp").Length);
        ledger.AssertUnchangedSinceBusiness();

        var back = world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        var consolidate = back.Runs.Single(r => r.Command == "consolidate");
        FaultTable.Write(_output, "Siège down 3 nights (sites send and receive alone)", "SIEGE: no consolidate on nights 1-3",
            $"12 packages waiting were consolidated in order the night it came back ({consolidate.Summary}); 4 databases identical; {account}", world);
    }

    [Fact]
    public void A_site_whose_clock_is_two_hours_ahead_converges_and_its_conflicts_resolve_by_the_times_it_stamps()
    {
        using var world = FaultWorld.FromTemplate();
        var nice = world["NICE02"];
        var lyon = world["LYON01"];
        world.ClockOffsets[nice.Code] = "+2h";
        var contested = FaultWorld.ContestedMember;

        // Day 1: NICE02 (its clock 2 h ahead, business and hzsync alike) changes the contested member first; LYON01
        // changes it a moment later in real time, but stamped 2 h earlier. Last writer by the stamps: NICE02 wins.
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1, (node, o) => node == nice ? Idle(o) : o with { ConflictMemberIds = Array.Empty<long>(), AvoidMemberIds = new[] { contested } });
        Shell.Isql(nice.DatabasePath, NiceDay(contested, 333.33m, "NICE02, clock 2 h ahead"), world.ClockOffsets[nice.Code]);
        SetBalance(lyon, contested, 111.11m, "LYON01, right clock, a moment later");
        ledger.CloseBusiness();
        var first = world.CleanNight();
        world.AssertIdentical();
        var account1 = ledger.AssertNothingLostOrDuplicated();
        Assert.All(world.Nodes, node => Assert.Equal(333.33m, Balance(node, contested)));

        // Day 2: LYON01 edits the member again. Its stamp is still earlier than NICE02's of day 1, but LYON01 had
        // received that version: no conflict, so its edit applies everywhere whatever the clocks say.
        var ledger2 = DayLedger.Open(world);
        world.BusinessDay(2, (node, o) => node == nice ? Idle(o) : o with { ConflictMemberIds = Array.Empty<long>(), AvoidMemberIds = new[] { contested } });
        Shell.Isql(nice.DatabasePath, NiceDay(contested + 1, 444.44m, "NICE02, clock 2 h ahead, day 2"), world.ClockOffsets[nice.Code]);
        SetBalance(lyon, contested, 222.22m, "LYON01, day 2, after receiving NICE02's version");
        ledger2.CloseBusiness();
        var second = world.CleanNight();
        world.AssertIdentical();
        var account2 = ledger2.AssertNothingLostOrDuplicated();
        Assert.All(world.Nodes, node => Assert.Equal(222.22m, Balance(node, contested)));

        var night1 = first.Runs.Single(r => r.Command == "consolidate").Summary;
        var night2 = second.Runs.Single(r => r.Command == "consolidate").Summary;
        FaultTable.Write(_output, "NICE02's clock 2 h ahead (faketime on its business and its hzsync)", "every step of 2 nights",
            $"night 1: the concurrent edit stamped later (NICE02's) won everywhere ({night1}); night 2: LYON01's sequential edit, stamped earlier, applied everywhere ({night2}); " +
            $"4 databases identical; day 1: {account1}; day 2: {account2}", world);
    }

    /// <summary>
    /// NICE02's clock is a day and an hour ahead for one night, then set right. Nights are simulated a day apart by
    /// running every hzsync under faketime (+24 h for the second night, +48 h for the third). The package NICE02 makes
    /// with its corrected clock carries a cycle id older than the one it made with the wrong clock; the Siège decides
    /// by the range the package covers, not by that id, so the changes NICE02 made that day are consolidated the same
    /// night and every database is identical after it. The package sent again (a duplicate in up/) is still refused.
    /// </summary>
    [Fact]
    public void A_site_whose_clock_was_a_day_ahead_and_is_then_set_right_converges_the_same_night()
    {
        using var world = FaultWorld.FromTemplate();
        var nice = world["NICE02"];
        world.BusinessDay(1);
        world.ClockOffsets[nice.Code] = "+25h";
        world.CleanNight();
        world.AssertIdentical();

        var ledger = DayLedger.Open(world);
        foreach (var node in world.Nodes) world.ClockOffsets[node.Code] = "+24h";   // the next night; NICE02's clock set right
        world.BusinessDay(2);
        ledger.CloseBusiness();

        // NICE02 sends; a copy of its package is kept to be delivered again after the night (an upload repeated).
        var up = Path.Combine(world.DropFolder, nice.Code, "up");
        string? copy = null;
        var second = world.Night(beforeConsolidate: () =>
        {
            var package = Assert.Single(Directory.GetFiles(up, "*.hzp"));
            copy = Path.Combine(world.Root, Path.GetFileName(package));
            File.Copy(package, copy);
        });
        Assert.True(second.Runs.All(r => r.ExitCode == 0), second.ToString());
        var consolidated = second.Runs.Single(r => r.Command == "consolidate").Summary;
        world.AssertIdentical();   // the night after the correction converged
        var account = ledger.AssertNothingLostOrDuplicated();

        // The same package uploaded again: refused as already consolidated, nothing changes.
        File.Copy(copy!, Path.Combine(up, Path.GetFileName(copy!)));
        var again = world.Run(world.Siege, "consolidate", null, "--reception-minutes", "0");
        // Only NICE02 "delivered" (1 of 3 sites: Partial, exit 1), and nothing of it was consolidated again.
        Assert.True(again.ExitCode == 1 && again.Summary.Contains("1 of 3 site(s) delivered, 0 row(s) consolidated", StringComparison.Ordinal), again.ToString());
        Assert.Empty(Directory.GetFiles(up, "*.hzp"));
        world.AssertIdentical();
        ledger.AssertNothingLostOrDuplicated();
        FaultTable.Write(_output, "NICE02's clock a day ahead for one night, then set right", "NICE02's hzsync send the night after the correction",
            $"consolidated the same night ({consolidated}); 4 databases identical; {account}; the same package delivered again was refused ({again.Summary}), nothing changed", world);
    }

    [Fact]
    public void A_sync_killed_while_it_holds_the_lock_leaves_a_stale_lock_that_the_next_run_recovers()
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();
        world.Run(world["LYON01"], "send");
        world.Run(world["NICE02"], "send");

        // The Siège's whole night (backup, then reception) waits for METZ03, which has not sent yet: killed there.
        world.Reconfigure(world.Siege, c => c with { Schedule = c.Schedule with { ReceptionMinutes = 1 } });
        var reception = new ManualResetEventSlim();
        var lines = new List<string>();
        var watch = Stopwatch.StartNew();
        // --verbose: progress lines on stderr although it is redirected (without it hzsync prints none there).
        using (var sync = Hzsync.Start(world.Siege.Code, world.Siege.ConfigPath, "sync", new[] { "--verbose" }))
        {
            sync.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (lines) lines.Add(e.Data);
                if (e.Data.Contains("[Reception]", StringComparison.Ordinal)) reception.Set();
            };
            sync.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
            sync.BeginErrorReadLine();
            sync.BeginOutputReadLine();
            var waiting = reception.Wait(TimeSpan.FromSeconds(60));
            sync.Kill();   // SIGKILL
            sync.WaitForExit();
            Assert.True(waiting, "the Siège's sync never reached its reception wait: " + string.Join(" | ", lines));
            Assert.Equal(HzsyncRun.SigKillExitCode, sync.ExitCode);
        }
        var lockFile = Path.Combine(world.Siege.WorkFolder, "heitzsync.lock");
        var note = File.ReadAllText(lockFile).Trim();
        Assert.Contains("Sync", note, StringComparison.Ordinal);   // the killed run's own record of itself
        world.Reconfigure(world.Siege, c => c with { Schedule = c.Schedule with { ReceptionMinutes = 0 } });

        world.Run(world["METZ03"], "send");
        var next = world.Run(world.Siege, "consolidate", null, "--reception-minutes", "0");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains("StaleLockRecovered", next.Stderr, StringComparison.Ordinal);
        foreach (var site in world.Sites) Assert.True(world.Run(site, "receive", null, "--wait-minutes", "0").ExitCode == 0);
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        FaultTable.Write(_output, "SIGKILL of a running hzsync sync holding the run lock", "SIEGE hzsync sync, in its reception wait",
            $"lock left behind by the dead run; the next consolidate recovered it ({next.Stderr.Split('\n').First(l => l.Contains("StaleLockRecovered", StringComparison.Ordinal)).Trim()}) and ended OK; 4 databases identical; {account}", world);
    }

    [Fact]
    public void A_backup_killed_while_gbak_runs_leaves_no_backup_and_the_night_and_the_next_backup_run()
    {
        using var world = FaultWorld.FromTemplate();
        var lyon = world["LYON01"];
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();

        // hzsync backup runs gbak as a child process. gbak here is Firebird's own, started through a wrapper
        // (HEITZSYNC_GBAK) that notes its pid (written whole, then renamed) and becomes gbak only when the test says go,
        // after the kill: so the kill always lands while the child runs, as it would during a long backup, however fast
        // or busy the machine. SIGKILL goes to hzsync only.
        var marker = Path.Combine(world.Root, "gbak-started");
        var go = Path.Combine(world.Root, "gbak-go");
        var wrapper = Path.Combine(world.Root, "gbak-slow.sh");
        File.WriteAllText(wrapper, $"#!/bin/sh\necho $$ > '{marker}.tmp' && mv '{marker}.tmp' '{marker}'\n" +
                                   $"while [ ! -e '{go}' ]; do sleep 0.1; done\nexec '{RealGbak()}' \"$@\"\n");
        Assert.Equal(0, Shell.Run("chmod", "700", wrapper).ExitCode);
        var watch = Stopwatch.StartNew();
        int gbak;
        HzsyncRun killed;
        try
        {
            using var backup = Hzsync.Start(lyon.Code, lyon.ConfigPath, "backup", environment: new Dictionary<string, string> { ["HEITZSYNC_GBAK"] = wrapper });
            while (!File.Exists(marker) && !backup.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);   // the deadline is a guard only
            gbak = File.Exists(marker) ? int.Parse(File.ReadAllText(marker).Trim(), CultureInfo.InvariantCulture) : 0;
            Assert.True(gbak != 0 && Shell.Children(backup.Id).Any(c => c.Pid == gbak),
                $"hzsync backup did not start gbak as its child (pid {gbak}); it {(backup.HasExited ? "ended with " + backup.ExitCode.ToString(CultureInfo.InvariantCulture) : "runs")}");
            backup.Kill();
            killed = Hzsync.Finish(lyon.Code, "backup", backup, watch, TimeSpan.FromSeconds(30));
        }
        finally
        {
            File.WriteAllText(go, "");   // the orphaned wrapper goes on into gbak (and never waits forever, whatever failed)
        }
        world.Log.Add(killed);
        Assert.True(killed.ExitCode == HzsyncRun.SigKillExitCode, killed.ToString());
        // The orphaned gbak dies of its closed output pipe or finishes on its own; the embedded database is free after it.
        var orphan = Stopwatch.StartNew();
        while (Shell.IsRunning(gbak) && orphan.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
        Assert.False(Shell.IsRunning(gbak), $"gbak {gbak} still runs a minute after its hzsync was killed");
        var backups = Path.Combine(lyon.Folder, "backups");
        Assert.Empty(Directory.GetFiles(backups, "*.fbk"));   // nothing unverified ever gets a backup's name
        var leftAfterKill = string.Join(", ", Directory.GetFiles(backups).Select(Path.GetFileName));

        var night = world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        var again = world.Run(lyon, "backup");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Single(Directory.GetFiles(backups, "*.fbk"));
        FaultTable.Write(_output, "SIGKILL of hzsync backup while its gbak child runs", "LYON01 hzsync backup (gbak pid " + gbak.ToString(CultureInfo.InvariantCulture) + ")",
            $"no backup kept (left: {(leftAfterKill.Length == 0 ? "nothing" : leftAfterKill)}); the night after OK; next backup OK and verified " +
            $"(left now: {string.Join(", ", Directory.GetFiles(backups).Select(Path.GetFileName))}); 4 databases identical; {account}", world);
    }

    private static string RealGbak() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(p => Path.Combine(p, "gbak")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("gbak is not on the PATH: install firebird3.0-utils (scripts/install-prereqs.sh).");

    private static BusinessDayOptions Idle(BusinessDayOptions o) => o with
    {
        NewMembers = 0, Entries = 0, Sales = 0, MemberUpdates = 0, SaleDeletes = 0, CloseTill = false, ChangeWorkstationSettings = false,
        ConflictMemberIds = Array.Empty<long>(),
    };

    /// <summary>A small day at NICE02 in SQL (run by isql-fb under its skewed clock): a new member, an entry, and one member's balance.</summary>
    private static string NiceDay(long member, decimal balance, string notes) => string.Join("\n",
        "INSERT INTO MEMBERS (FIRST_NAME, LAST_NAME, EMAIL, CREATED_AT, ACTIVE, BALANCE) VALUES ('Zoe', 'Avance', 'zoe@club3.example', CURRENT_TIMESTAMP, TRUE, 10);",
        "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (GEN_ID(GEN_ENTRIES, 1), GEN_ID(GEN_MEMBERS, 0), CURRENT_TIMESTAMP, 1);",
        FormattableString.Invariant($"UPDATE MEMBERS SET BALANCE = {balance}, NOTES = '{notes}' WHERE ID = {member};"));

    private static void SetBalance(Node node, long member, decimal balance, string notes)
    {
        using var connection = node.Open();
        using var tx = connection.BeginTransaction();
        Assert.Equal(1, connection.Execute(tx, "UPDATE MEMBERS SET BALANCE = ?, NOTES = ? WHERE ID = ?", balance, notes, member));
        tx.Commit();
    }

    private static decimal Balance(Node node, long member)
    {
        using var connection = node.Open();
        using var tx = connection.BeginTransaction(new HeitzSync.Firebird.FbTransactionOptions { ReadOnly = true });
        return Convert.ToDecimal(connection.ExecuteScalar(tx, "SELECT BALANCE FROM MEMBERS WHERE ID = ?", member), CultureInfo.InvariantCulture);
    }
}
