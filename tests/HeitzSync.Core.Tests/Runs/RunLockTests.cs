using System.Diagnostics;
using System.Text.Json;
using HeitzSync.Core.Runs;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Runs;

public class RunLockTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-runlock");

    private string LockFile => _temp.File(RunLock.LockFileName);
    private string HolderFile => _temp.File(RunLock.HolderFileName);

    [Fact]
    public void A_second_run_in_the_same_process_is_refused_with_what_holds_the_lock()
    {
        using var first = RunLock.Acquire(_temp.Path, "Sync");

        var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(_temp.Path, "Backup"));

        Assert.Contains("already in progress", refused.Message);
        Assert.Contains("Sync since", refused.Message);
        Assert.Contains($"process {Environment.ProcessId} on {Environment.MachineName}", refused.Message);
        Assert.Contains("this Backup was not started", refused.Message);
        Assert.Contains("Stop-HzSync", refused.Message);
        Assert.Equal(first.Holder, refused.Holder);
        Assert.Null(first.Recovered);
    }

    [Fact]
    public void A_lock_held_from_another_thread_refuses_this_one()
    {
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (RunLock.Acquire(_temp.Path, "Consolidate"))
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        Assert.True(held.Wait(TimeSpan.FromSeconds(60)));   // a guard only: returns as soon as the other thread holds the lock

        Assert.Throws<RunLockedException>(() => RunLock.Acquire(_temp.Path, "Sync"));
        release.Set();
        holder.Join();

        using var after = RunLock.Acquire(_temp.Path, "Sync");
        Assert.Null(after.Recovered);
    }

    [Fact]
    public void A_run_in_another_process_refuses_this_one_until_it_releases_the_lock()
    {
        using var other = LockHolderProcess.Start(_temp.Path, "Receive");
        Assert.Equal("LOCKED " + other.Id, other.FirstLine);

        var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(_temp.Path, "Sync"));
        Assert.Equal(other.Id, refused.Holder!.ProcessId);
        Assert.Equal("Receive", refused.Holder.Operation);
        Assert.Contains($"Receive since", refused.Message);
        Assert.Contains($"process {other.Id} on {Environment.MachineName}", refused.Message);
        Assert.Equal(other.Id, RunLock.CurrentHolder(_temp.Path)!.ProcessId);

        Assert.Equal(0, other.Release());

        using var mine = RunLock.Acquire(_temp.Path, "Sync");
        Assert.Null(mine.Recovered);   // released cleanly: nothing to recover
        Assert.Null(mine.RecoveryNote);
    }

    [Fact]
    public void This_run_refuses_a_run_started_in_another_process()
    {
        using var mine = RunLock.Acquire(_temp.Path, "Sync");

        using var other = LockHolderProcess.Start(_temp.Path, "Backup");

        Assert.StartsWith("REFUSED ", other.FirstLine);
        Assert.Contains($"Sync since", other.FirstLine);
        Assert.Contains($"process {Environment.ProcessId}", other.FirstLine);
        Assert.Equal(3, other.Release());
    }

    [Fact]
    public void The_lock_of_a_run_killed_outright_is_recovered_with_a_note()
    {
        using var other = LockHolderProcess.Start(_temp.Path, "Consolidate");
        Assert.StartsWith("LOCKED", other.FirstLine);
        other.Kill();   // power cut: no dispose, the record stays behind

        Assert.True(File.Exists(HolderFile));
        using var mine = RunLock.Acquire(_temp.Path, "Sync");

        Assert.Equal(other.Id, mine.Recovered!.ProcessId);
        Assert.Equal("Consolidate", mine.Recovered.Operation);
        Assert.Contains("did not finish", mine.RecoveryNote);
        Assert.Contains("process is gone", mine.RecoveryNote);
        Assert.Contains($"process {other.Id}", mine.RecoveredFrom);
        Assert.Equal(Environment.ProcessId, RunLock.CurrentHolder(_temp.Path)!.ProcessId);
    }

    [Fact]
    public void A_stale_lock_file_whose_process_is_dead_is_recovered()
    {
        var dead = new RunLockHolder("Sync", DateTime.UtcNow.AddHours(-2), ExitedProcessId(), DateTime.UtcNow.AddHours(-2), Environment.MachineName, "night");
        WriteRecord(LockFile, dead);
        WriteRecord(HolderFile, dead);

        using var mine = RunLock.Acquire(_temp.Path, "Sync");

        Assert.Equal(dead.ProcessId, mine.Recovered!.ProcessId);
        Assert.Contains("did not finish", mine.RecoveryNote);
        Assert.Equal(Environment.ProcessId, Read(HolderFile).ProcessId);
        Assert.Equal(Environment.ProcessId, RunLock.CurrentHolder(_temp.Path)!.ProcessId);
    }

    [Fact]
    public void A_stale_record_only_in_the_lock_file_is_recovered_too()
    {
        var dead = new RunLockHolder("Backup", DateTime.UtcNow.AddMinutes(-5), ExitedProcessId(), null, Environment.MachineName, "night");
        WriteRecord(LockFile, dead);

        using var mine = RunLock.Acquire(_temp.Path, "Sync");

        Assert.Equal(dead.ProcessId, mine.Recovered!.ProcessId);
    }

    [Fact]
    public void Where_file_locks_are_not_enforced_the_record_of_a_live_run_still_refuses()
    {
        // A process that runs but holds no file lock: what a file system without locks would show of a live run.
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var live = new RunLockHolder("Sync", DateTime.UtcNow.AddMinutes(-10), sleeper.Id, sleeper.StartTime.ToUniversalTime(), Environment.MachineName, "night");
            WriteRecord(HolderFile, live);

            var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(_temp.Path, "Backup"));
            Assert.Equal(sleeper.Id, refused.Holder!.ProcessId);

            // The same record past the 24 h cap is a hung run's: taken over, with a note.
            WriteRecord(HolderFile, live with { StartedUtc = DateTime.UtcNow.AddHours(-25) });
            using var mine = RunLock.Acquire(_temp.Path, "Backup");
            Assert.Contains("24 h cap", mine.RecoveryNote);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void A_record_whose_process_id_now_belongs_to_another_program_is_stale()
    {
        using var self = Process.GetCurrentProcess();
        var reused = new RunLockHolder("Sync", DateTime.UtcNow.AddHours(-1), self.Id, self.StartTime.ToUniversalTime().AddHours(-5), Environment.MachineName, "night");
        WriteRecord(HolderFile, reused);

        using var mine = RunLock.Acquire(_temp.Path, "Sync");

        Assert.Contains("process is gone", mine.RecoveryNote);
    }

    [Fact]
    public void Dispose_releases_the_lock_and_removes_the_record()
    {
        var first = RunLock.Acquire(_temp.Path, "Sync");
        Assert.Equal("Sync", Read(HolderFile).Operation);
        Assert.Equal(first.Holder, RunLock.CurrentHolder(_temp.Path));

        first.Dispose();
        first.Dispose();   // twice is harmless

        Assert.False(File.Exists(HolderFile));
        Assert.Null(RunLock.CurrentHolder(_temp.Path));
        Assert.True(!File.Exists(LockFile) || new FileInfo(LockFile).Length == 0);
        using var second = RunLock.Acquire(_temp.Path, "Backup");
        Assert.Null(second.Recovered);
        Assert.Equal("Backup", second.Holder.Operation);
    }

    private static void WriteRecord(string path, RunLockHolder holder) =>
        File.WriteAllText(path, JsonSerializer.Serialize(holder, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

    private static RunLockHolder Read(string path) =>
        JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })!;

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    public void Dispose() => _temp.Dispose();
}
