using HeitzSync.Core.Runs;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Reports;

/// <summary>
/// Reports as one JSON file each (<c>&lt;id&gt;.json</c>, camelCase) in a folder, written atomically (temporary file,
/// then rename), the last <c>keep</c> kept. <see cref="Begin"/> saves a Running report at once, with the process id,
/// its start time and the machine name: a report still Running whose process is gone reads as Failed (interrupted),
/// so a crash is visible the next morning. Every text is passed through a <see cref="SecretScrubber"/> before it is
/// written; the store only ever writes the strings callers gave it, never an exception object.
/// </summary>
public sealed class ReportStore
{
    public const int DefaultKeep = 60;

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    // Ids start with their UTC time (a cycle id, or Begin's time to the millisecond), so names sort in time order.
    private static readonly Regex IdPattern = new(@"^[0-9]{8}T[0-9]{6}([0-9]{3})?Z[A-Za-z0-9_.-]{0,120}$", RegexOptions.CultureInvariant);

    private readonly int _keep;
    private readonly SecretScrubber _scrubber;

    /// <param name="folder">Where the report files are.</param>
    /// <param name="keep">How many report files to keep (the newest).</param>
    /// <param name="secrets">Values that must never be written (the node's passwords and keys): masked wherever they appear.</param>
    public ReportStore(string folder, int keep = DefaultKeep, IEnumerable<string?>? secrets = null)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("A reports folder is required.", nameof(folder));
        Folder = folder;
        _keep = Math.Max(1, keep);
        _scrubber = new SecretScrubber(secrets);
    }

    public string Folder { get; }

    internal SecretScrubber Scrubber => _scrubber;

    /// <summary>Starts a report in state Running and saves it at once, under an id no other report has.</summary>
    public SyncReport Begin(string node, string role, string operation, string cycleId)
    {
        var started = DateTime.UtcNow;
        var self = ProcessCheck.Current();
        var report = new SyncReport
        {
            Node = node,
            Role = role,
            Operation = operation,
            CycleId = cycleId,
            StartedUtc = started,
            State = ReportState.Running,
            ProcessId = self.Id,
            ProcessStartedUtc = self.StartedUtc,
            MachineName = Environment.MachineName,
        };
        Secrets.UnixPermissions.CreatePrivateFolder(Folder);
        var stem = started.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + IdPart(node) + "-" + IdPart(operation);
        for (var n = 1; ; n++)
        {
            var id = n == 1 ? stem : stem + "-" + n.ToString(CultureInfo.InvariantCulture);
            try
            {
                // Reserves the name (two runs started in the same millisecond must not share a file); Save fills it.
                using (new FileStream(PathOf(id), FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
                report.Id = id;
                break;
            }
            catch (IOException) when (File.Exists(PathOf(id)) && n < 1000)
            {
            }
        }
        try
        {
            Save(report);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing can be written there (a full disk): the name reserved above is given back.
            try { File.Delete(PathOf(report.Id)); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            throw;
        }
        return report;
    }

    /// <summary>Begins a report (saved as Running at once) and returns the builder a run fills it through.</summary>
    public ReportBuilder Start(string node, string role, string operation, string cycleId) =>
        new(this, Begin(node, role, operation, cycleId));

    /// <summary>Writes the report (replacing its previous version), then removes the oldest beyond <c>keep</c>.</summary>
    public void Save(SyncReport report)
    {
        if (report is null) throw new ArgumentNullException(nameof(report));
        if (report.Id.Length == 0)
        {
            report.Id = report.StartedUtc.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + IdPart(report.Node) + "-" + IdPart(report.Operation);
        }
        if (!IsValidId(report.Id))
        {
            throw new ArgumentException($"'{report.Id}' is not a report id (it must start with its UTC time, yyyyMMddTHHmmss[fff]Z, then letters, digits, '-', '_' or '.').", nameof(report));
        }
        Conceal(report);
        Secrets.UnixPermissions.CreatePrivateFolder(Folder);
        var path = PathOf(report.Id);
        var temporary = path + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, Serialize(report));
            Replace(temporary, path);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        Rotate();
    }

    /// <summary>The last <paramref name="last"/> reports, newest first.</summary>
    public IReadOnlyList<SyncReport> List(int last = 10) => List(last, null);

    /// <summary>The last <paramref name="last"/> reports that match <paramref name="where"/> (all when null), newest first.</summary>
    public IReadOnlyList<SyncReport> List(int last, Func<SyncReport, bool>? where)
    {
        var reports = new List<SyncReport>();
        if (last <= 0) return reports;
        foreach (var file in ReportFiles())
        {
            if (Read(file) is { } report && (where is null || where(report))) reports.Add(report);
            if (reports.Count == last) break;
        }
        return reports;
    }

    /// <summary>One report by id (case does not matter), or null.</summary>
    public SyncReport? Get(string id)
    {
        if (id is null || !IsValidId(id)) return null;
        var path = PathOf(id);
        if (File.Exists(path)) return Read(new FileInfo(path));
        var match = ReportFiles().FirstOrDefault(f => string.Equals(IdOf(f), id, StringComparison.OrdinalIgnoreCase));
        return match is null ? null : Read(match);
    }

    public static bool IsValidId(string id) => IdPattern.IsMatch(id);

    internal static byte[] SerializeForCopy(SyncReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Json);

    internal static SyncReport DeserializeCopy(byte[] json) => JsonSerializer.Deserialize<SyncReport>(json, Json)!;

    /// <summary>Masks secrets in the report's own texts, so the object handed back to callers is as clean as the file.</summary>
    private void Conceal(SyncReport report)
    {
        report.Summary = _scrubber.Scrub(report.Summary);
        for (var i = 0; i < report.Errors.Count; i++)
        {
            var line = report.Errors[i];
            var message = _scrubber.Scrub(line.Message);
            var detail = _scrubber.ScrubNullable(line.Detail);
            if (!ReferenceEquals(message, line.Message) || !ReferenceEquals(detail, line.Detail)) report.Errors[i] = line with { Message = message, Detail = detail };
        }
        for (var i = 0; i < report.SiteLines.Count; i++)
        {
            var line = report.SiteLines[i];
            var error = _scrubber.ScrubNullable(line.Error);
            if (!ReferenceEquals(error, line.Error)) report.SiteLines[i] = line with { Error = error };
        }
    }

    /// <summary>Serializes with every string value scrubbed: whatever field a secret hides in, it is not written.</summary>
    private byte[] Serialize(SyncReport report)
    {
        var node = JsonSerializer.SerializeToNode(report, Json)!;
        ScrubStrings(node);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            node.WriteTo(writer, Json);
        }
        return buffer.ToArray();
    }

    private void ScrubStrings(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj.ToList())
                {
                    if (property.Value is null) continue;
                    if (property.Value is JsonValue value && value.TryGetValue<string>(out var text)) obj[property.Key] = _scrubber.Scrub(text);
                    else ScrubStrings(property.Value);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is null) continue;
                    if (array[i] is JsonValue value && value.TryGetValue<string>(out var text)) array[i] = _scrubber.Scrub(text);
                    else ScrubStrings(array[i]!);
                }
                break;
        }
    }

    private IEnumerable<FileInfo> ReportFiles() => Directory.Exists(Folder)
        ? new DirectoryInfo(Folder).EnumerateFiles("*.json").Where(f => IsValidId(IdOf(f))).OrderByDescending(f => f.Name, StringComparer.Ordinal)
        : Enumerable.Empty<FileInfo>();

    private static string IdOf(FileInfo file) => Path.GetFileNameWithoutExtension(file.Name);

    private SyncReport? Read(FileInfo file)
    {
        SyncReport? report;
        try
        {
            var bytes = File.ReadAllBytes(file.FullName);
            if (bytes.Length == 0) return null;   // a name Begin reserved a moment ago
            report = JsonSerializer.Deserialize<SyncReport>(bytes, Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (report is { State: ReportState.Running } && !IsAlive(report))
        {
            report.State = ReportState.Failed;
            report.Interrupted = true;
            report.EndedUtc ??= file.LastWriteTimeUtc;   // the last moment the run is known to have been alive
            report.Summary = $"Failed (interrupted): the run stopped without finishing (process {report.ProcessId} on {report.MachineName} is gone)."
                + (report.Summary.Length > 0 ? " Last known: " + report.Summary : "");
        }
        return report;
    }

    /// <summary>Whether the process that wrote a Running report still runs. On another machine we cannot tell, so yes.</summary>
    internal static bool IsAlive(SyncReport report) =>
        !string.Equals(report.MachineName, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
        || ProcessCheck.IsRunning(report.ProcessId, report.ProcessStartedUtc);

    private void Rotate()
    {
        foreach (var old in ReportFiles().Skip(_keep))
        {
            try { old.Delete(); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        // Temporary files of a writer that died between write and rename.
        foreach (var stale in new DirectoryInfo(Folder).EnumerateFiles("*.json.*.tmp").Where(f => f.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-1)))
        {
            try { stale.Delete(); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static void Replace(string temporary, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (File.Exists(path)) File.Replace(temporary, path, null);
                else File.Move(temporary, path);
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                // Windows refuses to replace a file a reader has open this very moment; readers are brief.
                Thread.Sleep(50 * attempt);
            }
            catch (UnauthorizedAccessException) when (attempt < 5)
            {
                Thread.Sleep(50 * attempt);
            }
        }
    }

    private string PathOf(string id) => Path.Combine(Folder, id + ".json");

    private static string IdPart(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            if (builder.Length == 40) break;
            builder.Append(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_');
        }
        return builder.Length == 0 ? "_" : builder.ToString();
    }
}
