using System.Globalization;
using System.Text.Json;

namespace HeitzSync.Core.Runs;

/// <summary>A stop asked for from another console: why, who, from where, when.</summary>
public sealed record StopRequestInfo(string Reason, string RequestedBy, string MachineName, DateTime RequestedUtc)
{
    public override string ToString() =>
        $"{Reason} (asked by {RequestedBy} on {MachineName} at {RequestedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";
}

/// <summary>
/// A stop asked from another console (Stop-HzSync, <c>hzsync stop</c>): a small JSON file in the work folder that a
/// running night polls (<see cref="IsRequested"/>) and stops at its next safe point. The run clears it when it starts
/// and when it ends, so a stale request never stops the next night.
/// </summary>
public sealed class StopRequest
{
    public const string FileName = "heitzsync.stop";
    private const int MaxReasonLength = 500;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    private readonly string _path;

    public StopRequest(string workFolder)
    {
        if (string.IsNullOrWhiteSpace(workFolder)) throw new ArgumentException("A work folder is required.", nameof(workFolder));
        _path = Path.Combine(workFolder, FileName);
    }

    /// <summary>Cheap enough to poll every second or two.</summary>
    public bool IsRequested => File.Exists(_path);

    /// <summary>The request with its reason and who asked, or null when no stop is asked.</summary>
    public StopRequestInfo? Read()
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(_path)) return null;
            bytes = File.ReadAllBytes(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return File.Exists(_path) ? Unknown() : null;
        }
        try
        {
            return JsonSerializer.Deserialize<StopRequestInfo>(bytes, Json) is { Reason: not null } info ? info : Unknown();
        }
        catch (JsonException)
        {
            return Unknown();
        }
    }

    /// <summary>Why the stop was asked and by whom, as one line; null when no stop is asked.</summary>
    public string? Reason => Read()?.ToString();

    /// <summary>Asks the running night to stop; the reason is kept in its report.</summary>
    public StopRequestInfo Request(string reason)
    {
        var text = string.IsNullOrWhiteSpace(reason) ? "stopped by an operator" : string.Join(" ", reason.Split(new[] { '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
        if (text.Length > MaxReasonLength) text = text.Substring(0, MaxReasonLength);
        var info = new StopRequestInfo(text, Environment.UserName, Environment.MachineName, DateTime.UtcNow);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temporary = _path + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(info, Json));
        if (File.Exists(_path)) File.Replace(temporary, _path, null);
        else File.Move(temporary, _path);
        return info;
    }

    public void Clear()
    {
        try
        {
            if (File.Exists(_path)) File.Delete(_path);
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
    }

    private static StopRequestInfo Unknown() => new("stop requested (the request file could not be read)", "unknown", "unknown", DateTime.UtcNow);
}
