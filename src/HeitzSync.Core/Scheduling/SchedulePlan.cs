using System.Globalization;
using System.Runtime.InteropServices;
using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Scheduling;

/// <summary>Where the night is scheduled: Windows Task Scheduler, a systemd timer, or a line in /etc/cron.d.</summary>
public enum ScheduleKind
{
    /// <summary>TaskScheduler on Windows; Systemd on Linux booted with systemd; Cron elsewhere.</summary>
    Auto,
    TaskScheduler,
    Systemd,
    Cron,
}

/// <summary>
/// When and how one node's night runs: the time of day from <c>schedule.startTime</c> and <c>schedule.staggerMinutes</c>,
/// and the command (a PowerShell script of module/Scripts, or <c>hzsync sync</c>) with its arguments.
/// </summary>
public sealed record SchedulePlan
{
    /// <summary>The task's name: HeitzSync-LYON01 (Task Scheduler); the units and the cron file use <see cref="FileBaseName"/>.</summary>
    public string Name { get; init; } = "";

    public NodeRole Role { get; init; }
    public string Site { get; init; } = "";
    public int SiteNumber { get; init; }

    /// <summary>The local time of day the night starts (startTime, plus the site's stagger).</summary>
    public TimeSpan At { get; init; }

    /// <summary>Minutes after startTime: 0 for the Siège, number × staggerMinutes for a site.</summary>
    public int OffsetMinutes { get; init; }

    /// <summary>The program run (pwsh, powershell.exe, hzsync, dotnet): a full path.</summary>
    public string Program { get; init; } = "";

    /// <summary>Its arguments, unquoted: each renderer quotes them for its own syntax.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    /// <summary>The folder of the configuration file (its BaseFolder): the command's working directory.</summary>
    public string WorkingDirectory { get; init; } = "";

    /// <summary>The account that runs the night; null: SYSTEM on Windows, root on Linux.</summary>
    public string? RunAs { get; init; }

    /// <summary>Something about the time that deserves a look (a site starting past its restart hour...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>heitzsync-lyon01: the systemd units' and the cron file's name (cron.d ignores names with a dot).</summary>
    public string FileBaseName => FileBaseNameOf(Site);

    /// <summary>HeitzSync-LYON01: a site's task name in Task Scheduler.</summary>
    public static string TaskNameOf(string site) => "HeitzSync-" + site;

    /// <summary>heitzsync-lyon01: a site's systemd units' and cron file's name.</summary>
    public static string FileBaseNameOf(string site) => "heitzsync-" + site.ToLowerInvariant();

    /// <summary>The name the task goes by for <paramref name="kind"/>: <see cref="Name"/> in Task Scheduler, else <see cref="FileBaseName"/>.</summary>
    public string NameFor(ScheduleKind kind) => kind == ScheduleKind.TaskScheduler ? Name : FileBaseName;

    /// <summary>HH:mm.</summary>
    public string AtText => At.ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    public string Description => $"HeitzSync night of {Site} ({Role}), every day at {AtText}";
}

/// <summary>The program and arguments a scheduled night runs.</summary>
public sealed record ScheduledCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The file name of the scheduled script for a role, in the module's Scripts folder.</summary>
    public static string ScriptFor(NodeRole role) => role == NodeRole.Siege ? "Invoke-HzSiegeNight.ps1" : "Invoke-HzSiteNight.ps1";

    /// <summary>
    /// PowerShell running a scheduled script: <c>-NoProfile -NonInteractive [-ExecutionPolicy Bypass] -File script -ConfigPath config</c>.
    /// The execution policy is bypassed on Windows only (a script of an installed module may carry a download mark;
    /// PowerShell elsewhere has no policy).
    /// </summary>
    public static ScheduledCommand PowerShell(string shell, string script, string configPath, bool windows)
    {
        var arguments = new List<string> { "-NoProfile", "-NonInteractive" };
        if (windows) arguments.AddRange(new[] { "-ExecutionPolicy", "Bypass" });
        arguments.AddRange(new[] { "-File", script, "-ConfigPath", configPath });
        return new ScheduledCommand(shell, arguments);
    }

    /// <summary><c>hzsync sync --config config</c>; <paramref name="prefix"/> holds hzsync.dll when hzsync runs through <c>dotnet</c>.</summary>
    public static ScheduledCommand Hzsync(string program, IEnumerable<string> prefix, string configPath) =>
        new(program, prefix.Concat(new[] { "sync", "--config", configPath }).ToList());
}

/// <summary>Plans the night of a node from its configuration: the Siège first, the sites staggered after it.</summary>
public static class SchedulePlanner
{
    /// <summary>
    /// The Siège starts at <c>schedule.startTime</c>; a site starts <c>number × staggerMinutes</c> later (by its site
    /// number, not its position in a list: each node knows its own number, and a site added later never moves the
    /// others). The time wraps past midnight.
    /// </summary>
    public static SchedulePlan Plan(HzSyncConfig config, ScheduledCommand command, string? runAs = null)
    {
        if (config is null) throw new ArgumentNullException(nameof(config));
        if (command is null) throw new ArgumentNullException(nameof(command));
        var schedule = config.Schedule;
        var start = HzSyncConfigStore.TimeOfDay(schedule.StartTime)
            ?? throw new HzConfigException(config.ConfigPath ?? "(in memory)", new[] { $"schedule.startTime '{schedule.StartTime}' must be a time of day, HH:mm (e.g. 02:00)" });
        var offset = config.Role == NodeRole.Siege ? 0 : config.Site.Number * schedule.StaggerMinutes;
        var at = TimeSpan.FromMinutes((start.TotalMinutes + offset) % (24 * 60));
        return new SchedulePlan
        {
            Name = SchedulePlan.TaskNameOf(config.Site.Code),
            Role = config.Role,
            Site = config.Site.Code,
            SiteNumber = config.Site.Number,
            At = at,
            OffsetMinutes = offset,
            Program = command.Program,
            Arguments = command.Arguments,
            WorkingDirectory = config.BaseFolder,
            RunAs = string.IsNullOrEmpty(runAs) ? null : runAs,
            Warnings = Warnings(config, start, offset, at),
        };
    }

    /// <summary>Auto: Windows → Task Scheduler; Linux booted with systemd (/run/systemd/system exists) → systemd; else cron.</summary>
    public static ScheduleKind Resolve(ScheduleKind kind) => kind != ScheduleKind.Auto ? kind
        : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? ScheduleKind.TaskScheduler
        : Directory.Exists("/run/systemd/system") ? ScheduleKind.Systemd
        : ScheduleKind.Cron;

    private static IReadOnlyList<string> Warnings(HzSyncConfig config, TimeSpan start, int offset, TimeSpan at)
    {
        var warnings = new List<string>();
        if (config.Role == NodeRole.Siege) return warnings;
        var schedule = config.Schedule;
        if (HzSyncConfigStore.TimeOfDay(schedule.RestartHour) is { } restart)
        {
            var window = restart - start;
            if (window <= TimeSpan.Zero) window += TimeSpan.FromDays(1);
            if (offset >= window.TotalMinutes)
            {
                warnings.Add($"{config.Site.Code} (site number {config.Site.Number}) starts at {at:hh\\:mm}, {offset} min after startTime {schedule.StartTime}: " +
                             $"at or past its restart hour {schedule.RestartHour}, so it would run through the day. Lower schedule.staggerMinutes ({schedule.StaggerMinutes}) or start earlier.");
            }
        }
        if (offset >= schedule.ReceptionMinutes)
        {
            warnings.Add($"{config.Site.Code} starts {offset} min after startTime, not before the end of the reception time ({schedule.ReceptionMinutes} min in this file): " +
                         "if the Siège waits that long, its package arrives the night after. Lower schedule.staggerMinutes or raise the Siège's receptionMinutes.");
        }
        return warnings;
    }
}
