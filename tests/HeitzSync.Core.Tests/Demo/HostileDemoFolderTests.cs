using HeitzSync.Core.Night;

namespace HeitzSync.Core.Tests.Demo;

/// <summary>Issue 14: the demo removes only what its own marker says it made, and refuses any other non-empty folder.</summary>
[Trait("Category", "Hostile")]
public sealed class HostileDemoFolderTests : IDisposable
{
    private readonly Testing.TempFolder _temp = new("hz-hostile-demo");

    [Fact]
    public void A_previous_demo_is_cleared_and_anything_it_did_not_make_stops_it()
    {
        var root = _temp.File("demo");
        var made = new[] { "drop", "work", "group.key", "SIEGE.fdb" };
        DemoFolder.Prepare(root, made);
        Directory.CreateDirectory(Path.Combine(root, "drop", "CLUB01"));
        File.WriteAllText(Path.Combine(root, "group.key"), "demo key");
        File.WriteAllText(Path.Combine(root, "SIEGE.fdb"), "demo database");

        // A rerun removes what the demo made and marks the folder again.
        DemoFolder.Prepare(root, made);
        Assert.Equal(new[] { DemoFolder.MarkerName }, Directory.GetFileSystemEntries(root).Select(Path.GetFileName));

        // Someone's file put in a demo folder: nothing is deleted.
        File.WriteAllText(Path.Combine(root, "group.key"), "demo key");
        File.WriteAllText(Path.Combine(root, "members.xlsx"), "someone's work");
        var error = Assert.Throws<IOException>(() => DemoFolder.Prepare(root, made));
        Assert.Contains("members.xlsx", error.Message);
        Assert.Contains("nothing was deleted", error.Message);
        Assert.True(File.Exists(Path.Combine(root, "group.key")) && File.Exists(Path.Combine(root, "members.xlsx")));

        // A marker listing paths outside the folder never steers a delete there.
        var outside = _temp.File("outside.txt");
        File.WriteAllText(outside, "keep");
        File.Delete(Path.Combine(root, "members.xlsx"));
        File.WriteAllText(Path.Combine(root, DemoFolder.MarkerName), $"{{\"MadeBy\":\"hzsync demo\",\"Entries\":[\"group.key\",\"../outside.txt\",\"{outside}\"]}}");
        DemoFolder.Prepare(root, made);
        Assert.Equal("keep", File.ReadAllText(outside));
    }

    public void Dispose() => _temp.Dispose();
}
