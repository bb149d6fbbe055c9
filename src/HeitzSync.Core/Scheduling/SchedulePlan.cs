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

    /// <summary>Where a cron line appends the night's output (cron keeps none): night.log in the node's reports folder; null: nowhere.</summary>
    public string? LogFile { get; init; }

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
    /// PowerShell running the role's scheduled script of the HeitzSync module it finds when the night starts, not of
    /// the version that registered the task (an upgrade removes that folder):
    /// <c>-NoProfile -NonInteractive [-ExecutionPolicy Bypass] -Command &lt;entry point&gt;</c> (<see cref="EntryPoint"/>).
    /// The execution policy is bypassed on Windows only (a script of an installed module may carry a download mark;
    /// PowerShell elsewhere has no policy).
    /// </summary>
    public static ScheduledCommand PowerShell(string shell, NodeRole role, string? modulesFolder, string configPath, bool windows)
    {
        var arguments = new List<string> { "-NoProfile", "-NonInteractive" };
        if (windows) arguments.AddRange(new[] { "-ExecutionPolicy", "Bypass" });
        arguments.AddRange(new[] { "-Command", EntryPoint(role, modulesFolder, configPath) });
        return new ScheduledCommand(shell, arguments);
    }

    /// <summary>
    /// The PowerShell text a scheduled night runs: puts <paramref name="modulesFolder"/> (the folder that holds the
    /// module's HeitzSync folder, where an upgrade installs the next version) first on PSModulePath, imports HeitzSync
    /// (its newest version there, else the first one PSModulePath finds), runs that version's script for the role, and
    /// exits with the script's code; 0, 1 or 2 always: a module or script that cannot be found or loaded prints one
    /// FAILED line and exits 2 (pwsh -File on a missing script would exit 64). Only single-quoted literals: the text
    /// goes through Task Scheduler's, systemd's and cron's quoting unchanged.
    /// </summary>
    public static string EntryPoint(NodeRole role, string? modulesFolder, string configPath)
    {
        if (configPath is null) throw new ArgumentNullException(nameof(configPath));
        var label = role == NodeRole.Siege ? "SIEGE" : "SITE";
        var config = PowerShellLiteral(configPath);
        var path = modulesFolder is null ? "" : $"$env:PSModulePath = {PowerShellLiteral(modulesFolder)} + [IO.Path]::PathSeparator + $env:PSModulePath; ";
        return path +
            "try { $m = Import-Module HeitzSync -PassThru -ErrorAction Stop | Select-Object -Last 1; " +
            $"& (Join-Path $m.ModuleBase {PowerShellLiteral("Scripts/" + ScriptFor(role))}) -ConfigPath {config}; " +
            "exit $(if ($LASTEXITCODE -in 0, 1, 2) { $LASTEXITCODE } else { 2 }) } " +
            $"catch {{ 'HeitzSync {label} ' + {config} + ' FAILED: the HeitzSync module could not be loaded (' + $_.Exception.Message + '): install it for all users " +
            "(Install-PSResource HeitzSync -Scope AllUsers) or register the task again from where it is (Register-HzSyncTask -Force)'; exit 2 }";
    }

    /// <summary>
    /// The folder a module path entry must name for <c>Import-Module HeitzSync</c> to find the module loaded from
    /// <paramref name="moduleBase"/>: …/Modules for …/Modules/HeitzSync/0.1.0 or …/Modules/HeitzSync; null when the
    /// module's folder is not laid out that way (the task then finds the module through PSModulePath alone).
    /// </summary>
    public static string? ModulesFolderOf(string moduleBase)
    {
        if (string.IsNullOrEmpty(moduleBase)) return null;
        var folder = new DirectoryInfo(moduleBase.TrimEnd('/', '\\'));
        if (Version.TryParse(folder.Name, out _) && folder.Parent is { } named && IsModuleName(named.Name)) return named.Parent?.FullName;
        return IsModuleName(folder.Name) ? folder.Parent?.FullName : null;

        static bool IsModuleName(string name) => string.Equals(name, "HeitzSync", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A PowerShell single-quoted string: every kind of single quote PowerShell accepts is doubled.</summary>
    private static string PowerShellLiteral(string value)
    {
        var escaped = new System.Text.StringBuilder("'");
        foreach (var c in value)
        {
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') escaped.Append(c);
            escaped.Append(c);
        }
        return escaped.Append('\'').ToString();
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
            LogFile = Path.Combine(config.Resolve(config.Reports.Folder), "night.log"),
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
