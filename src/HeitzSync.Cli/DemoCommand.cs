using System.CommandLine;
using System.Globalization;
using HeitzSync.Core.Night;

namespace HeitzSync.Cli;

/// <summary>hzsync demo: a Siège and N sites as embedded databases, K nights through a folder drop.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var sites = new Option<int>("--sites") { Description = "Number of sites besides the Siège (1-50).", DefaultValueFactory = _ => 3 };
        var nights = new Option<int>("--nights") { Description = "Number of business days and nights to run (1-30).", DefaultValueFactory = _ => 2 };
        var workdir = new Option<string>("--workdir")
        {
            Description = "Folder for the databases, the drop and the work files (new, empty, or a previous demo's).",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "heitzsync-demo"),
        };
        var members = new Option<int>("--members") { Description = "Members each node starts with.", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "Write the summary as one JSON object." };
        var command = new Command("demo", "Runs the demo: a Siège and N sites (embedded Firebird), K business days each followed by a night; then compares every database.")
        {
            sites, nights, workdir, members, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var asJson = parse.GetValue(json);
            try
            {
                var summary = await DemoRun.RunAsync(new DemoOptions
                {
                    Sites = parse.GetValue(sites),
                    Nights = parse.GetValue(nights),
                    WorkFolder = parse.GetValue(workdir)!,
                    MembersPerSite = parse.GetValue(members),
                }, ConsoleOutput.Progress(quiet: false), cancellationToken).ConfigureAwait(false);
                ConsoleOutput.EndProgress();
                if (asJson) ConsoleOutput.WriteJson(summary);
                else WriteText(summary);
                return summary.Converged ? ExitCodes.Ok : ExitCodes.Failed;
            }
            catch (OperationCanceledException)
            {
                ConsoleOutput.Error("demo stopped.");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                ConsoleOutput.Error(ex.Message);
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static void WriteText(DemoSummary summary)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"HeitzSync demo: {summary.Databases.Count - 1} site(s) and the Siège, {summary.Nights} night(s), {summary.Duration.TotalSeconds.ToString("0.0", inv)} s");
        Console.WriteLine();
        Console.WriteLine($"{"Night",5}  {"Node",-8} {"Sent",8} {"Applied",8} {"Kept",6} {"Conflicts",9} {"Bytes",10}");
        foreach (var line in summary.NightLines)
        {
            Console.WriteLine($"{line.Night,5}  {line.Node,-8} {line.RowsSent,8} {line.RowsApplied,8} {line.RowsKeptForTomorrow,6} {line.Conflicts,9} {line.BytesSent,10}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"Table",-24} {"Rows",8}  Identical on every database");
        foreach (var table in summary.Tables)
        {
            Console.WriteLine($"{table.Table,-24} {table.Rows,8}  {(table.IdenticalEverywhere ? "yes" : "NO")}");
        }
        Console.WriteLine();
        Console.WriteLine($"Local-only (never synchronised): {string.Join(", ", summary.LocalOnlyTables)}");
        Console.WriteLine("Databases (embedded, user SYSDBA; compare them with isql-fb):");
        foreach (var database in summary.Databases)
        {
            Console.WriteLine($"  {database.Node,-8} {database.Role,-5} {database.Path}");
        }
        Console.WriteLine();
        Console.WriteLine(summary.Converged ? "Result: OK, every synchronised table holds the same rows everywhere." : "Result: FAILED, some tables differ.");
    }
}
