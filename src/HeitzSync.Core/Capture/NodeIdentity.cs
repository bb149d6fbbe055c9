using HeitzSync.Core.Model;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>The HZ$NODE row of a database: who it is, and what it has exchanged with the Siège.</summary>
public sealed record NodeIdentity(
    SiteCode Site,
    int SiteNumber,
    bool IsSiege,
    long KeyLow,
    long KeyHigh,
    Watermark Acknowledged,
    Watermark AppliedFromSiege,
    string? AppliedCycle)
{
    /// <summary>Reads the identity; throws a clear error when capture is not installed.</summary>
    public static NodeIdentity Read(FbConnection connection, FbTransaction transaction)
    {
        if (!CaptureInstaller.IsInstalled(connection, transaction))
        {
            throw new CaptureSetupException(
                $"HeitzSync is not installed in {connection.Settings}: run {FrontCommands.Initialize} on this database first.");
        }
        using var command = connection.Prepare(transaction,
            "SELECT SITE_CODE, SITE_NUMBER, IS_SIEGE, KEY_LOW, KEY_HIGH, ACKED_SEQ, ACKED_TX, APPLIED_SEQ, APPLIED_TX, APPLIED_CYCLE, CAPTURE_VERSION FROM HZ$NODE WHERE ID = 1");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new CaptureSetupException($"HZ$NODE in {connection.Settings} has no identity row: run {FrontCommands.Initialize} again.");
        }
        var version = reader.GetInt32(10);
        if (version != CaptureObjects.Version)
        {
            throw new CaptureSetupException(
                $"{connection.Settings} was initialised by a HeitzSync with capture version {version}; this one uses {CaptureObjects.Version}. " +
                (version < CaptureObjects.Version
                    ? $"Run {FrontCommands.Initialize} with this version on it to upgrade it."
                    : "Use a HeitzSync of that capture version or later on it."));
        }
        var identity = new NodeIdentity(
            SiteCode.Parse(reader.GetString(0).Trim()),
            reader.GetInt32(1),
            reader.GetBoolean(2),
            reader.GetInt64(3),
            reader.GetInt64(4),
            new Watermark(reader.GetInt64(5), reader.GetInt64(6)),
            new Watermark(reader.GetInt64(7), reader.GetInt64(8)),
            reader.IsDBNull(9) ? null : reader.GetString(9).Trim());
        // Read apart: a database of the previous capture version lacks these columns, and is refused above by its version.
        using var open = connection.Prepare(transaction, "SELECT ACKED_OPEN, APPLIED_OPEN FROM HZ$NODE WHERE ID = 1");
        using var openReader = open.ExecuteReader();
        openReader.Read();
        return identity with
        {
            Acknowledged = identity.Acknowledged with { Open = OpenTransactions.Parse(openReader.GetString(0)) },
            AppliedFromSiege = identity.AppliedFromSiege with { Open = OpenTransactions.Parse(openReader.GetString(1)) },
        };
    }
}
