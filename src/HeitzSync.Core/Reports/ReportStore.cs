using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeitzSync.Core.Reports;

/// <summary>
/// Reports as one JSON file each in a folder, written atomically, the last <c>keep</c> kept. A report saved as
/// Running whose process is gone reads as Failed (interrupted), so a crash is visible the next morning.
/// </summary>
public sealed class ReportStore
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly string _folder;
    private readonly int _keep;

    public ReportStore(string folder, int keep = 60)
    {
        _folder = folder;
        _keep = Math.Max(1, keep);
    }

    /// <summary>Starts a report in state Running and saves it at once.</summary>
    public SyncReport Begin(string node, string role, string operation, string cycleId)
    {
        var started = DateTime.UtcNow;
        var report = new SyncReport
        {
            Id = $"{started:yyyyMMdd'T'HHmmss'Z'}-{node}-{operation}".ToLowerInvariant(),
            Node = node,
            Role = role,
            Operation = operation,
            CycleId = cycleId,
            StartedUtc = started,
            State = ReportState.Running,
            ProcessId = Process.GetCurrentProcess().Id,
            MachineName = Environment.MachineName,
        };
        Save(report);
        return report;
    }

    public void Save(SyncReport report)
    {
        Directory.CreateDirectory(_folder);
        var path = PathOf(report.Id);
        var part = path + ".part";
        File.WriteAllBytes(part, JsonSerializer.SerializeToUtf8Bytes(report, Json));
        if (File.Exists(path)) File.Delete(path);
        File.Move(part, path);
        Rotate();
    }

    /// <summary>The last <paramref name="count"/> reports, newest first.</summary>
    public IReadOnlyList<SyncReport> List(int count = 10) =>
        Files().Take(count).Select(Read).Where(r => r is not null).Select(r => r!).ToList();

    public SyncReport? Get(string id)
    {
        if (!IsSafeId(id)) return null;
        var path = PathOf(id);
        return File.Exists(path) ? Read(new FileInfo(path)) : null;
    }

    private IEnumerable<FileInfo> Files() => Directory.Exists(_folder)
        ? new DirectoryInfo(_folder).GetFiles("*.json").OrderByDescending(f => f.Name, StringComparer.Ordinal)
        : Enumerable.Empty<FileInfo>();

    private SyncReport? Read(FileInfo file)
    {
        SyncReport? report;
        try
        {
            report = JsonSerializer.Deserialize<SyncReport>(File.ReadAllBytes(file.FullName), Json);
        }
        catch (JsonException)
        {
            return null;
        }
        if (report is { State: ReportState.Running } && !IsAlive(report))
        {
            report.State = ReportState.Failed;
            report.Summary = "Interrupted: the run stopped without finishing (process gone). " + report.Summary;
        }
        return report;
    }

    private static bool IsAlive(SyncReport report)
    {
        if (!string.Equals(report.MachineName, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            using var process = Process.GetProcessById(report.ProcessId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private void Rotate()
    {
        foreach (var old in Files().Skip(_keep)) old.Delete();
    }

    private string PathOf(string id) => Path.Combine(_folder, id + ".json");

    private static bool IsSafeId(string id) => id.Length > 0 && id.All(c => char.IsLetterOrDigit(c) || c is '-' or '_');
}
