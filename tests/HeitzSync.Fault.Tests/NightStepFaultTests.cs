using HeitzSync.Fault.Tests.Harness;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests;

/// <summary>
/// A night's process killed (SIGKILL, from inside, by <c>HeitzSync.Core.FaultPoints</c>) at each step in turn; then one
/// normal night; then every database must be identical and the day's business all there, once.
/// </summary>
[Trait("Category", "Fault")]
public class NightStepFaultTests
{
    private readonly ITestOutputHelper _output;

    public NightStepFaultTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Points => new()
    {
        "backup.during",
        "extract.during",
        "consolidate.before-tx",
        "consolidate.inside-tx",
        "consolidate.after-commit",
        "publish.during",
        "upload.during",
        "download.during",
        "apply.inside-tx",
        "apply.after-commit",
    };

    /// <summary>Where each point is armed, and what the drop and work folders must show right after the kill (proof that
    /// the process died at that step and not elsewhere).</summary>
    private static (InjectedFault Fault, Action<FaultWorld> JustAfter) Plan(string point) => point switch
    {
        "backup.during" => (new InjectedFault("LYON01", "backup", point), world =>
        {
            var backups = Path.Combine(world["LYON01"].Folder, "backups");
            Assert.NotEmpty(Directory.GetFiles(backups, "*.part"));   // gbak's output, not yet verified nor renamed
            Assert.Empty(Directory.GetFiles(backups, "*.fbk"));
        }),
        "extract.during" => (new InjectedFault("NICE02", "send", point), world =>
        {
            // The package was being written (PackageWriter writes name.part and renames it when complete).
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(world["NICE02"].WorkFolder, "outgoing"), "*.extracting.hzp.part"));
            Assert.Empty(UpPackages(world, "NICE02"));
        }),
        // The second site package of the night (NICE02's): LYON01's is in, METZ03's not reached.
        "consolidate.before-tx" or "consolidate.inside-tx" => (new InjectedFault(FaultWorld.SiegeCode, "consolidate", point, After: 1), world =>
        {
            Assert.Empty(UpPackages(world, "LYON01"));
            Assert.Single(UpPackages(world, "NICE02"));
            Assert.Single(UpPackages(world, "METZ03"));
        }),
        "consolidate.after-commit" => (new InjectedFault(FaultWorld.SiegeCode, "consolidate", point, After: 1), world =>
        {
            // NICE02's package is committed in the master, but its ack.json and the package's removal never happened.
            Assert.Empty(UpPackages(world, "LYON01"));
            Assert.Single(UpPackages(world, "NICE02"));
            Assert.Single(UpPackages(world, "METZ03"));
        }),
        // Killed right after NICE02's package was published: LYON01 and NICE02 received one, METZ03 none.
        "publish.during" => (new InjectedFault(FaultWorld.SiegeCode, "consolidate", point, After: 1), world =>
        {
            Assert.Equal(1, Exit(world, "METZ03", "receive"));
            Assert.Equal(0, Exit(world, "LYON01", "receive"));
            Assert.Equal(0, Exit(world, "NICE02", "receive"));
        }),
        // METZ03's package is over 1 MB (big photos, see Prepare): killed after its first 1 MB block reached the drop.
        "upload.during" => (new InjectedFault("METZ03", "send", point), world =>
        {
            var part = Assert.Single(Directory.GetFiles(Path.Combine(world.DropFolder, "METZ03", "up"), "*.hzp.part"));
            var outgoing = Directory.GetFiles(Path.Combine(world["METZ03"].WorkFolder, "outgoing"), "*.hzp").Max()!;
            Assert.True(new FileInfo(part).Length < new FileInfo(outgoing).Length, $"{part}: {new FileInfo(part).Length} bytes; {outgoing}: {new FileInfo(outgoing).Length} ({string.Join(", ", Directory.GetFiles(Path.GetDirectoryName(outgoing)!))})");
            Assert.Empty(UpPackages(world, "METZ03"));
        }),
        // The Siège's package for LYON01 is over 1 MB (the Siège's big photos): killed after its first block was saved locally.
        "download.during" => (new InjectedFault("LYON01", "receive", point), world =>
        {
            var part = Assert.Single(Directory.GetFiles(Path.Combine(world["LYON01"].WorkFolder, "incoming"), "*.hzp.part"));
            var remote = Assert.Single(DownPackages(world, "LYON01"));
            Assert.InRange(new FileInfo(part).Length, 1, new FileInfo(remote).Length - 1);
        }),
        "apply.inside-tx" => (new InjectedFault("NICE02", "receive", point), world =>
        {
            Assert.Single(DownPackages(world, "NICE02"));
        }),
        "apply.after-commit" => (new InjectedFault("METZ03", "receive", point), world =>
        {
            // Applied and committed, but still in the drop: a retry must see it as already applied and change nothing.
            Assert.Single(DownPackages(world, "METZ03"));
            var retry = world.Run(world["METZ03"], "receive", null, "--wait-minutes", "0");
            Assert.True(retry.ExitCode == 0, retry.ToString());
            Assert.Empty(DownPackages(world, "METZ03"));
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(point), point, "no plan for this fault point"),
    };

    [Theory]
    [MemberData(nameof(Points))]
    public void A_night_killed_at_a_step_loses_nothing_and_the_next_night_converges(string point)
    {
        var (fault, justAfter) = Plan(point);
        using var world = FaultWorld.FromTemplate();
        var ledger = DayLedger.Open(world);
        world.BusinessDay(1);
        Prepare(world, point);
        ledger.CloseBusiness();

        var faulty = world.Night(fault);
        var killed = Assert.Single(faulty.Killed);
        Assert.Equal(point, killed.KilledAt);
        justAfter(world);

        world.CleanNight();
        world.AssertIdentical();
        var account = ledger.AssertNothingLostOrDuplicated();
        FaultTable.Write(_output, $"SIGKILL at {point}" + (fault.After > 0 ? $" (hit {fault.After + 1})" : ""), $"{fault.Node} hzsync {fault.Command}",
            $"killed there; 1 normal night after; 4 databases identical; {account}; {world.Leftovers()}", world);
    }

    /// <summary>Transfer faults need a package larger than one copy block (1 MB in the folder transport).</summary>
    private static void Prepare(FaultWorld world, string point)
    {
        if (point == "upload.during") world.BigPhotos(world["METZ03"], members: 15, bytes: 100_000);
        if (point == "download.during") world.BigPhotos(world.Siege, members: 15, bytes: 100_000);
    }

    private static string[] UpPackages(FaultWorld world, string site) => Packages(Path.Combine(world.DropFolder, site, "up"));

    private static string[] DownPackages(FaultWorld world, string site) => Packages(Path.Combine(world.DropFolder, site, "down"));

    private static string[] Packages(string folder) => Directory.Exists(folder) ? Directory.GetFiles(folder, "*.hzp") : Array.Empty<string>();

    private static int Exit(FaultWorld world, string node, string command) => world.Log.Last(r => r.Node == node && r.Command == command).ExitCode;
}
