using HeitzSync.Fault.Tests.Harness;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests;

/// <summary>
/// The Siège's drop cannot be written for a night: not a folder at all, a read-only file system, or a full disk. (As
/// root, chmod 555 is no obstacle, so the faults are made with a file in the folder's place and with tmpfs mounts.)
/// The night must fail with a clear message, change nothing, and the next night must catch up.
/// </summary>
[Trait("Category", "Fault")]
public class DropFaultTests
{
    private readonly ITestOutputHelper _output;

    public DropFaultTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Faults => new() { "drop-is-a-file", "drop-read-only", "drop-full" };

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_drop_that_cannot_be_written_fails_the_night_clearly_changes_nothing_and_the_next_night_catches_up(string fault)
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();

        var drop = world.DropFolder;
        var aside = drop + ".aside";
        NightRuns night;
        string expected;
        switch (fault)
        {
            case "drop-is-a-file":
                Directory.Move(drop, aside);
                File.WriteAllText(drop, "not a folder");
                try
                {
                    night = world.Night();
                }
                finally
                {
                    File.Delete(drop);
                    Directory.Move(aside, drop);
                }
                expected = "DropUnreachable";
                break;
            case "drop-read-only":
                Shell.MountTmpfs(drop, "ro,size=64k");
                try { night = world.Night(); }
                finally { Shell.Unmount(drop); }
                expected = "read-only";
                break;
            case "drop-full":
                Shell.MountTmpfs(drop, "size=64k");
                try { night = world.Night(); }
                finally { Shell.Unmount(drop); }
                expected = "full";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }

        // Every site's send failed (exit 2) and said why; the Siège found nothing to consolidate; nobody got a package.
        foreach (var send in night.Runs.Where(r => r.Command == "send"))
        {
            Assert.True(send.ExitCode == 2, $"a send into an unusable drop did not fail: {send}");
            Assert.True(send.Stderr.Contains(expected, StringComparison.Ordinal), $"the send's error does not say '{expected}': {send}");
        }
        // The Siège publishes even when no site delivered (what the master holds that the sites have not received), so an
        // unwritable drop fails its night too, saying why; nothing was published.
        var consolidate = night.Runs.Single(r => r.Command == "consolidate");
        Assert.True(consolidate.ExitCode == 2 && consolidate.Stderr.Contains(expected, StringComparison.Ordinal), consolidate.ToString());
        // No package to receive (partial); a drop that is a file is not there at all: a site says so and fails (issue 14).
        Assert.All(night.Runs.Where(r => r.Command == "receive"), r => Assert.True(r.ExitCode == (fault == "drop-is-a-file" ? 2 : 1), r.ToString()));
        ledger.AssertUnchangedSinceBusiness();

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        var message = night.Runs.First(r => r.Command == "send").Stderr.Split('\n').First(l => l.Contains(expected, StringComparison.Ordinal)).Trim();
        FaultTable.Write(_output, fault, "every site's hzsync send; the Siège's consolidate",
            $"sends failed (exit 2): \"{message}\"; nothing changed; next night OK; 4 databases identical; {account}", world);
    }
}
