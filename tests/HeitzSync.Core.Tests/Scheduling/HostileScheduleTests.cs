using System.Diagnostics;
using System.Xml.Linq;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Scheduling;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Scheduling;

/// <summary>
/// Issue 14: a service manager stopping the night. systemd's stop sends SIGTERM to hzsync alone and waits for it to roll
/// back and write its report before SIGKILL; Task Scheduler, which has no gentle stop, never terminates it (Stop-HzSync
/// or hzsync stop do).
/// </summary>
[Trait("Category", "Hostile")]
public sealed class HostileScheduleTests : IDisposable
{
    private static readonly XNamespace Task = "http://schemas.microsoft.com/windows/2004/02/mit/task";
    private readonly TempFolder _temp = new("hz-hostile-schedule");

    private SchedulePlan Plan()
    {
        var config = new HzSyncConfig { Role = NodeRole.Site, Site = new SiteIdentity { Code = "LYON01", Number = 2 }, BaseFolder = _temp.Path, ConfigPath = _temp.File("heitzsync.json") };
        return SchedulePlanner.Plan(config, ScheduledCommand.Hzsync("/bin/sh", Array.Empty<string>(), config.ConfigPath!));
    }

    [Fact]
    public void The_systemd_service_gives_a_stopped_night_time_to_roll_back_and_report()
    {
        var service = SystemdUnits.Service(Plan());
        Assert.Contains("\nKillSignal=SIGTERM\n", service);
        Assert.Contains("\nKillMode=mixed\n", service);       // gbak is ended by hzsync itself, after it stopped cleanly
        Assert.Contains("\nTimeoutStopSec=5min\n", service);
        var written = new ScheduleInstaller().WriteFiles(Plan(), ScheduleKind.Systemd, _temp.File("units"), force: false);
        using var verify = Process.Start(new ProcessStartInfo("systemd-analyze", new[] { "verify" }.Concat(written.Files)) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var output = verify.StandardError.ReadToEnd() + verify.StandardOutput.ReadToEnd();
        verify.WaitForExit();
        Assert.True(verify.ExitCode == 0 && output.Trim().Length == 0, $"systemd-analyze verify: exit {verify.ExitCode}: {output}");
    }

    [Fact]
    public void The_scheduled_task_is_never_terminated_and_says_how_to_stop_a_night()
    {
        var task = XDocument.Parse(TaskSchedulerXml.Render(Plan())).Root!;
        var settings = task.Element(Task + "Settings")!;
        Assert.Equal("false", settings.Element(Task + "AllowHardTerminate")!.Value);
        Assert.Equal("PT25H", settings.Element(Task + "ExecutionTimeLimit")!.Value);   // past the night's own 24 h cap
        Assert.Contains(settings.Nodes().OfType<XComment>(), c => c.Value.Contains("Stop-HzSync (or hzsync stop)", StringComparison.Ordinal));
    }

    public void Dispose() => _temp.Dispose();
}
