using System.Text.Json;

namespace HeitzSync.Core.Night;

/// <summary>
/// The demo's work folder. The demo removes only what it can prove it made: a folder it set up holds a marker file
/// (<see cref="MarkerName"/>) listing the names it made there; a rerun removes exactly those, and refuses a folder that
/// holds anything else (a real node's folder with its database, backups and group key is never touched).
/// </summary>
internal static class DemoFolder
{
    public const string MarkerName = ".heitzsync-demo";

    private sealed record Marker(string MadeBy, IReadOnlyList<string> Entries);

    /// <summary>Makes <paramref name="root"/> ready for a demo that will make <paramref name="entries"/> in it: new, empty,
    /// or a previous demo's (then emptied of what that demo made). Throws <see cref="IOException"/> and deletes nothing otherwise.</summary>
    public static void Prepare(string root, IReadOnlyList<string> entries)
    {
        if (File.Exists(root)) throw new IOException($"--workdir {root} is a file: give a new or empty folder.");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            var made = ReadMarker(Path.Combine(root, MarkerName))
                ?? throw new IOException($"--workdir {root} is not empty and was not made by hzsync demo (it holds no {MarkerName}): nothing was deleted; give a new or empty folder.");
            var foreign = Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName)
                .Where(name => name != MarkerName && !made.Contains(name!, StringComparer.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (foreign.Count > 0)
            {
                throw new IOException($"--workdir {root} holds {string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : "")}, which hzsync demo did not make: nothing was deleted; give a new or empty folder.");
            }
            foreach (var name in made) Remove(Path.Combine(root, name));
        }
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, MarkerName), JsonSerializer.SerializeToUtf8Bytes(new Marker("hzsync demo", entries)));
    }

    private static IReadOnlyList<string>? ReadMarker(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0) return null;
        try
        {
            var marker = JsonSerializer.Deserialize<Marker>(File.ReadAllBytes(path));
            // Only plain names in the folder itself: a marker never steers a delete elsewhere.
            return marker?.Entries?.Where(n => n.Length > 0 && n == Path.GetFileName(n) && n is not ("." or "..")).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Removes a file or a folder the demo made; a link is removed itself, never what it points to (a recursive
    /// delete does not follow the links inside a folder either).</summary>
    private static void Remove(string path)
    {
        var entry = new DirectoryInfo(Path.GetDirectoryName(path)!).EnumerateFileSystemInfos(Path.GetFileName(path)).FirstOrDefault();
        if (entry is null) return;
        var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
        if (entry is DirectoryInfo && !isLink) Directory.Delete(path, recursive: true);
        else if (entry is DirectoryInfo && Path.DirectorySeparatorChar == '\\') Directory.Delete(path);
        else File.Delete(path);
    }
}
