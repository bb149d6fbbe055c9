using HeitzSync.Core.Configuration;
using HeitzSync.Core.Scheduling;

namespace HeitzSync.PowerShell;

/// <summary>
/// A node's scheduled night: what Register-HzSyncTask registered (or wrote for review with -Path), or what
/// Get-HzSyncTask found: when, how and where. Pipes to Unregister-HzSyncTask by Kind, Path and ConfigPath.
/// </summary>
public sealed class HzScheduledTask
{
    public HzScheduledTask(ScheduleResult result, string? configPath)
    {
        if (result is null) throw new ArgumentNullException(nameof(result));
        var plan = result.Plan;
        Name = plan.NameFor(result.Kind);
        Kind = result.Kind.ToString();
        Node = plan.Site;
        Role = plan.Role.ToString();
        At = plan.AtText;
        OffsetMinutes = plan.OffsetMinutes;
        Schedule = result.Kind switch
        {
            ScheduleKind.Systemd => "OnCalendar=" + SystemdUnits.OnCalendar(plan),
            ScheduleKind.Cron => CronEntry.Fields(plan),
            _ => "daily at " + plan.AtText,
        };
        Command = result.Command;
        RunAs = plan.RunAs ?? (result.Kind == ScheduleKind.TaskScheduler ? "SYSTEM" : "root");
        Files = result.Files.ToArray();
        Installed = result.Installed;
        Path = Installed || Files.Length == 0 ? "" : System.IO.Path.GetDirectoryName(Files[0]) ?? "";
        ConfigPath = configPath ?? "";
    }

    /// <param name="found">The task as the scheduler's files say.</param>
    /// <param name="config">The node's configuration: its role, and the start time the offset is counted from.</param>
    public HzScheduledTask(FoundTask found, HzSyncConfig config)
    {
        if (found is null) throw new ArgumentNullException(nameof(found));
        if (config is null) throw new ArgumentNullException(nameof(config));
        Name = found.Name;
        Kind = found.Kind.ToString();
        Node = found.Site;
        Role = config.Role.ToString();
        At = found.At ?? "";
        OffsetMinutes = TimeOfDay(found.At) is { } at && TimeOfDay(config.Schedule.StartTime) is { } start
            ? (int)((at - start).TotalMinutes + 24 * 60) % (24 * 60)
            : 0;
        Schedule = found.Schedule;
        Command = found.Command;
        RunAs = found.RunAs;
        Files = found.Files.ToArray();
        Installed = found.Installed;
        Path = Installed || Files.Length == 0 ? "" : System.IO.Path.GetDirectoryName(Files[0]) ?? "";
        ConfigPath = config.ConfigPath ?? "";
    }

    /// <summary>HeitzSync-LYON01 (Task Scheduler), or heitzsync-lyon01 (the systemd units, the cron.d file).</summary>
    public string Name { get; }

    /// <summary>TaskScheduler, Systemd or Cron.</summary>
    public string Kind { get; }

    /// <summary>The node's site code.</summary>
    public string Node { get; }

    /// <summary>Site or Siege.</summary>
    public string Role { get; }

    /// <summary>The local time of day the night starts, HH:mm.</summary>
    public string At { get; }

    /// <summary>Minutes after schedule.startTime: 0 for the Siège, site number × staggerMinutes for a site.</summary>
    public int OffsetMinutes { get; }

    /// <summary>The schedule as the scheduler reads it: OnCalendar=..., the cron time fields, or "daily at HH:mm".</summary>
    public string Schedule { get; }

    /// <summary>The command line the scheduler runs.</summary>
    public string Command { get; }

    /// <summary>The account that runs it (SYSTEM or root when none was given).</summary>
    public string RunAs { get; }

    /// <summary>The files written: with -Path, in that folder; installed, the units or the cron file (none for Task Scheduler, which keeps the task itself).</summary>
    public string[] Files { get; }

    /// <summary>True when the task is in the system's scheduler; false when only the files were written (-Path).</summary>
    public bool Installed { get; }

    /// <summary>The folder the files were written to for review (-Path); empty for a task installed in the system's scheduler.</summary>
    public string Path { get; }

    /// <summary>The node's configuration file.</summary>
    public string ConfigPath { get; }

    private static TimeSpan? TimeOfDay(string? text) =>
        TimeSpan.TryParseExact(text ?? "", new[] { @"h\:mm", @"hh\:mm" }, System.Globalization.CultureInfo.InvariantCulture, out var time) ? time : null;

    public override string ToString() => $"{Name} ({Kind}) at {At}: {Command}";
}
