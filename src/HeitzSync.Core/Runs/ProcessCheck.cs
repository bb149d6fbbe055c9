using System.Diagnostics;

namespace HeitzSync.Core.Runs;

/// <summary>Whether a process recorded earlier (id and start time) still runs on this machine.</summary>
internal static class ProcessCheck
{
    // Process start times are derived (boot time + ticks on Linux); a few seconds of slack absorbs the rounding.
    private static readonly TimeSpan StartTimeSlack = TimeSpan.FromSeconds(5);

    public static bool IsRunning(int processId, DateTime? startedUtc)
    {
        if (processId <= 0) return false;
        try
        {
            using var process = Process.GetProcessById(processId);
            if (process.HasExited) return false;
            // A process id is reused after the process ends (and after every reboot): a different start time means another program.
            if (startedUtc is { } recorded && StartTimeOf(process) is { } actual && (actual - recorded).Duration() > StartTimeSlack) return false;
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static DateTime? StartTimeOf(Process process)
    {
        try
        {
            return process.StartTime.ToUniversalTime();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    public static (int Id, DateTime? StartedUtc) Current()
    {
        using var self = Process.GetCurrentProcess();
        return (self.Id, StartTimeOf(self));
    }
}
