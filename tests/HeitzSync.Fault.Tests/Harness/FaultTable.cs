using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>The suite's table (fault, step, outcome), written to the test output with every hzsync process the test ran.</summary>
public static class FaultTable
{
    public static void Write(ITestOutputHelper output, string fault, string step, string outcome, FaultWorld? world = null)
    {
        output.WriteLine("| fault | step | outcome |");
        output.WriteLine("|---|---|---|");
        output.WriteLine($"| {fault} | {step} | {outcome} |");
        if (world is null) return;
        output.WriteLine("");
        output.WriteLine("hzsync processes, in order:");
        foreach (var run in world.Log) output.WriteLine("  " + run);
    }
}
