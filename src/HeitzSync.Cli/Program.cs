using System.CommandLine;
using System.Runtime.InteropServices;
using HeitzSync.Core;
using HeitzSync.Core.Runs;

namespace HeitzSync.Cli;

/// <summary>hzsync: the console front. Every command calls HeitzSync.Core; exit codes are RMM's: 0 OK, 1 partial, 2 failed.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        FrontCommands.Current = HzFront.Console;
        var root = new RootCommand("HeitzSync: keeps the Firebird databases of a chain of establishments in step through the Siège, every night.")
        {
            DemoCommand.Create(),
        };
        foreach (var command in NodeCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in SetupCommands.Create()) root.Subcommands.Add(command);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Exit 1 means "partial night" to RMM tools: a command line that cannot be understood is a failure.
            ConsoleOutput.Error(string.Join(" ", parse.Errors.Select(e => e.Message.TrimEnd('.') + "."))
                + " Run 'hzsync --help' (or 'hzsync <command> --help') for the commands and their options.");
            return ExitCodes.Failed;
        }
        // SIGTERM (systemctl stop, docker stop, RMM agents) and SIGINT (Ctrl+C) stop a night as 'hzsync stop' does: the
        // run rolls back what it was doing, writes its report as Stopped, prints its summary and exits 2. The signal is
        // cancelled, so the process ends only when the run has.
        using var stop = new ProcessStop();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => Stop(signal, stop, "SIGTERM (systemctl stop, docker stop or a management agent)"));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => Stop(signal, stop, "SIGINT (Ctrl+C)"));
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, signal => Stop(signal, stop, "SIGQUIT"));
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token).ConfigureAwait(false);
    }

    /// <summary>The first signal stops the run cleanly; a second one ends the process at once (the database rolls back
    /// what was not committed, the next run catches up).</summary>
    private static void Stop(PosixSignalContext signal, ProcessStop stop, string reason)
    {
        if (stop.Reason is not null) return;
        signal.Cancel = true;
        ConsoleOutput.Error($"{reason}: stopping cleanly; a second signal ends it at once.");
        stop.Request(reason);
    }
}
