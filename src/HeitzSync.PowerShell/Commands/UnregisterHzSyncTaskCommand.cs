using System.Management.Automation;
using HeitzSync.Core.Scheduling;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Removes the node's scheduled night: the Task Scheduler task (schtasks /Delete), the systemd timer and service
/// (disabled and stopped, then deleted, then daemon-reload), or the cron.d file; with -Path, the files
/// Register-HzSyncTask -Path wrote there. Get-HzSyncTask's objects pipe in (by Kind, Path and ConfigPath).
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "HzSyncTask", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzScheduledTask))]
public sealed class UnregisterHzSyncTaskCommand : HzConfigCmdlet
{
    /// <summary>Only this kind of scheduler; Auto (the default): every kind found for the node.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ScheduleKind Kind { get; set; } = ScheduleKind.Auto;

    /// <summary>A folder where Register-HzSyncTask -Path wrote the files; empty or absent: the system's scheduler.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? Path { get; set; }

    /// <summary>Outputs what was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        var folder = string.IsNullOrEmpty(Path) ? null : ResolvePath(Path!);
        var installer = new ScheduleInstaller();
        var where = folder is null ? "in the system's scheduler" : "in " + folder;
        IReadOnlyList<FoundTask> found;
        try
        {
            found = installer.Find(config.Site.Code, folder).Where(t => Kind == ScheduleKind.Auto || t.Kind == Kind).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ScheduleInstallException or System.Xml.XmlException)
        {
            WriteHzError(ex, ErrorIds.ScheduleRemoveFailed, ErrorCategory.ReadError, folder ?? config.Site.Code);
            return;
        }
        if (found.Count == 0)
        {
            WriteHzError(new ItemNotFoundException($"No {(Kind == ScheduleKind.Auto ? "" : Kind + " ")}scheduled night of {config.Site.Code} {where}: Get-HzSyncTask shows what is scheduled."),
                ErrorIds.ScheduleNotFound, ErrorCategory.ObjectNotFound, config.Site.Code);
            return;
        }
        foreach (var task in found)
        {
            var target = $"{task.Kind} task {task.Name} {where}";
            if (!ShouldProcess(target, $"Remove the scheduled night of {config.Site.Code}")) continue;
            try
            {
                installer.Remove(task);
            }
            catch (Exception ex) when (ex is ScheduleInstallException or PlatformNotSupportedException or IOException or UnauthorizedAccessException)
            {
                WriteHzError(ex, ErrorIds.ScheduleRemoveFailed, ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.InvalidOperation, target);
                continue;
            }
            WriteVerbose($"Removed {target}.");
            if (PassThru) WriteObject(new HzScheduledTask(task, config));
        }
    }
}
