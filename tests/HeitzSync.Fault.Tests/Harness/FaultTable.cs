using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>
/// The suite's table (fault, step, outcome): each test writes its row, with every hzsync process it ran, to its own
/// output, and appends the row to one table for the whole run, <see cref="RunTablePath"/> (fault-table.md beside the
/// test assembly, started afresh by each test run), so that the suite's outcome reads as one table.
/// </summary>
public static class FaultTable
{
    private static readonly object Gate = new();
    private static bool _started;

    public static string RunTablePath => Path.Combine(AppContext.BaseDirectory, "fault-table.md");

    public static void Write(ITestOutputHelper output, string fault, string step, string outcome, FaultWorld? world = null)
    {
        var row = $"| {Cell(fault)} | {Cell(step)} | {Cell(outcome)} |";
        output.WriteLine("| fault | step | outcome |");
        output.WriteLine("|---|---|---|");
        output.WriteLine(row);
        lock (Gate)
        {
            if (!_started)
            {
                File.WriteAllText(RunTablePath, $"Fault suite, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n| fault | step | outcome |\n|---|---|---|\n");
                _started = true;
            }
            File.AppendAllText(RunTablePath, row + "\n");
        }
        output.WriteLine("");
        output.WriteLine("(the whole run's table: " + RunTablePath + ")");
        if (world is null) return;
        output.WriteLine("hzsync processes, in order:");
        foreach (var run in world.Log) output.WriteLine("  " + run);
    }

    private static string Cell(string text) => text.Replace("|", "/", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
