using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace HeitzSync.Core.Runs;

/// <summary>Who holds (or held) the run lock: what it runs, since when, which process on which machine.</summary>
public sealed record RunLockHolder(string Operation, DateTime StartedUtc, int ProcessId, DateTime? ProcessStartedUtc, string MachineName, string User)
{
    public override string ToString() =>
        $"{Operation} since {StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC, process {ProcessId} on {MachineName}";
}

/// <summary>Another run holds the lock; the message says which run, since when, and what to do.</summary>
public sealed class RunLockedException : Exception
{
    public RunLockedException(string message, RunLockHolder? holder = null) : base(message) => Holder = holder;

    /// <summary>The run that holds the lock, when it could be read.</summary>
    public RunLockHolder? Holder { get; }
}

/// <summary>
/// One run at a time per node. The lock is a file in the work folder opened exclusively (FileShare.None): the
/// operating system releases it when the process ends, however it ends, so a crashed run never blocks the next one.
/// Who holds it is written as JSON in the lock file and in <c>heitzsync.lock.json</c> beside it (an exclusively open
/// file cannot be read by the run that is refused). A holder record found when the lock is taken was left by a run
/// that did not finish; it is reported in <see cref="Recovered"/>.
/// <para>
/// The lock file is deleted on close on Windows (FileOptions.DeleteOnClose, which the OS honours even when the process
/// is killed). Elsewhere it is kept and emptied: .NET emulates DeleteOnClose there by unlinking before closing, and a
/// run waiting on the old file would then lock a file that no longer has a name while a third run creates a new one.
/// </para>
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string LockFileName = "heitzsync.lock";
    public const string HolderFileName = "heitzsync.lock.json";

    /// <summary>The hard cap of a run (DESIGN.md §1): a run holding the lock longer is hung, not working.</summary>
    public static readonly TimeSpan MaxRunDuration = TimeSpan.FromHours(24);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };
    private static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    private readonly FileStream _file;
    private readonly string _holderPath;
    private bool _disposed;

    private RunLock(FileStream file, string holderPath, RunLockHolder holder, RunLockHolder? recovered, string? recoveryNote)
    {
        _file = file;
        _holderPath = holderPath;
        Holder = holder;
        Recovered = recovered;
        RecoveryNote = recoveryNote;
    }

    /// <summary>This run, as recorded in the lock.</summary>
    public RunLockHolder Holder { get; }

    /// <summary>The run that left a stale lock behind (it did not finish), or null.</summary>
    public RunLockHolder? Recovered { get; }

    /// <summary>The run that left a stale lock, as one line ("Sync since ... UTC, process 1234 on HOST"); null when the lock was clean.</summary>
    public string? RecoveredFrom => Recovered?.ToString();

    /// <summary>A sentence about the stale lock that was recovered, for the report; null when the lock was clean.</summary>
    public string? RecoveryNote { get; }

    /// <summary>Takes the node's run lock for <paramref name="operation"/>, or throws <see cref="RunLockedException"/>.</summary>
    public static RunLock Acquire(string workFolder, string operation)
    {
        if (string.IsNullOrWhiteSpace(workFolder)) throw new ArgumentException("A work folder is required.", nameof(workFolder));
        Directory.CreateDirectory(workFolder);
        var lockPath = Path.Combine(workFolder, LockFileName);
        var holderPath = Path.Combine(workFolder, HolderFileName);
        var file = OpenExclusively(lockPath, holderPath, operation);
        try
        {
            var previous = ReadHolder(holderPath) ?? ReadHolder(file);
            string? note = null;
            if (previous is not null)
            {
                var (id, _) = ProcessCheck.Current();
                var alive = IsOnThisMachine(previous) && ProcessCheck.IsRunning(previous.ProcessId, previous.ProcessStartedUtc);
                if (alive && previous.ProcessId != id && Age(previous) < MaxRunDuration)
                {
                    // We got the file lock but the recorded holder runs: file locking is not enforced here (a
                    // file system without locks, or DOTNET_SYSTEM_IO_DISABLEFILELOCKING). Trust the record.
                    throw Refusal(previous, operation);
                }
                note = alive
                    ? $"the lock of {previous} was taken over: that run no longer holds it" + (Age(previous) >= MaxRunDuration ? " and is past the 24 h cap" : "")
                    : $"the previous run ({previous}) did not finish: its process is gone; its lock was recovered";
            }
            var self = ProcessCheck.Current();
            var holder = new RunLockHolder(operation, DateTime.UtcNow, self.Id, self.StartedUtc, Environment.MachineName, Environment.UserName);
            var body = JsonSerializer.SerializeToUtf8Bytes(holder, Json);
            file.SetLength(0);
            file.Position = 0;
            file.Write(body, 0, body.Length);
            file.Flush(flushToDisk: true);
            WriteAtomically(holderPath, body);
            return new RunLock(file, holderPath, holder, previous, note);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The run holding the node's lock now, or null when no run holds it (for Stop-HzSync and status displays).</summary>
    public static RunLockHolder? CurrentHolder(string workFolder)
    {
        var holder = ReadHolder(Path.Combine(workFolder, HolderFileName));
        if (holder is null) return null;
        return !IsOnThisMachine(holder) || ProcessCheck.IsRunning(holder.ProcessId, holder.ProcessStartedUtc) ? holder : null;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // The record goes first: a run refused from now on finds no holder to name, never a finished one.
        try
        {
            if (File.Exists(_holderPath)) File.Delete(_holderPath);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        try
        {
            if (!IsWindows) _file.SetLength(0);
        }
        catch (IOException) { }
        _file.Dispose();
    }

    private static FileStream OpenExclusively(string lockPath, string holderPath, string operation)
    {
        var options = IsWindows ? FileOptions.DeleteOnClose : FileOptions.None;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 4096, options);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Windows: a lock file being deleted by the run that just ended refuses opens (access denied) for a moment.
                // A run that has just taken the lock may not have written its record yet. Both settle within milliseconds.
                var holder = ReadHolder(holderPath);
                if ((holder is null || ex is UnauthorizedAccessException) && attempt < 10)
                {
                    Thread.Sleep(50 * attempt);
                    continue;
                }
                if (holder is null && ex is UnauthorizedAccessException)
                {
                    throw new UnauthorizedAccessException($"The run lock {lockPath} cannot be opened by this account ({ex.Message}). Check the rights on the work folder.", ex);
                }
                throw Refusal(holder, operation);
            }
        }
    }

    private static RunLockedException Refusal(RunLockHolder? holder, string operation)
    {
        if (holder is null)
        {
            return new RunLockedException($"A HeitzSync run is already in progress on this node; this {operation} was not started. Wait for it to finish, or stop it with {FrontCommands.Stop}.");
        }
        if (Age(holder) >= MaxRunDuration)
        {
            return new RunLockedException(
                $"A HeitzSync run still holds the lock: {holder}, more than the 24 h cap ago, so it is probably hung; this {operation} was not started. " +
                $"Stop process {holder.ProcessId} on {holder.MachineName} (Stop-Process -Id {holder.ProcessId}, or kill {holder.ProcessId}) and start again.", holder);
        }
        return new RunLockedException(
            $"A HeitzSync run is already in progress on this node: {holder}; this {operation} was not started. " +
            $"Wait for it to finish, or stop it with {FrontCommands.Stop}.", holder);
    }

    private static TimeSpan Age(RunLockHolder holder) => DateTime.UtcNow - holder.StartedUtc;

    private static bool IsOnThisMachine(RunLockHolder holder) => string.Equals(holder.MachineName, Environment.MachineName, StringComparison.OrdinalIgnoreCase);

    private static RunLockHolder? ReadHolder(string path)
    {
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllBytes(path)) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static RunLockHolder? ReadHolder(FileStream file)
    {
        if (file.Length == 0 || file.Length > 64 * 1024) return null;
        var bytes = new byte[file.Length];
        file.Position = 0;
        var read = 0;
        while (read < bytes.Length)
        {
            var n = file.Read(bytes, read, bytes.Length - read);
            if (n == 0) break;
            read += n;
        }
        return Parse(bytes);
    }

    private static RunLockHolder? Parse(byte[] bytes)
    {
        try
        {
            var holder = JsonSerializer.Deserialize<RunLockHolder>(bytes, Json);
            return holder is { Operation: not null, MachineName: not null } ? holder : null;
        }
        catch (JsonException)
        {
            return null;   // damaged, or written by an older version: nothing reliable to say about it
        }
    }

    private static void WriteAtomically(string path, byte[] body)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
        File.WriteAllBytes(temporary, body);
        if (File.Exists(path)) File.Replace(temporary, path, null);
        else File.Move(temporary, path);
    }
}
