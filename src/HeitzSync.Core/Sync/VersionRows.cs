using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>The version row of one key, as the receiving database has it.</summary>
internal sealed record VersionRow(long Sequence, long Tx, string Origin, DateTime ChangedAtUtc, char Op, long BaseSequence)
{
    /// <summary>At the Siège: the sequence of the real edit this version carries. A version re-published without a new
    /// edit (a conflict the master's version won, a refused delete) gets a new sequence and keeps its edit's one in
    /// BASE_SEQ, so that conflicts are decided between real edits only.</summary>
    public long RealSequence => BaseSequence > 0 ? BaseSequence : Sequence;
}

/// <summary>Which changes an apply takes engine-side, in a batch, without asking its policy (docs/sync-engine.md,
/// "Applying in batches"). The others come back to <see cref="IApplyPolicy.Decide"/> with the version row read.</summary>
internal enum FastPathTest
{
    /// <summary>Every change (a full restore re-queues the site's own changes).</summary>
    Always,

    /// <summary>Siège: no concurrent edit. The master has no version of the key, or its version came from the sender,
    /// or the master's last real edit is not above the change's base (the sender changed the version it had).</summary>
    NoConcurrentEdit,

    /// <summary>Site: the key has no local change the Siège has not consolidated yet (by the acknowledged watermark).</summary>
    NothingPendingHere,
}

/// <summary>What a version row written for an applied change says besides its sequence: whose change it is and its base.</summary>
internal enum VersionStamp
{
    /// <summary>Siège: the sending site is the origin; base 0 (a real edit).</summary>
    FromSender,

    /// <summary>Site: the origin the change carries; base = the master sequence it came with.</summary>
    CarriedOriginMasterBase,

    /// <summary>Full restore: the origin and base the change carries (it is re-queued as it was).</summary>
    CarriedOriginAndBase,
}

/// <summary>A policy's decisions as an apply batch takes them engine-side; the same as its <see cref="IApplyPolicy.Decide"/>
/// for the changes it applies, and the same version row as its <see cref="IApplyPolicy.Applied"/>.</summary>
internal sealed record FastPath(FastPathTest Test, VersionStamp Stamp)
{
    /// <summary>Siège: the site whose package is consolidated.</summary>
    public string Sender { get; init; } = "";

    /// <summary>Site: what the Siège has consolidated from it.</summary>
    public Watermark Acknowledged { get; init; }

    /// <summary>Whether <see cref="IApplyPolicy.Decide"/> needs the version row (the row-by-row path reads it first).</summary>
    public bool ReadsVersion => Test != FastPathTest.Always;
}

/// <summary>
/// The SQL of version rows (HZ$V_n, docs/sync-engine.md) in one place: reading a key's version, stamping an applied
/// change, and the same inside an apply batch's EXECUTE BLOCK (PSQL over the variables <see cref="Declarations"/> names).
/// Version rows take a new master sequence at the Siège (<c>masterVersions</c>, so the change is published) and
/// sequence 0 at a site (nothing to send; BASE_SEQ then holds the master sequence it came with).
/// </summary>
internal static class VersionRows
{
    private const string Columns = "SEQ, TX, ORIGIN, CHANGED_AT, OP, BASE_SEQ";
    private const string WrittenColumns = "SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ";

    /// <summary>Parameters: the key columns.</summary>
    public static string ReadSql(SyncTable table) => $"SELECT {Columns} FROM {table.VersionTable} WHERE {KeyMatch(table, _ => "?")}";

    public static VersionRow FromReader(FbDataReader reader, int first) =>
        new(reader.GetInt64(first), reader.GetInt64(first + 1), reader.GetString(first + 2).Trim(), LocalClock.ToUtc(reader.GetDateTime(first + 3)),
            reader.GetString(first + 4)[0], reader.GetInt64(first + 5));

    /// <summary>Parameters: the key columns, then OP, CHANGED_AT (local time), ORIGIN, BASE_SEQ.</summary>
    public static string WriteSql(SyncTable table, bool masterVersions)
    {
        var keys = KeyList(table);
        return $"UPDATE OR INSERT INTO {table.VersionTable} ({keys}, {WrittenColumns}) " +
               $"VALUES ({string.Join(", ", table.KeyColumns.Select(_ => "?"))}, {SequenceAndTx(masterVersions)}, ?, ?, ?, ?) MATCHING ({keys})";
    }

    /// <summary>PSQL variables of an apply batch that hold the version row read (also its output columns, so that a
    /// change left to the policy comes back with it).</summary>
    public const string Declarations =
        "HZ_V_SEQ BIGINT, HZ_V_TX BIGINT, HZ_V_ORIGIN VARCHAR(16) CHARACTER SET ASCII, HZ_V_AT TIMESTAMP, HZ_V_OP CHAR(1) CHARACTER SET ASCII, HZ_V_BASE BIGINT";

    /// <summary>The output columns after the slot and status: where <see cref="FromReader"/> starts.</summary>
    public const int FirstOutput = 2;

    /// <summary>PSQL: reads the key's version row into the variables (all NULL when there is none).</summary>
    public static string ReadInto(SyncTable table, Func<SyncColumn, string> keyValue) =>
        $"HZ_V_SEQ = NULL; HZ_V_TX = NULL; HZ_V_ORIGIN = NULL; HZ_V_AT = NULL; HZ_V_OP = NULL; HZ_V_BASE = NULL;\n" +
        $"    SELECT {Columns} FROM {table.VersionTable} WHERE {KeyMatch(table, keyValue)} INTO HZ_V_SEQ, HZ_V_TX, HZ_V_ORIGIN, HZ_V_AT, HZ_V_OP, HZ_V_BASE;";

    /// <summary>Block parameters the fast path tests against (bound by <see cref="BlockArguments"/>).</summary>
    public const string BlockParameters = "HZ_SENDER VARCHAR(16) CHARACTER SET ASCII = ?, HZ_ACK_SEQ BIGINT = ?, HZ_ACK_TX BIGINT = ?";

    public static object?[] BlockArguments(FastPath fastPath) => new object?[] { fastPath.Sender, fastPath.Acknowledged.Sequence, fastPath.Acknowledged.ResendFromTx };

    /// <summary>PSQL condition: the change applies without the policy (the same test as its Decide, for these changes).
    /// <paramref name="changeBase"/> is the change's BASE_SEQ.</summary>
    public static string FastPathCondition(FastPath fastPath, string changeBase) => fastPath.Test switch
    {
        FastPathTest.Always => "1 = 1",
        FastPathTest.NoConcurrentEdit => $"HZ_V_SEQ IS NULL OR HZ_V_ORIGIN = :HZ_SENDER OR IIF(HZ_V_BASE > 0, HZ_V_BASE, HZ_V_SEQ) <= {changeBase}",
        FastPathTest.NothingPendingHere => $"HZ_V_SEQ IS NULL OR NOT (HZ_V_SEQ > :HZ_ACK_SEQ OR (HZ_V_SEQ > 0 AND (HZ_V_TX >= :HZ_ACK_TX{OpenIn(fastPath.Acknowledged)})))",
        _ => throw new ArgumentOutOfRangeException(nameof(fastPath)),
    };

    /// <summary>Watermark.StillToSend's open transactions: numbers written into the statement (long values, never text
    /// from outside; at most <see cref="OpenTransactions.MaxListed"/>), as <see cref="Watermark.SqlStillToSend"/> does.</summary>
    private static string OpenIn(Watermark acknowledged) => acknowledged.Open.IsEmpty ? "" : $" OR HZ_V_TX IN ({acknowledged.Open})";

    /// <summary>PSQL: writes the version row of an applied upsert, after <see cref="ReadInto"/> (an insert when the key
    /// had none, so no second lookup). The values are PSQL expressions of the change's own fields.</summary>
    public static string Stamp(SyncTable table, Func<SyncColumn, string> keyValue, bool masterVersions, FastPath fastPath,
        string changedAt, string origin, string sequence, string baseSequence)
    {
        var (stampOrigin, stampBase) = fastPath.Stamp switch
        {
            VersionStamp.FromSender => (":HZ_SENDER", "0"),
            VersionStamp.CarriedOriginMasterBase => (origin, sequence),
            VersionStamp.CarriedOriginAndBase => (origin, baseSequence),
            _ => throw new ArgumentOutOfRangeException(nameof(fastPath)),
        };
        var (seq, tx) = masterVersions ? ($"GEN_ID({CaptureObjects.Sequence}, 1)", "CURRENT_TRANSACTION") : ("0", "0");
        return $"IF (HZ_V_SEQ IS NULL) THEN\n" +
               $"      INSERT INTO {table.VersionTable} ({KeyList(table)}, {WrittenColumns}) VALUES ({string.Join(", ", table.KeyColumns.Select(keyValue))}, {seq}, {tx}, 'U', {changedAt}, {stampOrigin}, {stampBase});\n" +
               $"    ELSE\n" +
               $"      UPDATE {table.VersionTable} SET SEQ = {seq}, TX = {tx}, OP = 'U', CHANGED_AT = {changedAt}, ORIGIN = {stampOrigin}, BASE_SEQ = {stampBase} WHERE {KeyMatch(table, keyValue)};";
    }

    private static string SequenceAndTx(bool masterVersions) => masterVersions ? $"GEN_ID({CaptureObjects.Sequence}, 1), CURRENT_TRANSACTION" : "0, 0";

    private static string KeyList(SyncTable table) => string.Join(", ", table.KeyColumns.Select(c => c.Quoted));

    private static string KeyMatch(SyncTable table, Func<SyncColumn, string> value) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"{c.Quoted} = {value(c)}"));
}
