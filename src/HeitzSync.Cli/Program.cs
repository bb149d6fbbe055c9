using System.CommandLine;

namespace HeitzSync.Cli;

/// <summary>hzsync: the console front. Every command calls HeitzSync.Core; exit codes are RMM's: 0 OK, 1 partial, 2 failed.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("HeitzSync: keeps the Firebird databases of a chain of establishments in step through the Siège, every night.")
        {
            DemoCommand.Create(),
        };
        foreach (var command in NodeCommands.Create()) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
