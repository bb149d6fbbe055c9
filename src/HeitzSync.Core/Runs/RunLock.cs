using System.Diagnostics;
using System.Text;

namespace HeitzSync.Core.Runs;

/// <summary>Another run holds the lock.</summary>
public sealed class RunLockedException : Exception
{
    public RunLockedException(string message) : base(message) { }
}

/// <summary>
/// One run at a time per node: an exclusively opened lock file in the work folder. The operating system releases it
/// when the process dies, so a lock left by a crashed run is simply taken over (its note is read and replaced).
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _file;

    private RunLock(FileStream file, string? recoveredFrom)
    {
        _file = file;
        RecoveredFrom = recoveredFrom;
    }

    /// <summary>What the previous holder's note said when a stale lock was recovered; null otherwise.</summary>
    public string? RecoveredFrom { get; }

    public static RunLock Acquire(string workFolder, string operation)
    {
        Directory.CreateDirectory(workFolder);
        var path = Path.Combine(workFolder, "heitzsync.lock");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string holder;
            try { holder = File.ReadAllText(path).Trim(); }
            catch (IOException) { holder = "another HeitzSync run"; }
            throw new RunLockedException($"A HeitzSync run is already in progress on this node ({holder}); this {operation} was not started. Wait for it, or stop it with Stop-HzSync / 'hzsync stop'.");
        }
        string? previous = null;
        if (file.Length > 0)
        {
            var bytes = new byte[Math.Min(file.Length, 4096)];
            var read = file.Read(bytes, 0, bytes.Length);
            previous = Encoding.UTF8.GetString(bytes, 0, read).Trim();
        }
        var note = Encoding.UTF8.GetBytes($"{operation} since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, process {Process.GetCurrentProcess().Id} on {Environment.MachineName}");
        file.SetLength(0);
        file.Position = 0;
        file.Write(note, 0, note.Length);
        file.Flush(flushToDisk: true);
        return new RunLock(file, string.IsNullOrEmpty(previous) ? null : previous);
    }

    public void Dispose()
    {
        _file.SetLength(0);
        _file.Dispose();
    }
}

/// <summary>A stop asked from another console (Stop-HzSync): a file in the work folder that a running night polls.</summary>
public sealed class StopRequest
{
    private readonly string _path;

    public StopRequest(string workFolder) => _path = Path.Combine(workFolder, "heitzsync.stop");

    public bool IsRequested => File.Exists(_path);

    public string? Reason => IsRequested ? File.ReadAllText(_path).Trim() : null;

    public void Request(string reason)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        File.WriteAllText(_path, $"{reason} (asked by {Environment.UserName} at {DateTime.UtcNow:HH:mm:ss} UTC)");
    }

    public void Clear()
    {
        if (File.Exists(_path)) File.Delete(_path);
    }
}
