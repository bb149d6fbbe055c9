using System.Text;

namespace HeitzSync.Core.Scheduling;

/// <summary>
/// Quotes a program and its arguments for each place a command line is written: a Windows command line (Task
/// Scheduler's Arguments, and .NET's ProcessStartInfo.Arguments on every platform), a systemd ExecStart=, and a
/// POSIX shell line (cron runs its command with /bin/sh).
/// </summary>
public static class CommandLineQuoting
{
    /// <summary>
    /// One argument as CommandLineToArgvW (and the C runtime, and .NET) parses it back: quoted when it holds a space,
    /// a tab or a quote, a quote escaped with a backslash, backslashes doubled only before a quote.
    /// </summary>
    public static string Windows(string argument)
    {
        if (argument is null) throw new ArgumentNullException(nameof(argument));
        if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '\n', '\v', '"' }) < 0) return argument;
        var quoted = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"')
            {
                quoted.Append('\\', backslashes * 2 + 1).Append('"');
            }
            else
            {
                quoted.Append('\\', backslashes).Append(c);
            }
            backslashes = 0;
        }
        quoted.Append('\\', backslashes * 2).Append('"');
        return quoted.ToString();
    }

    public static string Windows(IEnumerable<string> arguments) => string.Join(" ", arguments.Select(Windows));

    /// <summary>
    /// One word of a systemd ExecStart= line: always double-quoted, with backslash and quote escaped, and the
    /// specifier '%' and the variable sign '$' doubled (systemd would expand them otherwise).
    /// </summary>
    public static string Systemd(string argument)
    {
        if (argument is null) throw new ArgumentNullException(nameof(argument));
        if (argument.IndexOfAny(new[] { '\n', '\r' }) >= 0) throw new ArgumentException("A systemd command line cannot hold a line break.", nameof(argument));
        var escaped = argument.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%").Replace("$", "$$");
        return "\"" + escaped + "\"";
    }

    /// <summary>A value of a systemd setting that is a single path (WorkingDirectory=): only '%' is special there.</summary>
    public static string SystemdValue(string value)
    {
        if (value.IndexOfAny(new[] { '\n', '\r' }) >= 0) throw new ArgumentException("A systemd setting cannot hold a line break.", nameof(value));
        return value.Replace("%", "%%");
    }

    /// <summary>
    /// One word for /bin/sh, single-quoted ('it'\''s'), as written in a crontab: cron turns an unescaped '%' into a
    /// line break, so '%' is written '\%' (cron removes the backslash).
    /// </summary>
    public static string Cron(string argument)
    {
        if (argument is null) throw new ArgumentNullException(nameof(argument));
        if (argument.IndexOfAny(new[] { '\n', '\r' }) >= 0) throw new ArgumentException("A cron line cannot hold a line break.", nameof(argument));
        var safe = argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=+,@".IndexOf(c) >= 0);
        var word = safe ? argument : "'" + argument.Replace("'", "'\\''") + "'";
        return word.Replace("%", "\\%");
    }
}
