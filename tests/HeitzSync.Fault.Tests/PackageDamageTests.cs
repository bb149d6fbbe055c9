using HeitzSync.Fault.Tests.Harness;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests;

/// <summary>
/// A package damaged in the drop (cut short, or one bit flipped) between its upload and its use: it must be
/// quarantined, never applied, the rest of the night must go on, and the next night must catch up.
/// </summary>
[Trait("Category", "Fault")]
public class PackageDamageTests
{
    private readonly ITestOutputHelper _output;

    public PackageDamageTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Damages => new() { "site-package-truncated", "site-package-bit-flipped", "siege-package-bit-flipped" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_package_is_quarantined_and_the_next_night_catches_up(string damage)
    {
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        ledger.CloseBusiness();

        string? damaged = null;
        void DamageUp()
        {
            if (damage == "siege-package-bit-flipped") return;
            damaged = Assert.Single(Directory.GetFiles(Path.Combine(world.DropFolder, "NICE02", "up"), "*.hzp"));
            if (damage == "site-package-truncated") Truncate(damaged);
            else FlipBit(damaged);
        }
        void DamageDown()
        {
            if (damage != "siege-package-bit-flipped") return;
            damaged = Assert.Single(Directory.GetFiles(Path.Combine(world.DropFolder, "METZ03", "down"), "*.hzp"));
            FlipBit(damaged);
        }
        var night = world.Night(beforeConsolidate: DamageUp, beforeReceive: DamageDown);
        var name = Path.GetFileName(damaged!);

        string outcome;
        if (damage == "siege-package-bit-flipped")
        {
            // METZ03 sets it aside (exit 1, reported once: the next valid package applies, and the Siège's next publish
            // replaces it) and keeps it in its quarantine; the others applied theirs.
            var receive = night.Runs.Single(r => r.Node == "METZ03" && r.Command == "receive");
            Assert.True(receive.ExitCode == 1 && receive.Stderr.Contains("PackageSetAside", StringComparison.Ordinal) && receive.Stderr.Contains("failed authentication", StringComparison.Ordinal), receive.ToString());
            // Kept as <name>.<time> (a quarantined file no longer ends in .hzp) with <name>.<time>.reason.txt beside it.
            var kept = Directory.GetFiles(Path.Combine(world["METZ03"].WorkFolder, "quarantine")).Select(Path.GetFileName).ToList();
            Assert.True(kept.Any(f => f!.StartsWith(name + ".", StringComparison.Ordinal) && !f.EndsWith(".reason.txt", StringComparison.Ordinal)),
                $"{name} is not in METZ03's quarantine: {string.Join(", ", kept)}");
            Assert.All(night.Runs.Where(r => r.Command == "receive" && r.Node != "METZ03"), r => Assert.True(r.ExitCode == 0, r.ToString()));
            outcome = "METZ03's receive set it aside (exit 1, PackageSetAside, reported once) and quarantined it locally; nothing applied";
        }
        else
        {
            // The Siège refuses NICE02's package, moves it to NICE02's quarantine in the drop with the reason, and
            // consolidates the two others (Partial, exit 1).
            var consolidate = night.Runs.Single(r => r.Command == "consolidate");
            Assert.True(consolidate.ExitCode == 1, consolidate.ToString());
            var quarantine = Path.Combine(world.DropFolder, "NICE02", "quarantine");
            Assert.True(File.Exists(Path.Combine(quarantine, name)), $"{name} is not in NICE02's quarantine in the drop");
            var reason = File.ReadAllText(Path.Combine(quarantine, name + ".reason.txt"));
            Assert.Empty(Directory.GetFiles(Path.Combine(world.DropFolder, "NICE02", "up"), "*.hzp"));
            outcome = $"the Siège quarantined it in the drop (reason: \"{reason.Trim()}\") and consolidated the 2 others (exit 1)";
        }

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        FaultTable.Write(_output, damage, damage.StartsWith("site", StringComparison.Ordinal) ? "NICE02's package in up/, before the Siège's consolidate" : "METZ03's package in down/, before its receive",
            $"{outcome}; next night OK; 4 databases identical; {account}", world);
    }

    private static void Truncate(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length / 2);
    }

    private static void FlipBit(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = file.Length / 2;
        var value = file.ReadByte();
        file.Position = file.Length / 2;
        file.WriteByte((byte)(value ^ 0x10));
    }
}
