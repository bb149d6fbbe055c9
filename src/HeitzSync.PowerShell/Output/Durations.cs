using System.Globalization;

namespace HeitzSync.PowerShell;

/// <summary>Durations as output objects carry them: text, so that every PowerShell serialises them alike.</summary>
internal static class Durations
{
    /// <summary>hh:mm:ss, whole seconds; the hours go past 24 rather than into days (a night is capped at 24 h anyway).</summary>
    public static string Text(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) duration = TimeSpan.Zero;
        return string.Format(CultureInfo.InvariantCulture, "{0:00}:{1:00}:{2:00}", (long)duration.TotalHours, duration.Minutes, duration.Seconds);
    }
}
