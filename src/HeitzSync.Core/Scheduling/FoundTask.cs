using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeitzSync.Core.Scheduling;

/// <summary>
/// A node's scheduled night as it is, read back from the scheduler's own files (the systemd units, the cron.d file,
/// Task Scheduler's XML): when it runs, what it runs and as whom. <see cref="Installed"/> is false for files that
/// Register-HzSyncTask -Path wrote into a folder for review.
/// </summary>
public sealed record FoundTask(string Name, ScheduleKind Kind, string Site, string? At, string Schedule, string Command, string RunAs, IReadOnlyList<string> Files, bool Installed);

/// <summary>Reads a scheduled night back from the files <see cref="ScheduleFiles"/> writes.</summary>
public static class FoundTasks
{
    private static readonly XNamespace Task = "http://schemas.microsoft.com/windows/2004/02/mit/task";
    private static readonly Regex CronLine = new(@"^(?<m>\d{1,2})\s+(?<h>\d{1,2})\s+\*\s+\*\s+\*\s+(?<user>\S+)\s+(?<command>.+)$", RegexOptions.CultureInvariant);

    /// <summary>The units of a systemd night: the timer's OnCalendar time, the service's ExecStart and User.</summary>
    public static FoundTask Systemd(string site, string service, string timer, bool installed)
    {
        var timerText = File.ReadAllLines(timer);
        var serviceText = File.ReadAllLines(service);
        var calendar = Value(timerText, "OnCalendar") ?? "";
        var time = Regex.Match(calendar, @"(?<h>\d{2}):(?<m>\d{2})(:\d{2})?$");
        return new FoundTask(Path.GetFileNameWithoutExtension(service), ScheduleKind.Systemd, site,
            time.Success ? $"{time.Groups["h"].Value}:{time.Groups["m"].Value}" : null,
            "OnCalendar=" + calendar, Value(serviceText, "ExecStart") ?? "", Value(serviceText, "User") ?? "root",
            new[] { service, timer }, installed);
    }

    /// <summary>A cron.d file: its first schedule line's time fields, user and command.</summary>
    public static FoundTask Cron(string site, string file, bool installed)
    {
        var line = File.ReadAllLines(file).Select(l => CronLine.Match(l.Trim())).FirstOrDefault(m => m.Success);
        string? at = null;
        if (line is not null)
        {
            at = string.Format(CultureInfo.InvariantCulture, "{0:00}:{1:00}", int.Parse(line.Groups["h"].Value, CultureInfo.InvariantCulture), int.Parse(line.Groups["m"].Value, CultureInfo.InvariantCulture));
        }
        return new FoundTask(Path.GetFileName(file), ScheduleKind.Cron, site, at,
            line is null ? "" : $"{line.Groups["m"].Value} {line.Groups["h"].Value} * * *",
            line is null ? "" : WithoutLog(line.Groups["command"].Value), line?.Groups["user"].Value ?? "root", new[] { file }, installed);
    }

    /// <summary>Task Scheduler's XML (as written for review, or as <c>schtasks /Query /XML</c> prints it).</summary>
    public static FoundTask TaskScheduler(string site, string name, string xml, IReadOnlyList<string> files, bool installed)
    {
        var task = XDocument.Parse(xml).Root!;
        var start = task.Descendants(Task + "StartBoundary").FirstOrDefault()?.Value;
        string? at = start is not null && DateTime.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.None, out var boundary)
            ? boundary.ToString("HH:mm", CultureInfo.InvariantCulture)
            : null;
        var exec = task.Descendants(Task + "Exec").FirstOrDefault();
        var command = exec?.Element(Task + "Command")?.Value ?? "";
        var arguments = exec?.Element(Task + "Arguments")?.Value;
        var user = task.Descendants(Task + "UserId").FirstOrDefault()?.Value;
        return new FoundTask(name, ScheduleKind.TaskScheduler, site, at, at is null ? "" : "daily at " + at,
            CommandLineQuoting.Windows(new[] { command }) + (string.IsNullOrEmpty(arguments) ? "" : " " + arguments),
            user is null or "S-1-5-18" or "SYSTEM" ? "SYSTEM" : user, files, installed);
    }

    /// <summary>The command without the log redirection <see cref="CronEntry.Line"/> appends (<c> &gt;&gt; log 2&gt;&amp;1</c>).</summary>
    private static string WithoutLog(string command)
    {
        var redirect = command.LastIndexOf(" >> ", StringComparison.Ordinal);
        return redirect > 0 && command.EndsWith(" 2>&1", StringComparison.Ordinal) ? command.Substring(0, redirect) : command;
    }

    private static string? Value(IEnumerable<string> lines, string key) =>
        lines.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?.Substring(key.Length + 1);
}
