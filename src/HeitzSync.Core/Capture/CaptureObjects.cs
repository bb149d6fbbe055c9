namespace HeitzSync.Core.Capture;

/// <summary>Names and DDL of HeitzSync's own objects in a database (docs/sync-engine.md).</summary>
internal static class CaptureObjects
{
    /// <summary>Raised when the capture objects change shape; a database installed by another version is refused.</summary>
    public const int Version = 1;

    public const string Sequence = "HZ$SEQ";
    public const string ApplyingVariable = "HZ$APPLYING";

    /// <summary>Change time given to rows queued by the initial load, so any real edit wins over them.</summary>
    public static readonly DateTime InitialLoadTime = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static readonly (string Name, string Ddl)[] Tables =
    {
        ("HZ$NODE", @"CREATE TABLE HZ$NODE (
            ID SMALLINT NOT NULL CONSTRAINT HZ$PK_NODE PRIMARY KEY,
            SITE_CODE VARCHAR(16) CHARACTER SET ASCII NOT NULL,
            SITE_NUMBER INTEGER NOT NULL,
            IS_SIEGE BOOLEAN NOT NULL,
            KEY_LOW BIGINT NOT NULL,
            KEY_HIGH BIGINT NOT NULL,
            CAPTURE_VERSION INTEGER NOT NULL,
            ACKED_SEQ BIGINT DEFAULT 0 NOT NULL,
            ACKED_TX BIGINT DEFAULT 0 NOT NULL,
            APPLIED_SEQ BIGINT DEFAULT 0 NOT NULL,
            APPLIED_TX BIGINT DEFAULT 0 NOT NULL,
            APPLIED_CYCLE VARCHAR(32) CHARACTER SET ASCII,
            INSTALLED_AT TIMESTAMP)"),
        ("HZ$TABLES", @"CREATE TABLE HZ$TABLES (
            ID INTEGER NOT NULL CONSTRAINT HZ$PK_TABLES PRIMARY KEY,
            TABLE_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL CONSTRAINT HZ$UQ_TABLES UNIQUE,
            LOADED BOOLEAN DEFAULT FALSE NOT NULL)"),
        ("HZ$SITES", @"CREATE TABLE HZ$SITES (
            SITE_CODE VARCHAR(16) CHARACTER SET ASCII NOT NULL CONSTRAINT HZ$PK_SITES PRIMARY KEY,
            SITE_NUMBER INTEGER NOT NULL,
            KEY_LOW BIGINT NOT NULL,
            KEY_HIGH BIGINT NOT NULL,
            CONSOLIDATED_SEQ BIGINT DEFAULT 0 NOT NULL,
            CONSOLIDATED_TX BIGINT DEFAULT 0 NOT NULL,
            CONSOLIDATED_CYCLE VARCHAR(32) CHARACTER SET ASCII,
            APPLIED_SEQ BIGINT DEFAULT 0 NOT NULL,
            APPLIED_TX BIGINT DEFAULT 0 NOT NULL,
            LAST_CONTACT TIMESTAMP)"),
        ("HZ$TRIGGERS_OFF", @"CREATE TABLE HZ$TRIGGERS_OFF (
            TRIGGER_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL CONSTRAINT HZ$PK_TRIGGERS_OFF PRIMARY KEY)"),
        (RetiredSites, RetiredSitesDdl),
    };

    /// <summary>Siège: sites removed by Unregister-HzSite, whose numbers and key ranges are never given again. Created by
    /// init, or by the first removal on a database initialised before it existed.</summary>
    public const string RetiredSites = "HZ$RETIRED_SITES";

    public const string RetiredSitesDdl = @"CREATE TABLE HZ$RETIRED_SITES (
            SITE_CODE VARCHAR(16) CHARACTER SET ASCII NOT NULL CONSTRAINT HZ$PK_RETIRED_SITES PRIMARY KEY,
            SITE_NUMBER INTEGER NOT NULL,
            KEY_LOW BIGINT NOT NULL,
            KEY_HIGH BIGINT NOT NULL,
            RETIRED_AT TIMESTAMP)";

    public static string VersionTableDdl(SyncTable table)
    {
        var keys = string.Join(",\n    ", table.KeyColumns.Select(c => $"{c.Quoted} {c.SqlType} NOT NULL"));
        var keyList = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        return $@"CREATE TABLE {table.VersionTable} (
    {keys},
    SEQ BIGINT NOT NULL,
    TX BIGINT DEFAULT 0 NOT NULL,
    OP CHAR(1) CHARACTER SET ASCII NOT NULL,
    CHANGED_AT TIMESTAMP NOT NULL,
    ORIGIN VARCHAR(16) CHARACTER SET ASCII NOT NULL,
    BASE_SEQ BIGINT DEFAULT 0 NOT NULL,
    CONSTRAINT HZ$PK_V_{table.Id} PRIMARY KEY ({keyList}))";
    }

    public static IEnumerable<string> VersionTableIndexes(SyncTable table)
    {
        yield return $"CREATE INDEX HZ$IX_V_{table.Id}_SEQ ON {table.VersionTable} (SEQ)";
        yield return $"CREATE INDEX HZ$IX_V_{table.Id}_TX ON {table.VersionTable} (TX)";
    }

    /// <summary>The capture trigger: upserts the version row of the changed key, unless HeitzSync itself is applying.</summary>
    public static string TriggerDdl(SyncTable table, string siteCode)
    {
        string Upsert(string image, string op) =>
            $"UPDATE OR INSERT INTO {table.VersionTable} ({string.Join(", ", table.KeyColumns.Select(c => c.Quoted))}, SEQ, TX, OP, CHANGED_AT, ORIGIN) " +
            $"VALUES ({string.Join(", ", table.KeyColumns.Select(c => image + "." + c.Quoted))}, GEN_ID({Sequence}, 1), CURRENT_TRANSACTION, {op}, CURRENT_TIMESTAMP, '{siteCode}') " +
            $"MATCHING ({string.Join(", ", table.KeyColumns.Select(c => c.Quoted))});";
        var keyChanged = string.Join(" OR ", table.KeyColumns.Select(c => $"OLD.{c.Quoted} IS DISTINCT FROM NEW.{c.Quoted}"));
        return $@"CREATE OR ALTER TRIGGER {table.TriggerName} FOR {table.Quoted} ACTIVE AFTER INSERT OR UPDATE OR DELETE POSITION 32000 AS
BEGIN
  IF (RDB$GET_CONTEXT('USER_TRANSACTION', '{ApplyingVariable}') IS NOT NULL) THEN EXIT;
  IF (DELETING OR (UPDATING AND ({keyChanged}))) THEN
    {Upsert("OLD", "'D'")}
  IF (NOT DELETING) THEN
    {Upsert("NEW", "IIF(INSERTING, 'I', 'U')")}
END";
    }

    /// <summary>SQL that marks the current transaction as an apply (capture off, business triggers can test it).</summary>
    public const string MarkApplying = "SELECT RDB$SET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING', '1') FROM RDB$DATABASE";
}
