namespace HeitzSync.Core.Sync;

/// <summary>
/// Capture triggers stamp CURRENT_TIMESTAMP, which Firebird 3 gives in the database machine's local time;
/// packages carry UTC. These convert between the two with this machine's time zone.
/// </summary>
internal static class LocalClock
{
    public static DateTime ToUtc(DateTime local)
    {
        if (local.Year <= 1900) return DateTime.SpecifyKind(local, DateTimeKind.Utc);
        return DateTime.SpecifyKind(local, DateTimeKind.Local).ToUniversalTime();
    }

    public static DateTime ToLocal(DateTime utc)
    {
        if (utc.Year <= 1900) return DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);
        return DateTime.SpecifyKind(DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToLocalTime(), DateTimeKind.Unspecified);
    }
}
