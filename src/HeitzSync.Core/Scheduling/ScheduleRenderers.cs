using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace HeitzSync.Core.Scheduling;

/// <summary>One file of a scheduled task: its name, its text, and whether it is written UTF-16 (Task Scheduler XML).</summary>
public sealed record ScheduleFile(string FileName, string Content, bool Utf16 = false)
{
    public Encoding Encoding => Utf16 ? new UnicodeEncoding(bigEndian: false, byteOrderMark: true) : new UTF8Encoding(false);
}

/// <summary>Windows Task Scheduler's task XML (schema 1.2), for <c>schtasks /Create /XML file /TN name</c>.</summary>
public static class TaskSchedulerXml
{
    private static readonly XNamespace Ns = "http://schemas.microsoft.com/windows/2004/02/mit/task";

    /// <summary>
    /// A daily calendar trigger at the plan's time (StartBoundary, local time, no zone: it follows daylight saving), the
    /// command with its quoted arguments, one instance at a time, no start when the time was missed (a night started at
    /// noon would run through the day), and a 25 h limit (the run stops itself at the restart hour, 24 h at most). Task
    /// Scheduler has no gentle stop (ending a task terminates it, with no signal), so the task may not be terminated:
    /// a night is stopped with Stop-HzSync or <c>hzsync stop</c>, which roll back what it was doing and write its report.
    /// Without <see cref="SchedulePlan.RunAs"/> the task runs as SYSTEM; with it, as that account with its password
    /// (given to schtasks /RP, never written in the XML).
    /// </summary>
    public static string Render(SchedulePlan plan)
    {
        var start = new DateTime(2026, 1, 1).Add(plan.At).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var principal = plan.RunAs is { } user
            ? new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                new XElement(Ns + "UserId", user),
                new XElement(Ns + "LogonType", "Password"),
                new XElement(Ns + "RunLevel", "HighestAvailable"))
            : new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                new XElement(Ns + "UserId", "S-1-5-18"),
                new XElement(Ns + "RunLevel", "HighestAvailable"));
        var task = new XElement(Ns + "Task", new XAttribute("version", "1.2"),
            new XElement(Ns + "RegistrationInfo",
                new XElement(Ns + "Author", "HeitzSync"),
                new XElement(Ns + "Description", plan.Description),
                new XElement(Ns + "URI", "\\" + plan.Name)),
            new XElement(Ns + "Triggers",
                new XElement(Ns + "CalendarTrigger",
                    new XElement(Ns + "StartBoundary", start),
                    new XElement(Ns + "Enabled", "true"),
                    new XElement(Ns + "ScheduleByDay", new XElement(Ns + "DaysInterval", "1")))),
            new XElement(Ns + "Principals", principal),
            new XElement(Ns + "Settings",
                new XElement(Ns + "MultipleInstancesPolicy", "IgnoreNew"),
                new XElement(Ns + "DisallowStartIfOnBatteries", "false"),
                new XElement(Ns + "StopIfGoingOnBatteries", "false"),
                new XElement(Ns + "StartWhenAvailable", "false"),
                new XElement(Ns + "RunOnlyIfNetworkAvailable", "false"),
                new XElement(Ns + "AllowStartOnDemand", "true"),
                new XComment(" Stop a running night with Stop-HzSync (or hzsync stop): it rolls back and writes its report. Terminating it would leave neither. "),
                new XElement(Ns + "AllowHardTerminate", "false"),
                new XElement(Ns + "Enabled", "true"),
                new XElement(Ns + "Hidden", "false"),
                new XElement(Ns + "WakeToRun", "false"),
                new XElement(Ns + "ExecutionTimeLimit", "PT25H"),
                new XElement(Ns + "Priority", "7")),
            new XElement(Ns + "Actions", new XAttribute("Context", "Author"),
                new XElement(Ns + "Exec",
                    new XElement(Ns + "Command", plan.Program),
                    new XElement(Ns + "Arguments", CommandLineQuoting.Windows(plan.Arguments)),
                    new XElement(Ns + "WorkingDirectory", plan.WorkingDirectory))));
        var document = new XDocument(new XDeclaration("1.0", "UTF-16", null), task);
        using var writer = new Utf16StringWriter();
        document.Save(writer);
        return writer.ToString();
    }

    public static ScheduleFile File(SchedulePlan plan) => new(plan.Name + ".xml", Render(plan), Utf16: true);

    private sealed class Utf16StringWriter : StringWriter
    {
        public Utf16StringWriter() : base(CultureInfo.InvariantCulture) { }
        public override Encoding Encoding => Encoding.Unicode;
    }
}

/// <summary>A systemd service (Type=oneshot) and the timer that starts it every day.</summary>
public static class SystemdUnits
{
    public static string ServiceName(SchedulePlan plan) => plan.FileBaseName + ".service";
    public static string TimerName(SchedulePlan plan) => plan.FileBaseName + ".timer";

    /// <summary>The OnCalendar= value: every day at the plan's local time.</summary>
    public static string OnCalendar(SchedulePlan plan) => "*-*-* " + plan.At.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    public static string Service(SchedulePlan plan)
    {
        var text = new StringBuilder()
            .Append("# Written by Register-HzSyncTask (HeitzSync). Exit status: 0 OK, 1 partial, 2 failed or stopped.\n")
            .Append("[Unit]\n")
            .Append("Description=").Append(SystemdValue(plan.Description)).Append('\n')
            .Append("Wants=network-online.target\n")
            .Append("After=network-online.target\n")
            .Append('\n')
            .Append("[Service]\n")
            .Append("Type=oneshot\n")
            .Append("ExecStart=").Append(string.Join(" ", new[] { plan.Program }.Concat(plan.Arguments).Select(CommandLineQuoting.Systemd))).Append('\n')
            .Append("WorkingDirectory=").Append(CommandLineQuoting.SystemdValue(plan.WorkingDirectory)).Append('\n');
        if (plan.RunAs is { } user) text.Append("User=").Append(SystemdValue(user)).Append('\n');
        // A oneshot service times out after 90 s by default; the night stops itself at the restart hour (24 h at most).
        text.Append("TimeoutStartSec=25h\n");
        // systemctl stop: SIGTERM to hzsync alone (not to gbak, which the night ends itself), which rolls back, writes
        // its report as Stopped and exits 2; systemd waits that long before SIGKILL.
        text.Append("KillMode=mixed\n")
            .Append("KillSignal=SIGTERM\n")
            .Append("TimeoutStopSec=5min\n");
        return text.ToString();
    }

    public static string Timer(SchedulePlan plan) => new StringBuilder()
        .Append("# Written by Register-HzSyncTask (HeitzSync).\n")
        .Append("[Unit]\n")
        .Append("Description=").Append(SystemdValue(plan.Description)).Append('\n')
        .Append('\n')
        .Append("[Timer]\n")
        .Append("OnCalendar=").Append(OnCalendar(plan)).Append('\n')
        .Append("Unit=").Append(ServiceName(plan)).Append('\n')
        // A missed night is not caught up at boot: a night started in the morning would run through the day.
        .Append("Persistent=false\n")
        .Append('\n')
        .Append("[Install]\n")
        .Append("WantedBy=timers.target\n")
        .ToString();

    public static IReadOnlyList<ScheduleFile> Files(SchedulePlan plan) => new[]
    {
        new ScheduleFile(ServiceName(plan), Service(plan)),
        new ScheduleFile(TimerName(plan), Timer(plan)),
    };

    private static string SystemdValue(string value) => CommandLineQuoting.SystemdValue(value);
}

/// <summary>A line of /etc/cron.d (with the user field), and the file that holds it.</summary>
public static class CronEntry
{
    /// <summary>
    /// <c>m h * * * user command &gt;&gt; log 2&gt;&amp;1</c>, the command quoted for /bin/sh and cron's '%': cron keeps
    /// no output (it mails it, where mail is set up), so the night's lines are appended to <see cref="SchedulePlan.LogFile"/>.
    /// </summary>
    public static string Line(SchedulePlan plan) =>
        Fields(plan) + " " + (plan.RunAs ?? "root") + " " +
        string.Join(" ", new[] { plan.Program }.Concat(plan.Arguments).Select(CommandLineQuoting.Cron)) +
        (plan.LogFile is { } log ? " >> " + CommandLineQuoting.Cron(log) + " 2>&1" : "");

    /// <summary>The time fields: <c>m h * * *</c>, every day.</summary>
    public static string Fields(SchedulePlan plan) => string.Format(CultureInfo.InvariantCulture, "{0} {1} * * *", plan.At.Minutes, plan.At.Hours);

    /// <summary>The file /etc/cron.d/heitzsync-&lt;site&gt;: a comment, the shell, the line, and the final line break cron requires.</summary>
    public static ScheduleFile File(SchedulePlan plan) => new(plan.FileBaseName,
        $"# Written by Register-HzSyncTask (HeitzSync): {plan.Description}.\n# Exit status: 0 OK, 1 partial, 2 failed or stopped; the report is in the node's reports folder" +
        (plan.LogFile is { } log ? $", the night's output lines in {log}" : "") + ".\nSHELL=/bin/sh\n" + Line(plan) + "\n");
}

/// <summary>The files of a plan for one kind of scheduler.</summary>
public static class ScheduleFiles
{
    public static IReadOnlyList<ScheduleFile> For(SchedulePlan plan, ScheduleKind kind) => kind switch
    {
        ScheduleKind.TaskScheduler => new[] { TaskSchedulerXml.File(plan) },
        ScheduleKind.Systemd => SystemdUnits.Files(plan),
        ScheduleKind.Cron => new[] { CronEntry.File(plan) },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Resolve Auto with SchedulePlanner.Resolve first."),
    };

    /// <summary>The command as the scheduler runs it, for people to read (the Windows form for Task Scheduler, the shell form elsewhere).</summary>
    public static string CommandText(SchedulePlan plan, ScheduleKind kind) => kind == ScheduleKind.TaskScheduler
        ? CommandLineQuoting.Windows(new[] { plan.Program }.Concat(plan.Arguments))
        : string.Join(" ", new[] { plan.Program }.Concat(plan.Arguments).Select(a => CommandLineQuoting.Cron(a).Replace("\\%", "%")));
}
