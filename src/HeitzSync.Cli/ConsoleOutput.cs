using System.Text.Json;
using System.Text.Json.Serialization;
using HeitzSync.Core;
using HeitzSync.Core.Night;

namespace HeitzSync.Cli;

/// <summary>
/// Writes results as text for people or as one JSON object (--json) for scripts. Progress is for a person at a
/// terminal: one line rewritten in place on stderr when stderr is a terminal, nothing when it is redirected (cron, RMM
/// agents, a log file: about 2,000 gbak lines a night would drown the summary), every line with --verbose.
/// </summary>
internal static class ConsoleOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly object Gate = new();
    private static bool _lineShown;

    /// <summary>--verbose: every progress line (gbak's own lines...) on stderr, terminal or not.</summary>
    public static bool Verbose { get; set; }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Progress on stderr (so --json stdout stays clean): see the class for when and how.</summary>
    public static IProgress<SyncProgress> Progress(bool quiet)
    {
        if (quiet || (!Verbose && Console.IsErrorRedirected)) return new InlineProgress<SyncProgress>(_ => { });
        string? last = null;
        var verbose = Verbose;
        return new InlineProgress<SyncProgress>(p =>
        {
            var line = $"[{p.Activity}] {p.Status}";
            lock (Gate)
            {
                if (line == last) return;
                last = line;
                if (verbose) Console.Error.WriteLine(line);
                else ShowInPlace(line);
            }
        });
    }

    /// <summary>Clears the progress line (if one is shown) before other output.</summary>
    public static void EndProgress()
    {
        lock (Gate)
        {
            if (!_lineShown) return;
            Console.Error.Write("\r" + new string(' ', Width()) + "\r");
            _lineShown = false;
        }
    }

    public static void Error(string message)
    {
        EndProgress();
        Console.Error.WriteLine("hzsync: " + message);
    }

    private static void ShowInPlace(string line)
    {
        var width = Width();
        var shown = line.Length > width ? line.Substring(0, width - 1) + "…" : line.PadRight(width);
        Console.Error.Write("\r" + shown);
        _lineShown = true;
    }

    /// <summary>One less than the terminal's width, so the line never wraps.</summary>
    private static int Width()
    {
        try
        {
            var width = Console.WindowWidth;
            return width > 10 ? width - 1 : 79;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return 79;
        }
    }
}
