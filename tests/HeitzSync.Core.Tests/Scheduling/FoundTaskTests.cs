using HeitzSync.Core.Configuration;
using HeitzSync.Core.Scheduling;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Scheduling;

/// <summary>Get-HzSyncTask and Unregister-HzSyncTask: a scheduled night read back from the files the renderers write, and removed.</summary>
[Trait("Category", "Unit")]
public class FoundTaskTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-found");

    private static SchedulePlan Plan(string? runAs = null)
    {
        var config = new HzSyncConfig
        {
            Role = NodeRole.Site,
            Site = new SiteIdentity { Code = "LYON01", Number = 2 },
            Schedule = new ScheduleConfig { StartTime = "01:30", StaggerMinutes = 7 },
            BaseFolder = "/etc/heitz sync",
            ConfigPath = "/etc/heitz sync/heitzsync.json",
        };
        var command = ScheduledCommand.PowerShell("/opt/microsoft/powershell/7/pwsh", config.Role, "/opt/heitz sync/Modules", config.ConfigPath!, windows: false);
        return SchedulePlanner.Plan(config, command, runAs);
    }

    [Theory]
    [InlineData(ScheduleKind.Systemd)]
    [InlineData(ScheduleKind.Cron)]
    [InlineData(ScheduleKind.TaskScheduler)]
    public void A_task_written_for_review_reads_back_with_its_time_schedule_command_and_account(ScheduleKind kind)
    {
        var plan = Plan(runAs: "heitzsync");
        var folder = Path.Combine(_temp.Path, "review " + kind);
        var written = new ScheduleInstaller().WriteFiles(plan, kind, folder, force: false);

        var found = Assert.Single(new ScheduleInstaller().Find("LYON01", folder));
        Assert.Equal(kind, found.Kind);
        Assert.Equal(plan.NameFor(kind), found.Name);
        Assert.Equal("LYON01", found.Site);
        Assert.Equal("01:44", found.At);
        Assert.Equal(written.Files, found.Files);
        Assert.False(found.Installed);
        Assert.Equal("heitzsync", found.RunAs);
        Assert.Contains("Invoke-HzSiteNight.ps1", found.Command);
        Assert.Equal(kind switch
        {
            ScheduleKind.Systemd => "OnCalendar=*-*-* 01:44:00",
            ScheduleKind.Cron => "44 1 * * *",
            _ => "daily at 01:44",
        }, found.Schedule);
        if (kind == ScheduleKind.Cron) Assert.Equal(written.Command, found.Command);
    }

    [Fact]
    public void Another_site_s_files_and_an_empty_folder_find_nothing()
    {
        var folder = Path.Combine(_temp.Path, "review");
        new ScheduleInstaller().WriteFiles(Plan(), ScheduleKind.Cron, folder, force: false);
        Assert.Empty(new ScheduleInstaller().Find("NICE03", folder));
        Assert.Empty(new ScheduleInstaller().Find("LYON01", Path.Combine(_temp.Path, "nothing")));
    }

    [Fact]
    public void An_installed_cron_night_is_found_in_the_cron_folder_and_removed_from_it()
    {
        var installer = new ScheduleInstaller { CronFolder = Path.Combine(_temp.Path, "cron.d"), SystemdFolder = Path.Combine(_temp.Path, "systemd") };
        var installed = installer.Install(Plan(), ScheduleKind.Cron, force: false, password: null);
        var found = Assert.Single(installer.Find("LYON01"));
        Assert.True(found.Installed);
        Assert.Equal("root", found.RunAs);
        Assert.Equal(installed.Files, found.Files);

        installer.Remove(found);
        Assert.False(File.Exists(installed.Files[0]));
        Assert.Empty(installer.Find("LYON01"));
    }

    [Fact]
    public void Files_written_for_review_are_removed_with_the_task()
    {
        var folder = Path.Combine(_temp.Path, "units");
        var written = new ScheduleInstaller().WriteFiles(Plan(), ScheduleKind.Systemd, folder, force: false);
        new ScheduleInstaller().Remove(Assert.Single(new ScheduleInstaller().Find("LYON01", folder)));
        Assert.All(written.Files, f => Assert.False(File.Exists(f)));
    }

    public void Dispose() => _temp.Dispose();
}
