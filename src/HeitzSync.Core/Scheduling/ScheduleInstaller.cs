using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HeitzSync.Core.Scheduling;

/// <summary>A scheduled task that is there already and was not to be replaced (no -Force).</summary>
public sealed class ScheduleExistsException : IOException
{
    public ScheduleExistsException(string message) : base(message) { }
}

/// <summary>schtasks.exe or systemctl said no: the message holds its output (never a password).</summary>
public sealed class ScheduleInstallException : Exception
{
    public ScheduleInstallException(string message) : base(message) { }
}

/// <summary>What <see cref="ScheduleInstaller"/> did: the files it wrote and whether the task is installed in the system's scheduler.</summary>
public sealed record ScheduleResult(SchedulePlan Plan, ScheduleKind Kind, IReadOnlyList<string> Files, bool Installed)
{
    public string Command => ScheduleFiles.CommandText(Plan, Kind);
}

/// <summary>
/// Writes a plan's files into a folder (for review, or to install by hand), or installs the task: Task Scheduler through
/// <c>schtasks.exe /Create /XML</c>, systemd by writing the units into <see cref="SystemdFolder"/> then
/// <c>systemctl daemon-reload</c> and <c>systemctl enable --now</c> the timer, cron by writing the file into <see cref="CronFolder"/>.
/// </summary>
public sealed class ScheduleInstaller
{
    public string SystemdFolder { get; init; } = "/etc/systemd/system";
    public string CronFolder { get; init; } = "/etc/cron.d";

    /// <summary>Writes the plan's files into <paramref name="folder"/> (created if needed); refuses to replace one without <paramref name="force"/>.</summary>
    public ScheduleResult WriteFiles(SchedulePlan plan, ScheduleKind kind, string folder, bool force)
    {
        var files = ScheduleFiles.For(plan, kind);
        return new ScheduleResult(plan, kind, Write(files, folder, force), Installed: false);
    }

    /// <summary>
    /// The cron line appends to its log with the shell, which cannot create a folder: a missing one would keep the
    /// night from starting at all. Every run creates the reports folder too (Initialize-HzSite's first); this covers a
    /// task installed before any run. Files written for review (-Path) create nothing.
    /// </summary>
    private static void CreateLogFolder(SchedulePlan plan)
    {
        if (plan.LogFile is null || Path.GetDirectoryName(plan.LogFile) is not { Length: > 0 } folder) return;
        try
        {
            // The reports folder, as a run makes it: its account's alone (0700 on Unix).
            Secrets.UnixPermissions.CreatePrivateFolder(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not this machine's folder (files written for another one): the first run there creates it.
        }
    }

    /// <summary>Installs the task in the system's scheduler. <paramref name="password"/>: the run-as account's, Task Scheduler only.</summary>
    public ScheduleResult Install(SchedulePlan plan, ScheduleKind kind, bool force, string? password)
    {
        switch (kind)
        {
            case ScheduleKind.TaskScheduler:
                return InstallTaskScheduler(plan, force, password);
            case ScheduleKind.Systemd:
            {
                var written = Write(SystemdUnits.Files(plan), SystemdFolder, force);
                Run("systemctl", new[] { "daemon-reload" }, null);
                Run("systemctl", new[] { "enable", "--now", SystemdUnits.TimerName(plan) }, null);
                return new ScheduleResult(plan, kind, written, Installed: true);
            }
            case ScheduleKind.Cron:
                CreateLogFolder(plan);
                return new ScheduleResult(plan, kind, Write(new[] { CronEntry.File(plan) }, CronFolder, force), Installed: true);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Resolve Auto with SchedulePlanner.Resolve first.");
        }
    }

    /// <summary>
    /// A site's night as installed (Task Scheduler on Windows, the units in <see cref="SystemdFolder"/>, the file in
    /// <see cref="CronFolder"/>), or with <paramref name="folder"/>, the files Register-HzSyncTask -Path wrote there.
    /// Empty when there is none.
    /// </summary>
    public IReadOnlyList<FoundTask> Find(string site, string? folder = null)
    {
        var found = new List<FoundTask>();
        var installed = folder is null;
        var baseName = SchedulePlan.FileBaseNameOf(site);
        var taskName = SchedulePlan.TaskNameOf(site);
        var service = Path.Combine(folder ?? SystemdFolder, baseName + ".service");
        var timer = Path.Combine(folder ?? SystemdFolder, baseName + ".timer");
        if (File.Exists(service) && File.Exists(timer)) found.Add(FoundTasks.Systemd(site, service, timer, installed));
        var cron = Path.Combine(folder ?? CronFolder, baseName);
        if (File.Exists(cron)) found.Add(FoundTasks.Cron(site, cron, installed));
        if (folder is not null)
        {
            var xml = Path.Combine(folder, taskName + ".xml");
            if (File.Exists(xml)) found.Add(FoundTasks.TaskScheduler(site, taskName, File.ReadAllText(xml), new[] { xml }, installed: false));
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            var (exit, xml) = Execute("schtasks.exe", new[] { "/Query", "/TN", taskName, "/XML" }, null, throwOnError: false);
            if (exit == 0) found.Add(FoundTasks.TaskScheduler(site, taskName, xml, Array.Empty<string>(), installed: true));
        }
        return found;
    }

    /// <summary>
    /// Removes a night <see cref="Find"/> found: <c>schtasks /Delete</c>, or <c>systemctl disable --now</c> the timer then
    /// its units and a daemon-reload, or the cron file; for files written for review, the files.
    /// </summary>
    public void Remove(FoundTask task)
    {
        if (task is null) throw new ArgumentNullException(nameof(task));
        if (task.Installed && task.Kind == ScheduleKind.TaskScheduler)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) throw new PlatformNotSupportedException("Task Scheduler is on Windows only.");
            Run("schtasks.exe", new[] { "/Delete", "/TN", task.Name, "/F" }, null);
            return;
        }
        if (task.Installed && task.Kind == ScheduleKind.Systemd)
        {
            // Stopped and disabled first: a unit file removed under a running timer leaves systemd holding a ghost.
            Run("systemctl", new[] { "disable", "--now", Path.GetFileName(task.Files[task.Files.Count - 1]) }, null);
        }
        foreach (var file in task.Files)
        {
            if (File.Exists(file)) File.Delete(file);
        }
        if (task.Installed && task.Kind == ScheduleKind.Systemd) Run("systemctl", new[] { "daemon-reload" }, null);
    }

    private static ScheduleResult InstallTaskScheduler(SchedulePlan plan, bool force, string? password)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) throw new PlatformNotSupportedException("Task Scheduler is on Windows only: on Linux use -Kind Systemd or Cron, or -Path to write the task's XML for a Windows machine.");
        if (!force && Run("schtasks.exe", new[] { "/Query", "/TN", plan.Name }, null, throwOnError: false) == 0)
        {
            throw new ScheduleExistsException($"The scheduled task {plan.Name} exists already: replace it with {FrontCommands.RegisterForce}.");
        }
        var xml = Path.Combine(Path.GetTempPath(), $"{plan.Name}-{Guid.NewGuid():N}.xml");
        var file = TaskSchedulerXml.File(plan);
        File.WriteAllText(xml, file.Content, file.Encoding);
        try
        {
            var arguments = new List<string> { "/Create", "/TN", plan.Name, "/XML", xml, "/F" };
            if (plan.RunAs is { } user)
            {
                arguments.AddRange(new[] { "/RU", user });
                if (!string.IsNullOrEmpty(password)) arguments.AddRange(new[] { "/RP", password! });
            }
            Run("schtasks.exe", arguments, password);
        }
        finally
        {
            File.Delete(xml);
        }
        return new ScheduleResult(plan, ScheduleKind.TaskScheduler, Array.Empty<string>(), Installed: true);
    }

    private static IReadOnlyList<string> Write(IReadOnlyList<ScheduleFile> files, string folder, bool force)
    {
        Directory.CreateDirectory(folder);
        var paths = files.Select(f => Path.Combine(folder, f.FileName)).ToList();
        if (!force && paths.FirstOrDefault(File.Exists) is { } existing)
        {
            throw new ScheduleExistsException($"{existing} exists already: replace it with {FrontCommands.RegisterForce}.");
        }
        for (var i = 0; i < files.Count; i++)
        {
            // Written beside, then moved over: a reader never sees half a unit or half a cron file.
            var temporary = paths[i] + ".hz-tmp";
            File.WriteAllText(temporary, files[i].Content, files[i].Encoding);
            if (File.Exists(paths[i])) File.Delete(paths[i]);
            File.Move(temporary, paths[i]);
        }
        return paths;
    }

    /// <summary>Runs a system tool; its output goes into the exception when it fails, with <paramref name="secret"/> masked.</summary>
    private static int Run(string program, IReadOnlyList<string> arguments, string? secret, bool throwOnError = true) =>
        Execute(program, arguments, secret, throwOnError).ExitCode;

    /// <summary><see cref="Run"/>, with what the tool wrote on its standard output.</summary>
    private static (int ExitCode, string Output) Execute(string program, IReadOnlyList<string> arguments, string? secret, bool throwOnError)
    {
        var start = new ProcessStartInfo(program, CommandLineQuoting.Windows(arguments))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ScheduleInstallException($"{program} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ScheduleInstallException($"{program} could not be started ({ex.Message}): is it installed and on the PATH?");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0 && throwOnError)
            {
                var said = (output.Result + " " + error.Result).Trim();
                if (!string.IsNullOrEmpty(secret)) said = said.Replace(secret, "********");
                var shown = string.Join(" ", arguments.Select(a => a == secret ? "********" : a));
                throw new ScheduleInstallException($"{program} {shown} failed (exit code {process.ExitCode}): {said}");
            }
            return (process.ExitCode, output.Result);
        }
    }
}
