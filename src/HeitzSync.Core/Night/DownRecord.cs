using System.Text.Json;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Night;

/// <summary>
/// <c>&lt;work&gt;/down-record.json</c>: the packages of down/ a site is done with although they may still be there (set
/// aside as unusable, or a full package already restored that the account may not delete), by name, size and time, so that
/// each is reported once and downloaded once. Bounded: the newest <see cref="Keep"/> entries.
/// </summary>
internal sealed class DownRecord
{
    private const int Keep = 100;
    private readonly string _path;
    private readonly List<Entry> _entries;
    private bool _changed;

    private DownRecord(string path, List<Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    public sealed record Entry(string Name, long Length, DateTimeOffset? LastModifiedUtc, string Outcome, DateTimeOffset AtUtc);

    public static DownRecord Load(string workFolder)
    {
        var path = Path.Combine(workFolder, "down-record.json");
        try
        {
            if (File.Exists(path)) return new DownRecord(path, JsonSerializer.Deserialize<List<Entry>>(File.ReadAllBytes(path), DropJson.Options) ?? new List<Entry>());
        }
        catch (JsonException)
        {
            // A damaged record only costs a download and a report line again.
        }
        return new DownRecord(path, new List<Entry>());
    }

    public bool Contains(DropEntry entry) => _entries.Any(e => e.Name == entry.Name && e.Length == entry.Length && e.LastModifiedUtc == entry.LastModifiedUtc);

    public void Add(DropEntry entry, string outcome)
    {
        _entries.Add(new Entry(entry.Name, entry.Length, entry.LastModifiedUtc, outcome, DateTimeOffset.UtcNow));
        if (_entries.Count > Keep) _entries.RemoveRange(0, _entries.Count - Keep);
        _changed = true;
    }

    public void Save()
    {
        if (!_changed) return;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temporary = _path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(_entries, DropJson.Options));
        File.Copy(temporary, _path, overwrite: true);
        File.Delete(temporary);
        _changed = false;
    }
}
