using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Runs;

/// <summary>
/// Removes the temporary files (<c>*.part</c>) that a killed or failed transfer, extract or publish left behind and that
/// nothing resumed for a day: at the start of every run, in the node's work folder and, at the Siège, in its drop folder.
/// A resumable transfer continues its .part within the night (or the next one), so a day without a write means it was
/// abandoned. A file someone is writing is never removed: it is recent, and a writer holding it exclusively
/// (every HeitzSync writer does) makes it impossible to open for the check.
/// </summary>
public static class StaleParts
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(1);

    /// <summary>Deletes every <c>*.part</c> under <paramref name="folder"/> (all depths) last written before
    /// <paramref name="nowUtc"/> − <paramref name="maxAge"/> and not held open exclusively. Returns the paths removed.</summary>
    public static IReadOnlyList<string> Clean(string folder, TimeSpan maxAge, DateTime nowUtc)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder)) return removed;
        foreach (var path in Candidates(folder))
        {
            try
            {
                // Only plain files: a link named *.part is never followed (what it points to is not ours), a FIFO never opened.
                if (Transport.LocalEntry.KindOf(path) != Transport.EntryKind.File) continue;
                if (nowUtc - File.GetLastWriteTimeUtc(path) <= maxAge) continue;
                // Exclusive open: fails while a writer holds the file (FileShare.None is an advisory lock on Unix too).
                using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                if (nowUtc - File.GetLastWriteTimeUtc(path) <= maxAge) continue;
                File.Delete(path);
                removed.Add(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // In use, already gone, or not ours to delete: leave it.
            }
        }
        return removed;
    }

    /// <summary>Every *.part below <paramref name="folder"/>, walking plain folders only: a folder that is a link (a site's
    /// folder in the drop linked elsewhere) is not entered.</summary>
    private static List<string> Candidates(string folder)
    {
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            try
            {
                foreach (var entry in new DirectoryInfo(current).EnumerateFileSystemInfos())
                {
                    var kind = Transport.LocalEntry.KindOf(entry.FullName);
                    if (kind == Transport.EntryKind.Folder) pending.Push(entry.FullName);
                    else if (entry.Name.EndsWith(".part", StringComparison.Ordinal)) found.Add(entry.FullName);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Tidying only: an unreadable folder is reported by the step that needs it.
            }
        }
        return found;
    }

    /// <summary>The folders a node tidies at the start of a run: its work folder, and at the Siège its drop folder
    /// (sites reach the drop through the Siège's server, where the Siège tidies for them).</summary>
    public static IReadOnlyList<string> CleanNode(HzSyncConfig config, DateTime nowUtc)
    {
        var removed = new List<string>(Clean(config.Resolve(config.WorkFolder), MaxAge, nowUtc));
        if (config.Role == NodeRole.Siege && config.Drop.Kind == DropKind.Folder && !string.IsNullOrWhiteSpace(config.Drop.Path))
        {
            removed.AddRange(Clean(config.Resolve(config.Drop.Path), MaxAge, nowUtc));
        }
        return removed;
    }
}
