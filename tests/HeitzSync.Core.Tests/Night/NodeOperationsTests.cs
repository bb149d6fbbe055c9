using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using HeitzSync.Core.Night;

namespace HeitzSync.Core.Tests.Night;

/// <summary>Get-HzSyncReport -Operation validates and completes from NodeOperations.Names: the list must be NodeRunner's.</summary>
[Trait("Category", "Unit")]
public class NodeOperationsTests
{
    [Fact]
    public void The_operation_names_are_the_ones_NodeRunner_writes_into_its_reports()
    {
        var source = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "src", "HeitzSync.Core", "Night", "NodeRunner.cs"));
        // Every run starts with RunAsync(config, <operation>, ...): the operation is a literal, or a choice of literals.
        var written = Regex.Matches(source, @"RunAsync\(config,\s*(?<operation>[^,]+),")
            .SelectMany(m => Regex.Matches(m.Groups["operation"].Value, "\"(?<name>[A-Za-z]+)\"").Select(n => n.Groups["name"].Value))
            .Distinct()
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        Assert.True(written.Count >= 5, "No RunAsync(config, \"Operation\", ...) call found in NodeRunner.cs: update this test's pattern.");
        Assert.Equal(written, NodeOperations.Names.OrderBy(n => n, StringComparer.Ordinal));
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
