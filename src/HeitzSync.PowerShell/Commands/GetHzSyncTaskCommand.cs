using System.Management.Automation;
using HeitzSync.Core.Scheduling;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Shows the node's scheduled night as the scheduler holds it (Windows Task Scheduler, the systemd units, the cron.d
/// file), read back from the scheduler's own files: when it runs, what it runs, as whom. With -Path, the files that
/// Register-HzSyncTask -Path wrote into that folder. Nothing when none is scheduled.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HzSyncTask")]
[OutputType(typeof(HzScheduledTask))]
public sealed class GetHzSyncTaskCommand : HzConfigCmdlet
{
    /// <summary>Only this kind of scheduler; Auto (the default): every kind found.</summary>
    [Parameter]
    public ScheduleKind Kind { get; set; } = ScheduleKind.Auto;

    /// <summary>A folder where Register-HzSyncTask -Path wrote the task's files, instead of the system's scheduler.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        var folder = string.IsNullOrEmpty(Path) ? null : ResolvePath(Path!);
        IReadOnlyList<FoundTask> found;
        try
        {
            found = new ScheduleInstaller().Find(config.Site.Code, folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ScheduleInstallException or System.Xml.XmlException)
        {
            WriteHzError(ex, ErrorIds.ScheduleInstallFailed, ErrorCategory.ReadError, folder ?? config.Site.Code);
            return;
        }
        var wanted = found.Where(t => Kind == ScheduleKind.Auto || t.Kind == Kind).ToList();
        if (wanted.Count == 0) WriteVerbose($"No scheduled night of {config.Site.Code} {(folder is null ? "in the system's scheduler" : "in " + folder)}.");
        foreach (var task in wanted) WriteObject(new HzScheduledTask(task, config));
    }
}
