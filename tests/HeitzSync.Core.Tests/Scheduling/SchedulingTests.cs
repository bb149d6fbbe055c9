using System.Diagnostics;
using System.Text;
using System.Xml.Linq;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Scheduling;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Scheduling;

/// <summary>The night's schedule: the plan from the configuration, the three renderers, and the files written for review or for cron.</summary>
public class SchedulingTests : IDisposable
{
    private static readonly XNamespace Task = "http://schemas.microsoft.com/windows/2004/02/mit/task";
    private readonly TempFolder _temp = new("hz-schedule");

    private static HzSyncConfig Node(NodeRole role, string code, int number, string start = "02:00", int stagger = 5, string restart = "06:30", int reception = 120, string folder = "/etc/heitz sync") => new()
    {
        Role = role,
        Site = new SiteIdentity { Code = code, Number = number },
        Schedule = new ScheduleConfig { StartTime = start, StaggerMinutes = stagger, RestartHour = restart, ReceptionMinutes = reception },
        BaseFolder = folder,
        ConfigPath = folder + "/heitzsync.json",
    };

    private static ScheduledCommand Pwsh(HzSyncConfig config) =>
        ScheduledCommand.PowerShell("/opt/microsoft/powershell/7/pwsh", config.Role, "/opt/heitz sync/Modules", config.ConfigPath!, windows: false);

    [Fact]
    public void The_Siege_starts_at_startTime_and_site_n_n_times_the_stagger_after_it()
    {
        var siege = SchedulePlanner.Plan(Node(NodeRole.Siege, "SIEGE", 1), Pwsh(Node(NodeRole.Siege, "SIEGE", 1)));
        Assert.Equal(TimeSpan.FromHours(2), siege.At);
        Assert.Equal(0, siege.OffsetMinutes);
        Assert.Equal("02:00", siege.AtText);
        Assert.Empty(siege.Warnings);

        var lyon = SchedulePlanner.Plan(Node(NodeRole.Site, "LYON01", 2), Pwsh(Node(NodeRole.Site, "LYON01", 2)));
        Assert.Equal(new TimeSpan(2, 10, 0), lyon.At);
        Assert.Equal(10, lyon.OffsetMinutes);
        Assert.Equal("HeitzSync-LYON01", lyon.Name);
        Assert.Equal("heitzsync-lyon01", lyon.FileBaseName);
        Assert.Equal("/etc/heitz sync", lyon.WorkingDirectory);
        Assert.Null(lyon.RunAs);

        var late = SchedulePlanner.Plan(Node(NodeRole.Site, "NICE17", 17, start: "23:30", stagger: 3, restart: "06:30"), Pwsh(Node(NodeRole.Site, "NICE17", 17)));
        Assert.Equal(new TimeSpan(0, 21, 0), late.At);   // 23:30 + 51 min wraps past midnight
        Assert.Equal(51, late.OffsetMinutes);
        Assert.Empty(late.Warnings);
    }

    [Fact]
    public void A_site_starting_past_its_restart_hour_or_after_the_reception_time_is_warned_about()
    {
        var config = Node(NodeRole.Site, "PARIS40", 40, start: "02:00", stagger: 10, restart: "06:30", reception: 120);
        var plan = SchedulePlanner.Plan(config, Pwsh(config));
        Assert.Equal(new TimeSpan(8, 40, 0), plan.At);
        Assert.Equal(2, plan.Warnings.Count);
        Assert.Contains("past its restart hour 06:30", plan.Warnings[0]);
        Assert.Contains("reception time (120 min", plan.Warnings[1]);

        var near = Node(NodeRole.Site, "PARIS05", 5, stagger: 10, reception: 120);
        Assert.Empty(SchedulePlanner.Plan(near, Pwsh(near)).Warnings);
    }

    [Fact]
    public void A_start_time_that_is_not_a_time_of_day_is_a_configuration_error()
    {
        var config = Node(NodeRole.Site, "LYON01", 2, start: "2h");
        var error = Assert.Throws<HzConfigException>(() => SchedulePlanner.Plan(config, Pwsh(config)));
        Assert.Contains("schedule.startTime '2h'", error.Message);
    }

    [Fact]
    public void The_PowerShell_command_imports_the_module_by_name_when_the_night_starts_and_bypasses_the_policy_on_Windows_only()
    {
        var linux = ScheduledCommand.PowerShell("/usr/bin/pwsh", NodeRole.Site, "/usr/local/share/powershell/Modules", "/etc/h.json", windows: false);
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-Command" }, linux.Arguments.Take(3));
        var entry = Assert.Single(linux.Arguments.Skip(3));
        Assert.Equal(ScheduledCommand.EntryPoint(NodeRole.Site, "/usr/local/share/powershell/Modules", "/etc/h.json"), entry);
        // No version folder, no script path: the module found when the night starts runs its own script.
        Assert.StartsWith("$env:PSModulePath = '/usr/local/share/powershell/Modules' + [IO.Path]::PathSeparator + $env:PSModulePath; ", entry);
        Assert.Contains("Import-Module HeitzSync -PassThru -ErrorAction Stop", entry);
        Assert.Contains("& (Join-Path $m.ModuleBase 'Scripts/Invoke-HzSiteNight.ps1') -ConfigPath '/etc/h.json';", entry);
        Assert.Contains("exit $(if ($LASTEXITCODE -in 0, 1, 2) { $LASTEXITCODE } else { 2 })", entry);
        Assert.Contains("catch { 'HeitzSync SITE ' + '/etc/h.json' + ' FAILED: the HeitzSync module could not be loaded (", entry);
        Assert.EndsWith("; exit 2 }", entry);
        Assert.DoesNotContain("\"", entry);   // single-quoted literals only: nothing for the schedulers' quoting to trip on

        var windows = ScheduledCommand.PowerShell(@"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", NodeRole.Siege, null, @"C:\Club's ‘data’\heitzsync.json", windows: true);
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command" }, windows.Arguments.Take(5));
        var siege = windows.Arguments[5];
        Assert.StartsWith("try { ", siege);   // no module folder known: PSModulePath alone
        Assert.Contains("'Scripts/Invoke-HzSiegeNight.ps1') -ConfigPath 'C:\\Club''s ‘‘data’’\\heitzsync.json';", siege);   // every kind of single quote doubled
        Assert.Contains("'HeitzSync SIEGE ' + ", siege);

        Assert.Equal("Invoke-HzSiegeNight.ps1", ScheduledCommand.ScriptFor(NodeRole.Siege));
        Assert.Equal("Invoke-HzSiteNight.ps1", ScheduledCommand.ScriptFor(NodeRole.Site));
        Assert.Equal(new[] { "/x/hzsync.dll", "sync", "--config", "/etc/h.json" }, ScheduledCommand.Hzsync("/usr/bin/dotnet", new[] { "/x/hzsync.dll" }, "/etc/h.json").Arguments);
    }

    [Theory]
    [InlineData("/usr/local/share/powershell/Modules/HeitzSync/0.1.0", "/usr/local/share/powershell/Modules")]
    [InlineData("/usr/local/share/powershell/Modules/HeitzSync/0.1.0/", "/usr/local/share/powershell/Modules")]
    [InlineData("/opt/output/HeitzSync", "/opt/output")]
    [InlineData("/opt/output/heitzsync/2.10.3", "/opt/output")]
    [InlineData("/opt/elsewhere/0.1.0", null)]
    [InlineData("/opt/mymodule", null)]
    public void The_module_folder_put_on_the_path_is_the_one_that_holds_the_HeitzSync_folder(string moduleBase, string? expected)
    {
        Assert.Equal(expected, ScheduledCommand.ModulesFolderOf(moduleBase));
    }

    [Fact]
    public void Task_Scheduler_XML_starts_daily_at_the_planned_time_and_quotes_paths_with_spaces()
    {
        var config = Node(NodeRole.Site, "LYON01", 2, folder: @"C:\Program Data\Heitz Sync");
        config = config with { ConfigPath = @"C:\Program Data\Heitz Sync\heitzsync.json" };
        var command = ScheduledCommand.PowerShell(@"C:\Program Files\PowerShell\7\pwsh.exe", NodeRole.Site, @"C:\Program Files\WindowsPowerShell\Modules", config.ConfigPath!, windows: true);
        var plan = SchedulePlanner.Plan(config, command);
        var xml = TaskSchedulerXml.Render(plan);

        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-16\"?>", xml, StringComparison.OrdinalIgnoreCase);
        var task = XDocument.Parse(xml).Root!;
        Assert.Equal(Task + "Task", task.Name);
        var trigger = task.Element(Task + "Triggers")!.Element(Task + "CalendarTrigger")!;
        Assert.Equal("2026-01-01T02:10:00", trigger.Element(Task + "StartBoundary")!.Value);
        Assert.Equal("1", trigger.Element(Task + "ScheduleByDay")!.Element(Task + "DaysInterval")!.Value);
        var exec = task.Element(Task + "Actions")!.Element(Task + "Exec")!;
        Assert.Equal(@"C:\Program Files\PowerShell\7\pwsh.exe", exec.Element(Task + "Command")!.Value);
        Assert.Equal("-NoProfile -NonInteractive -ExecutionPolicy Bypass -Command \"" + ScheduledCommand.EntryPoint(NodeRole.Site, @"C:\Program Files\WindowsPowerShell\Modules", config.ConfigPath!) + "\"",
            exec.Element(Task + "Arguments")!.Value);
        Assert.Equal(@"C:\Program Data\Heitz Sync", exec.Element(Task + "WorkingDirectory")!.Value);
        var settings = task.Element(Task + "Settings")!;
        Assert.Equal("IgnoreNew", settings.Element(Task + "MultipleInstancesPolicy")!.Value);
        Assert.Equal("false", settings.Element(Task + "StartWhenAvailable")!.Value);
        var principal = task.Element(Task + "Principals")!.Element(Task + "Principal")!;
        Assert.Equal("S-1-5-18", principal.Element(Task + "UserId")!.Value);   // SYSTEM
        Assert.Null(principal.Element(Task + "LogonType"));

        var runAs = TaskSchedulerXml.Render(SchedulePlanner.Plan(config, command, runAs: @"CLUB\heitzsync"));
        var user = XDocument.Parse(runAs).Root!.Element(Task + "Principals")!.Element(Task + "Principal")!;
        Assert.Equal(@"CLUB\heitzsync", user.Element(Task + "UserId")!.Value);
        Assert.Equal("Password", user.Element(Task + "LogonType")!.Value);
    }

    [Fact]
    public void The_systemd_units_pass_systemd_analyze_verify_with_paths_holding_spaces_percent_and_dollar()
    {
        var folder = Path.Combine(_temp.Path, "etc heitz%sync");
        Directory.CreateDirectory(folder);
        var config = Node(NodeRole.Site, "LYON01", 2, start: "01:45", stagger: 7, folder: folder) with { ConfigPath = Path.Combine(folder, "heitz$sync.json") };
        // /bin/sh stands for pwsh: systemd-analyze checks that the program exists and is executable.
        var plan = SchedulePlanner.Plan(config, ScheduledCommand.PowerShell("/bin/sh", NodeRole.Site, "/opt/heitz sync/Modules", config.ConfigPath!, windows: false), runAs: "heitzsync");

        Assert.Equal("*-*-* 01:59:00", SystemdUnits.OnCalendar(plan));
        var service = SystemdUnits.Service(plan);
        Assert.Contains("\nType=oneshot\n", service);
        Assert.Contains("\nTimeoutStartSec=25h\n", service);
        Assert.Contains("\nUser=heitzsync\n", service);
        var entry = ScheduledCommand.EntryPoint(NodeRole.Site, "/opt/heitz sync/Modules", config.ConfigPath!);
        Assert.Contains($"\nExecStart=\"/bin/sh\" \"-NoProfile\" \"-NonInteractive\" \"-Command\" \"{entry.Replace("%", "%%").Replace("$", "$$")}\"\n", service);
        Assert.Contains("$$env:PSModulePath = '/opt/heitz sync/Modules'", service);   // systemd would expand a single $
        Assert.Contains($"\nWorkingDirectory={folder.Replace("%", "%%")}\n", service);
        var timer = SystemdUnits.Timer(plan);
        Assert.Contains("\nOnCalendar=*-*-* 01:59:00\n", timer);
        Assert.Contains("\nUnit=heitzsync-lyon01.service\n", timer);
        Assert.Contains("\nWantedBy=timers.target\n", timer);

        var written = new ScheduleInstaller().WriteFiles(plan with { RunAs = null }, ScheduleKind.Systemd, Path.Combine(_temp.Path, "units"), force: false);
        Assert.Equal(new[] { "heitzsync-lyon01.service", "heitzsync-lyon01.timer" }, written.Files.Select(Path.GetFileName));
        var verify = Run("systemd-analyze", new[] { "verify" }.Concat(written.Files).ToArray());
        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, $"systemd-analyze verify: exit {verify.ExitCode}: {verify.Output}");
    }

    [Fact]
    public void The_cron_line_runs_at_the_planned_time_and_sh_reads_its_words_back_unchanged()
    {
        var config = Node(NodeRole.Site, "LYON01", 2, start: "02:00", stagger: 25) with { ConfigPath = "/etc/heitz sync/it's 100%.json" };
        var plan = SchedulePlanner.Plan(config, ScheduledCommand.PowerShell("/usr/bin/pwsh", NodeRole.Site, "/opt/heitz sync/Modules", config.ConfigPath!, windows: false));
        var line = CronEntry.Line(plan);
        Assert.Equal("50 2 * * *", CronEntry.Fields(plan));
        Assert.StartsWith(@"50 2 * * * root /usr/bin/pwsh -NoProfile -NonInteractive -Command '$env:PSModulePath = '\''/opt/heitz sync/Modules'\'' + ", line);
        // cron keeps no output: the night's lines go to night.log in the reports folder.
        Assert.Equal("/etc/heitz sync/reports/night.log", plan.LogFile);
        Assert.EndsWith(" >> '/etc/heitz sync/reports/night.log' 2>&1", line);

        // What cron hands to /bin/sh (it turns '\%' back into '%'), split into words by a real shell.
        var start = "50 2 * * * root ".Length;
        var command = line.Substring(start, line.LastIndexOf(" >> ", StringComparison.Ordinal) - start).Replace("\\%", "%");
        var words = Run("/bin/sh", "-c", "printf '%s\\n' " + command).Output.TrimEnd('\n').Split('\n');
        Assert.Equal(new[] { plan.Program }.Concat(plan.Arguments), words);
        Assert.Contains("-ConfigPath '/etc/heitz sync/it''s 100%.json';", words[^1]);   // PowerShell's own quoting, through the shell's

        var file = CronEntry.File(plan with { RunAs = "heitzsync" });
        Assert.Equal("heitzsync-lyon01", file.FileName);
        Assert.EndsWith("\n", file.Content);
        Assert.Contains("\nSHELL=/bin/sh\n50 2 * * * heitzsync /usr/bin/pwsh ", file.Content);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("C:\\Program Files\\PowerShell\\7\\pwsh.exe")]
    [InlineData("a \"quoted\" word")]
    [InlineData("ends with a backslash\\")]
    [InlineData("back\\\\\"slashes")]
    [InlineData("")]
    public void A_Windows_quoted_argument_is_read_back_unchanged(string argument)
    {
        // .NET splits ProcessStartInfo.Arguments with the rules of CommandLineToArgvW, on every platform.
        var echoed = RunRaw("/bin/sh", CommandLineQuoting.Windows(new[] { "-c", "printf '%s|' \"$@\"", "sh", argument, "next" }));
        Assert.Equal(argument + "|next|", echoed.Output);
    }

    [Fact]
    public void Files_are_not_replaced_without_force_and_the_task_XML_is_written_UTF16()
    {
        var config = Node(NodeRole.Siege, "SIEGE", 1);
        var plan = SchedulePlanner.Plan(config, Pwsh(config));
        var folder = Path.Combine(_temp.Path, "review");
        var installer = new ScheduleInstaller();

        var xml = installer.WriteFiles(plan, ScheduleKind.TaskScheduler, folder, force: false);
        var path = Assert.Single(xml.Files);
        Assert.Equal(Path.Combine(folder, "HeitzSync-SIEGE.xml"), path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0xFF, 0xFE }, bytes.Take(2));   // UTF-16 LE with its mark, as schtasks /XML wants
        Assert.Contains("<StartBoundary>2026-01-01T02:00:00</StartBoundary>", Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2));
        Assert.False(xml.Installed);

        File.WriteAllText(path, "mine");
        var refused = Assert.Throws<ScheduleExistsException>(() => installer.WriteFiles(plan, ScheduleKind.TaskScheduler, folder, force: false));
        Assert.Contains("HeitzSync-SIEGE.xml exists already", refused.Message);
        Assert.Equal("mine", File.ReadAllText(path));
        installer.WriteFiles(plan, ScheduleKind.TaskScheduler, folder, force: true);
        Assert.NotEqual("mine", File.ReadAllText(path, Encoding.Unicode));
        Assert.Single(Directory.GetFiles(folder));   // no temporary file left behind
    }

    [Fact]
    public void Installing_for_cron_writes_the_file_into_the_cron_folder_and_refuses_to_replace_it_without_force()
    {
        var cron = Path.Combine(_temp.Path, "cron.d");
        var installer = new ScheduleInstaller { CronFolder = cron };
        var config = Node(NodeRole.Site, "NICE02", 3);
        var plan = SchedulePlanner.Plan(config, Pwsh(config));
        var result = installer.Install(plan, ScheduleKind.Cron, force: false, password: null);
        Assert.True(result.Installed);
        Assert.Equal(new[] { Path.Combine(cron, "heitzsync-nice02") }, result.Files);
        Assert.Contains("\n15 2 * * * root ", File.ReadAllText(result.Files[0]));
        Assert.Throws<ScheduleExistsException>(() => installer.Install(plan, ScheduleKind.Cron, force: false, password: null));
        Assert.True(installer.Install(plan with { At = new TimeSpan(3, 0, 0) }, ScheduleKind.Cron, force: true, password: null).Installed);
        Assert.Contains("\n0 3 * * * root ", File.ReadAllText(result.Files[0]));
    }

    [Fact]
    public void Task_Scheduler_cannot_be_installed_off_Windows_and_says_what_to_do_instead()
    {
        if (OperatingSystem.IsWindows()) return;   // on Windows this would create a real task (see the report: not tested here)
        var config = Node(NodeRole.Site, "LYON01", 2);
        var error = Assert.Throws<PlatformNotSupportedException>(() => new ScheduleInstaller().Install(SchedulePlanner.Plan(config, Pwsh(config)), ScheduleKind.TaskScheduler, false, null));
        Assert.Contains("-Kind Systemd or Cron", error.Message);
    }

    [Fact]
    public void Auto_resolves_to_a_kind_and_a_kind_given_stays()
    {
        Assert.NotEqual(ScheduleKind.Auto, SchedulePlanner.Resolve(ScheduleKind.Auto));
        Assert.Equal(ScheduleKind.Cron, SchedulePlanner.Resolve(ScheduleKind.Cron));
        Assert.Equal(ScheduleKind.TaskScheduler, SchedulePlanner.Resolve(ScheduleKind.TaskScheduler));
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments) =>
        RunRaw(program, CommandLineQuoting.Windows(arguments));

    private static (int ExitCode, string Output) RunRaw(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit(60_000);
        return (process.ExitCode, output.Result + error.Result);
    }

    public void Dispose() => _temp.Dispose();
}
