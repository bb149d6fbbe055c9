using System.Text.Json;
using System.Text.Json.Nodes;

namespace HeitzSync.Core.Configuration;

/// <summary>One setting that differs between two configurations: its JSON path and both values as JSON text.</summary>
public sealed record ConfigDifference(string Setting, string Before, string After)
{
    public override string ToString() => $"{Setting}: {Before} -> {After}";
}

/// <summary>
/// What changes when one configuration replaces another, setting by setting (dotted JSON paths as in the file and in
/// Set-HzSyncConfig -Setting): what Set-HzSyncConfig -InputObject says it is about to write.
/// </summary>
public static class ConfigDifferences
{
    public static IReadOnlyList<ConfigDifference> Between(HzSyncConfig before, HzSyncConfig after)
    {
        if (before is null) throw new ArgumentNullException(nameof(before));
        if (after is null) throw new ArgumentNullException(nameof(after));
        var differences = new List<ConfigDifference>();
        Compare("", JsonSerializer.SerializeToNode(before, HzSyncConfigStore.Json), JsonSerializer.SerializeToNode(after, HzSyncConfigStore.Json), differences);
        return differences;
    }

    private static void Compare(string path, JsonNode? before, JsonNode? after, List<ConfigDifference> differences)
    {
        if (before is JsonObject left && after is JsonObject right)
        {
            foreach (var name in left.Select(p => p.Key).Concat(right.Select(p => p.Key)).Distinct(StringComparer.Ordinal))
            {
                Compare(path.Length == 0 ? name : path + "." + name, left[name], right[name], differences);
            }
            return;
        }
        var was = Text(before);
        var now = Text(after);
        if (!string.Equals(was, now, StringComparison.Ordinal)) differences.Add(new ConfigDifference(path, was, now));
    }

    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Text(JsonNode? node) => node?.ToJsonString(Readable) ?? "null";
}
