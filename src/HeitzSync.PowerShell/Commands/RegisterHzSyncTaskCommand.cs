using System.Management.Automation;
using System.Runtime.InteropServices;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Scheduling;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Schedules the node's night: the module's script for its role (Scripts/Invoke-HzSiteNight.ps1 or
/// Invoke-HzSiegeNight.ps1, of the module version found when the night starts) every day at schedule.startTime for the Siège, and site number × staggerMinutes later for a
/// site, in Windows Task Scheduler, a systemd timer, or /etc/cron.d. With -Path it writes the files into a folder
/// instead (to review them, or to install them by hand).
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "HzSyncTask", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzScheduledTask))]
public sealed class RegisterHzSyncTaskCommand : HzConfigCmdlet
{
    /// <summary>Auto (the default): TaskScheduler on Windows, Systemd on Linux with systemd, Cron elsewhere.</summary>
    [Parameter]
    public ScheduleKind Kind { get; set; } = ScheduleKind.Auto;

    /// <summary>Writes the task's files into this folder instead of installing them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The account that runs the night (Windows: with its password, given to schtasks; Linux: the user name only). Default: SYSTEM or root.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Replaces an existing task (or existing files in -Path).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryLoadConfig(out var config)) return;
        var kind = SchedulePlanner.Resolve(Kind);
        var windows = kind == ScheduleKind.TaskScheduler;
        var moduleBase = MyInvocation.MyCommand.Module?.ModuleBase ?? System.IO.Path.GetDirectoryName(typeof(RegisterHzSyncTaskCommand).Assembly.Location)!;
        var scripts = System.IO.Path.Combine(moduleBase, "Scripts");
        var script = System.IO.Path.Combine(scripts, ScheduledCommand.ScriptFor(config.Role));
        if (!File.Exists(script))
        {
            WriteHzError(new FileNotFoundException($"The scheduled script {script} is missing from the module: reinstall the module (build.ps1 copies module/Scripts).", script),
                ErrorIds.ScheduleScriptMissing, ErrorCategory.ObjectNotFound, script);
            return;
        }
        // The task imports the module by name when the night starts (the newest version in this module's folder first):
        // a versioned script path would be gone after an upgrade.
        var modules = ScheduledCommand.ModulesFolderOf(moduleBase);
        if (modules is null) WriteWarning($"The module is loaded from {moduleBase}, not from a folder named HeitzSync: the task finds HeitzSync through PSModulePath alone. Install the module (Install-PSResource HeitzSync -Scope AllUsers) so that the account that runs the night finds it.");
        var plan = SchedulePlanner.Plan(config, ScheduledCommand.PowerShell(Shell(windows), config.Role, modules, config.ConfigPath ?? ResolvedConfigPath, windows), Credential?.UserName);
        foreach (var warning in plan.Warnings) WriteWarning(warning);
        WriteVerbose($"{config.Role} {config.Site.Code}: every day at {plan.AtText} ({plan.OffsetMinutes} min after schedule.startTime {config.Schedule.StartTime}), {kind}, as {plan.RunAs ?? (windows ? "SYSTEM" : "root")}.");
        if (Credential is not null && !windows) WriteVerbose("On Linux only the credential's user name is used (User= or the cron user field); its password is not.");

        var folder = string.IsNullOrEmpty(Path) ? null : ResolvePath(Path!);
        var target = folder is null ? $"{kind} task {plan.NameFor(kind)}" : $"{folder} ({kind} files of {plan.Name})";
        if (!ShouldProcess(target, $"{(folder is null ? "Register" : "Write")} the night of {config.Site.Code} every day at {plan.AtText}")) return;

        var installer = new ScheduleInstaller();
        ScheduleResult result;
        try
        {
            result = folder is not null
                ? installer.WriteFiles(plan, kind, folder, Force)
                : installer.Install(plan, kind, Force, Credential is null ? null : Credential.GetNetworkCredential().Password);
        }
        catch (ScheduleExistsException ex)
        {
            WriteHzError(ex, ErrorIds.ScheduleExists, ErrorCategory.ResourceExists, target);
            return;
        }
        catch (Exception ex) when (ex is ScheduleInstallException or PlatformNotSupportedException or IOException or UnauthorizedAccessException)
        {
            WriteHzError(ex, ErrorIds.ScheduleInstallFailed, ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.InvalidOperation, target);
            return;
        }
        foreach (var file in result.Files) WriteVerbose($"Wrote {file}.");
        WriteObject(new HzScheduledTask(result, config.ConfigPath));
    }

    /// <summary>The PowerShell that runs the script: pwsh from this session's $PSHOME, else Windows PowerShell's powershell.exe.</summary>
    private string Shell(bool windows)
    {
        var home = SessionState.PSVariable.GetValue("PSHOME") as string ?? "";
        if (windows)
        {
            var pwsh = System.IO.Path.Combine(home, "pwsh.exe");
            if (File.Exists(pwsh)) return pwsh;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return System.IO.Path.Combine(home, "powershell.exe");
            return @"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";   // -Path on Linux for a Windows machine
        }
        var unix = System.IO.Path.Combine(home, "pwsh");
        return File.Exists(unix) ? unix : "/usr/bin/pwsh";
    }
}
