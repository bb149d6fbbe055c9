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

    private static ScheduledCommand Pwsh(HzSyncConfig config, string script = "/opt/heitz sync/Scripts/Invoke-HzSiteNight.ps1") =>
        ScheduledCommand.PowerShell("/opt/microsoft/powershell/7/pwsh", script, config.ConfigPath!, windows: false);

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
    public void The_PowerShell_command_runs_the_script_without_profile_and_bypasses_the_policy_on_Windows_only()
    {
        var linux = ScheduledCommand.PowerShell("/usr/bin/pwsh", "/m/Scripts/Invoke-HzSiteNight.ps1", "/etc/h.json", windows: false);
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-File", "/m/Scripts/Invoke-HzSiteNight.ps1", "-ConfigPath", "/etc/h.json" }, linux.Arguments);
        var windows = ScheduledCommand.PowerShell(@"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", @"C:\M\Invoke-HzSiegeNight.ps1", @"C:\ProgramData\HeitzSync\heitzsync.json", windows: true);
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", @"C:\M\Invoke-HzSiegeNight.ps1", "-ConfigPath", @"C:\ProgramData\HeitzSync\heitzsync.json" }, windows.Arguments);
        Assert.Equal("Invoke-HzSiegeNight.ps1", ScheduledCommand.ScriptFor(NodeRole.Siege));
        Assert.Equal("Invoke-HzSiteNight.ps1", ScheduledCommand.ScriptFor(NodeRole.Site));
        Assert.Equal(new[] { "/x/hzsync.dll", "sync", "--config", "/etc/h.json" }, ScheduledCommand.Hzsync("/usr/bin/dotnet", new[] { "/x/hzsync.dll" }, "/etc/h.json").Arguments);
    }

    [Fact]
    public void Task_Scheduler_XML_starts_daily_at_the_planned_time_and_quotes_paths_with_spaces()
    {
        var config = Node(NodeRole.Site, "LYON01", 2, folder: @"C:\Program Data\Heitz Sync");
        config = config with { ConfigPath = @"C:\Program Data\Heitz Sync\heitzsync.json" };
        var command = ScheduledCommand.PowerShell(@"C:\Program Files\PowerShell\7\pwsh.exe", @"C:\Program Files\WindowsPowerShell\Modules\HeitzSync\0.1.0\Scripts\Invoke-HzSiteNight.ps1", config.ConfigPath!, windows: true);
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
        Assert.Equal(@"-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ""C:\Program Files\WindowsPowerShell\Modules\HeitzSync\0.1.0\Scripts\Invoke-HzSiteNight.ps1"" -ConfigPath ""C:\Program Data\Heitz Sync\heitzsync.json""",
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
        var plan = SchedulePlanner.Plan(config, ScheduledCommand.PowerShell("/bin/sh", "/opt/heitz sync/Scripts/Invoke-HzSiteNight.ps1", config.ConfigPath!, windows: false), runAs: "heitzsync");

        Assert.Equal("*-*-* 01:59:00", SystemdUnits.OnCalendar(plan));
        var service = SystemdUnits.Service(plan);
        Assert.Contains("\nType=oneshot\n", service);
        Assert.Contains("\nTimeoutStartSec=25h\n", service);
        Assert.Contains("\nUser=heitzsync\n", service);
        Assert.Contains($"\nExecStart=\"/bin/sh\" \"-NoProfile\" \"-NonInteractive\" \"-File\" \"/opt/heitz sync/Scripts/Invoke-HzSiteNight.ps1\" \"-ConfigPath\" \"{folder.Replace("%", "%%")}/heitz$$sync.json\"\n", service);
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
        var plan = SchedulePlanner.Plan(config, ScheduledCommand.PowerShell("/usr/bin/pwsh", "/opt/heitz sync/Invoke-HzSiteNight.ps1", config.ConfigPath!, windows: false));
        var line = CronEntry.Line(plan);
        Assert.Equal("50 2 * * *", CronEntry.Fields(plan));
        Assert.Equal("50 2 * * * root /usr/bin/pwsh -NoProfile -NonInteractive -File '/opt/heitz sync/Invoke-HzSiteNight.ps1' -ConfigPath '/etc/heitz sync/it'\\''s 100\\%.json'", line);

        // What cron hands to /bin/sh (it turns '\%' back into '%'), split into words by a real shell.
        var command = line.Substring("50 2 * * * root ".Length).Replace("\\%", "%");
        var words = Run("/bin/sh", "-c", "printf '%s\\n' " + command).Output.TrimEnd('\n').Split('\n');
        Assert.Equal(new[] { plan.Program }.Concat(plan.Arguments), words);

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
        var plan = SchedulePlanner.Plan(config, Pwsh(config, "/opt/m/Scripts/Invoke-HzSiegeNight.ps1"));
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
