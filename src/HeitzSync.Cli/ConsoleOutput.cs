using System.Text.Json;
using System.Text.Json.Serialization;
using HeitzSync.Core;
using HeitzSync.Core.Night;

namespace HeitzSync.Cli;

/// <summary>Writes results as text for people or as one JSON object (--json) for scripts.</summary>
internal static class ConsoleOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Progress on stderr (so --json stdout stays clean), one line per change of status.</summary>
    public static IProgress<SyncProgress> Progress(bool quiet)
    {
        string? last = null;
        return new InlineProgress<SyncProgress>(p =>
        {
            if (quiet) return;
            var line = $"[{p.Activity}] {p.Status}";
            if (line == last) return;
            last = line;
            Console.Error.WriteLine(line);
        });
    }

    public static void Error(string message) => Console.Error.WriteLine("hzsync: " + message);

}
