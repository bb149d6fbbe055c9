using HeitzSync.Core.Scheduling;

namespace HeitzSync.PowerShell;

/// <summary>What Register-HzSyncTask registered (or wrote for review with -Path): when, how and where.</summary>
public sealed class HzScheduledTask
{
    public HzScheduledTask(ScheduleResult result)
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

    public override string ToString() => $"{Name} ({Kind}) at {At}: {Command}";
}
