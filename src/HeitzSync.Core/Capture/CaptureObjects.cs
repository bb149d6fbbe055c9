namespace HeitzSync.Core.Capture;

/// <summary>Names and DDL of HeitzSync's own objects in a database (docs/sync-engine.md).</summary>
internal static class CaptureObjects
{
    /// <summary>Raised when the capture objects change shape; a database installed by another version is refused.</summary>
    public const int Version = 4;

    public const string Sequence = "HZ$SEQ";

    /// <summary>Site: the master sequence a new version row takes as its BASE_SEQ (what the site had applied when its
    /// change began). A generator, not a column, so that a capture trigger reads the latest value without waiting for an
    /// apply's transaction or seeing an older snapshot; raised only after the apply committed (docs/sync-engine.md).</summary>
    public const string BaseSequence = "HZ$BASE";
    public const string ApplyingVariable = "HZ$APPLYING";

    /// <summary>Change time given to rows queued by the initial load, so any real edit wins over them.</summary>
    public static readonly DateTime InitialLoadTime = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A watermark's open transactions in their text form (<see cref="Sync.OpenTransactions"/>), bounded.</summary>
    private const string OpenTransactionsType = "VARCHAR(4000) CHARACTER SET ASCII DEFAULT '' NOT NULL";

    /// <summary>Columns added to HeitzSync's tables after their first version: Initialize-HzSite adds those missing
    /// from a database installed by an earlier version (existing rows take the default).</summary>
    public static readonly (string Table, string Column, string Type)[] AddedColumns =
    {
        // Capture version 3: no open transaction listed.
        ("HZ$NODE", "ACKED_OPEN", OpenTransactionsType),
        ("HZ$NODE", "APPLIED_OPEN", OpenTransactionsType),
        ("HZ$SITES", "CONSOLIDATED_OPEN", OpenTransactionsType),
        ("HZ$SITES", "APPLIED_OPEN", OpenTransactionsType),
        // Capture version 4: every business row without a version row is "held" (docs/sync-engine.md, "What each node keeps").
        ("HZ$TABLES", "HELD_SEQ", "BIGINT DEFAULT 0 NOT NULL"),
    };

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
            INSTALLED_AT TIMESTAMP,
            ACKED_OPEN " + OpenTransactionsType + @",
            APPLIED_OPEN " + OpenTransactionsType + @")"),
        ("HZ$TABLES", @"CREATE TABLE HZ$TABLES (
            ID INTEGER NOT NULL CONSTRAINT HZ$PK_TABLES PRIMARY KEY,
            TABLE_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL CONSTRAINT HZ$UQ_TABLES UNIQUE,
            LOADED BOOLEAN DEFAULT FALSE NOT NULL,
            HELD_SEQ BIGINT DEFAULT 0 NOT NULL)"),
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
            LAST_CONTACT TIMESTAMP,
            CONSOLIDATED_OPEN " + OpenTransactionsType + @",
            APPLIED_OPEN " + OpenTransactionsType + @")"),
        ("HZ$TRIGGERS_OFF", @"CREATE TABLE HZ$TRIGGERS_OFF (
            TRIGGER_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL CONSTRAINT HZ$PK_TRIGGERS_OFF PRIMARY KEY)"),
        ("HZ$COLUMNS", @"CREATE TABLE HZ$COLUMNS (
            TABLE_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL,
            COLUMN_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL,
            KIND CHAR(1) CHARACTER SET ASCII NOT NULL,
            CONSTRAINT HZ$PK_COLUMNS PRIMARY KEY (TABLE_NAME, COLUMN_NAME))"),
        ("HZ$TRIGGER_GUARDS", @"CREATE TABLE HZ$TRIGGER_GUARDS (
            TRIGGER_NAME VARCHAR(63) CHARACTER SET UTF8 NOT NULL CONSTRAINT HZ$PK_TRIGGER_GUARDS PRIMARY KEY,
            ORIGINAL_SOURCE BLOB SUB_TYPE TEXT CHARACTER SET UTF8,
            GUARDED_AT TIMESTAMP)"),
        (RetiredSites, RetiredSitesDdl),
        (Sync.LoadRuns.TableName, Sync.LoadRuns.TableDdl),
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

    /// <summary>The origin under which a site keeps what the Siège last sent it of every other node's additive changes.</summary>
    public const string OthersOrigin = "*";

    /// <summary>HZ$A_n: per key and per node (HZ$ORIGIN), the running total of that node's changes of each additive column
    /// (docs/sync-engine.md, "Derived values").</summary>
    public static string TotalsTableDdl(SyncTable table)
    {
        var keys = string.Join(",\n    ", table.KeyColumns.Select(c => $"{c.Quoted} {c.SqlType} NOT NULL"));
        var totals = string.Join(",\n    ", table.AdditiveColumns.Select(c => $"{c.Quoted} {c.TotalSqlType} DEFAULT 0 NOT NULL"));
        var keyList = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        return $@"CREATE TABLE {table.TotalsTable} (
    {keys},
    HZ$ORIGIN VARCHAR(16) CHARACTER SET ASCII NOT NULL,
    {totals},
    CONSTRAINT HZ$PK_A_{table.Id} PRIMARY KEY ({keyList}, HZ$ORIGIN))";
    }

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

    /// <summary>
    /// The SEQ and TX indexes that earlier versions made on the Siège's version tables; init drops them. A version table
    /// has its primary key only, at every node: a site keeps its pending changes, which its next extract reads anyway; the
    /// Siège keeps what some site has not applied yet (sites' initial loads go in load runs, the rest folds), which is
    /// mostly what the next publish sends. A natural scan reads them as fast, and every change consolidated or made by a
    /// user would pay for two index entries more (docs/sync-engine.md, "What each node keeps").
    /// </summary>
    public static IEnumerable<string> FormerVersionTableIndexNames(SyncTable table) => new[] { $"HZ$IX_V_{table.Id}_SEQ", $"HZ$IX_V_{table.Id}_TX" };

    /// <summary>
    /// The capture trigger: records the changed key's version row, unless HeitzSync itself is applying. At the Siège a
    /// local change also clears BASE_SEQ (there it marks a re-published version, see TableApplier). At a site a new
    /// version row (the key had no pending change) takes as BASE_SEQ the master sequence the site has applied
    /// (<see cref="BaseSequence"/>), and a pending one keeps its base. For additive columns it adds this node's change
    /// to its running total in HZ$A_n: NEW − OLD for an update, and for a new row (or a new key) whatever makes the
    /// totals of the key sum to the new value; a delete adds nothing.
    /// </summary>
    public static string TriggerDdl(SyncTable table, string siteCode, bool isSiege)
    {
        var keyList = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
        string Upsert(string image, string op)
        {
            var keyValues = string.Join(", ", table.KeyColumns.Select(c => image + "." + c.Quoted));
            if (isSiege)
            {
                return $"UPDATE OR INSERT INTO {table.VersionTable} ({keyList}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
                       $"VALUES ({keyValues}, GEN_ID({Sequence}, 1), CURRENT_TRANSACTION, {op}, CURRENT_TIMESTAMP, '{siteCode}', 0) " +
                       $"MATCHING ({keyList});";
            }
            var keyMatch = string.Join(" AND ", table.KeyColumns.Select(c => $"{c.Quoted} = {image}.{c.Quoted}"));
            return $@"UPDATE {table.VersionTable} SET SEQ = GEN_ID({Sequence}, 1), TX = CURRENT_TRANSACTION, OP = {op}, CHANGED_AT = CURRENT_TIMESTAMP, ORIGIN = '{siteCode}' WHERE {keyMatch};
    IF (ROW_COUNT = 0) THEN
      INSERT INTO {table.VersionTable} ({keyList}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ)
        VALUES ({keyValues}, GEN_ID({Sequence}, 1), CURRENT_TRANSACTION, {op}, CURRENT_TIMESTAMP, '{siteCode}', GEN_ID({BaseSequence}, 0));";
        }
        var keyChanged = string.Join(" OR ", table.KeyColumns.Select(c => $"OLD.{c.Quoted} IS DISTINCT FROM NEW.{c.Quoted}"));
        var declarations = "";
        var totals = "";
        if (table.HasAdditive)
        {
            var additive = table.AdditiveColumns;
            var newKey = string.Join(" AND ", table.KeyColumns.Select(c => $"{c.Quoted} = NEW.{c.Quoted}"));
            declarations = string.Concat(additive.Select((c, i) => $"DECLARE HZ_D{i} {c.TotalSqlType};\n"));
            var anyChange = string.Join(" OR ", additive.Select((_, i) => $"HZ_D{i} <> 0"));
            totals = $@"
    IF (INSERTING OR ({keyChanged})) THEN
      SELECT {string.Join(", ", additive.Select(c => $"COALESCE(NEW.{c.Quoted}, 0) - COALESCE(SUM({c.Quoted}), 0)"))} FROM {table.TotalsTable} WHERE {newKey}
        INTO {string.Join(", ", additive.Select((_, i) => $":HZ_D{i}"))};
    ELSE
    BEGIN
      {string.Join("\n      ", additive.Select((c, i) => $"HZ_D{i} = COALESCE(NEW.{c.Quoted}, 0) - COALESCE(OLD.{c.Quoted}, 0);"))}
    END
    IF ({anyChange}) THEN
    BEGIN
      UPDATE {table.TotalsTable} SET {string.Join(", ", additive.Select((c, i) => $"{c.Quoted} = {c.Quoted} + :HZ_D{i}"))} WHERE {newKey} AND HZ$ORIGIN = '{siteCode}';
      IF (ROW_COUNT = 0) THEN
        INSERT INTO {table.TotalsTable} ({keyList}, HZ$ORIGIN, {string.Join(", ", additive.Select(c => c.Quoted))})
          VALUES ({string.Join(", ", table.KeyColumns.Select(c => "NEW." + c.Quoted))}, '{siteCode}', {string.Join(", ", additive.Select((_, i) => $":HZ_D{i}"))});
    END";
        }
        return $@"CREATE OR ALTER TRIGGER {table.TriggerName} FOR {table.Quoted} ACTIVE AFTER INSERT OR UPDATE OR DELETE POSITION 32000 AS
{declarations}BEGIN
  IF (RDB$GET_CONTEXT('USER_TRANSACTION', '{ApplyingVariable}') IS NOT NULL) THEN EXIT;
  IF (DELETING OR (UPDATING AND ({keyChanged}))) THEN
  BEGIN
    {Upsert("OLD", "'D'")}
  END
  IF (NOT DELETING) THEN
  BEGIN
    {Upsert("NEW", "IIF(INSERTING, 'I', 'U')")}{totals}
  END
END";
    }

    /// <summary>SQL that marks the current transaction as an apply (capture off, business triggers can test it).</summary>
    public const string MarkApplying = "SELECT RDB$SET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING', '1') FROM RDB$DATABASE";
}
