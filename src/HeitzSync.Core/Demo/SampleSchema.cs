using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>
/// The business database of a chain of clubs, as the demo and the end-to-end tests use it.
/// <para>
/// Synchronised (every table but one): MEMBERS (WIN1252 names, a UTF8 e-mail, a binary photo, WIN1252 notes in a
/// text blob, a sponsor who is a member: a self reference), SUBSCRIPTION_TYPES (reference rows that every site holds
/// alike, under the same keys), SUBSCRIPTIONS, ENTRIES, SALES, SALE_LINES (composite key), PAYMENTS and
/// "Accounting Entries" (a quoted identifier with a space and mixed case, as some accounting packages create).
/// </para>
/// <para>
/// Local by nature: WORKSTATION_SETTINGS (a till's printer, drawer...): it never leaves its site.
/// </para>
/// Keys come from generators, one per table family. The only business trigger gives a new member an id from
/// GEN_MEMBERS when none is given, as real schemas do; side-effect triggers are deliberately absent here.
/// </summary>
public static class SampleSchema
{
    /// <summary>The tables the sync carries, parents before children.</summary>
    public static readonly IReadOnlyList<string> SynchronisedTables = new[]
    {
        "MEMBERS", "SUBSCRIPTION_TYPES", "SUBSCRIPTIONS", "ENTRIES", "SALES", "SALE_LINES", "PAYMENTS", "Accounting Entries",
    };

    /// <summary>Tables that stay at their site.</summary>
    public static readonly IReadOnlyList<string> LocalOnlyTables = new[] { "WORKSTATION_SETTINGS" };

    /// <summary>Every table of the schema: synchronised first, then local ones.</summary>
    public static readonly IReadOnlyList<string> AllTables = SynchronisedTables.Concat(LocalOnlyTables).ToArray();

    /// <summary>The generators that give keys; the engine moves them into each site's range.</summary>
    public static readonly IReadOnlyList<string> Generators = new[]
    {
        "GEN_MEMBERS", "GEN_SUBSCRIPTIONS", "GEN_ENTRIES", "GEN_SALES", "GEN_PAYMENTS", "GEN_ACCOUNTING",
    };

    /// <summary>The business trigger that numbers new members.</summary>
    public const string MemberIdTrigger = "MEMBERS_BI";

    /// <summary>The quoted table of accounting entries, ready for SQL text.</summary>
    internal static readonly string AccountingEntries = FbSql.QuoteIdentifier("Accounting Entries");

    private static readonly string[] Statements =
    {
        @"CREATE TABLE MEMBERS (
            ID BIGINT NOT NULL PRIMARY KEY,
            FIRST_NAME VARCHAR(40) CHARACTER SET WIN1252,
            LAST_NAME VARCHAR(60) CHARACTER SET WIN1252 NOT NULL,
            EMAIL VARCHAR(120) CHARACTER SET UTF8,
            BIRTH_DATE DATE,
            PHOTO BLOB SUB_TYPE BINARY,
            NOTES BLOB SUB_TYPE TEXT CHARACTER SET WIN1252,
            SPONSOR_ID BIGINT REFERENCES MEMBERS (ID),
            CREATED_AT TIMESTAMP,
            ACTIVE BOOLEAN,
            BALANCE NUMERIC(15,2) DEFAULT 0)",
        @"CREATE TABLE SUBSCRIPTION_TYPES (
            CODE VARCHAR(10) CHARACTER SET ISO8859_1 NOT NULL PRIMARY KEY,
            LABEL VARCHAR(60) CHARACTER SET ISO8859_1,
            PRICE NUMERIC(15,2),
            MONTHS SMALLINT)",
        @"CREATE TABLE SUBSCRIPTIONS (
            ID BIGINT NOT NULL PRIMARY KEY,
            MEMBER_ID BIGINT NOT NULL REFERENCES MEMBERS (ID),
            TYPE_CODE VARCHAR(10) CHARACTER SET ISO8859_1 NOT NULL REFERENCES SUBSCRIPTION_TYPES (CODE),
            START_DATE DATE,
            END_DATE DATE,
            AMOUNT NUMERIC(15,2))",
        @"CREATE TABLE ENTRIES (
            ID BIGINT NOT NULL PRIMARY KEY,
            MEMBER_ID BIGINT NOT NULL REFERENCES MEMBERS (ID),
            ENTERED_AT TIMESTAMP,
            GATE SMALLINT)",
        @"CREATE TABLE SALES (
            ID BIGINT NOT NULL PRIMARY KEY,
            MEMBER_ID BIGINT REFERENCES MEMBERS (ID),
            SOLD_AT TIMESTAMP,
            TOTAL NUMERIC(15,2))",
        @"CREATE TABLE SALE_LINES (
            SALE_ID BIGINT NOT NULL REFERENCES SALES (ID),
            LINE_NO SMALLINT NOT NULL,
            PRODUCT VARCHAR(60) CHARACTER SET WIN1252,
            QTY INTEGER,
            UNIT_PRICE NUMERIC(15,4),
            PRIMARY KEY (SALE_ID, LINE_NO))",
        @"CREATE TABLE PAYMENTS (
            ID BIGINT NOT NULL PRIMARY KEY,
            SALE_ID BIGINT NOT NULL REFERENCES SALES (ID),
            PAID_AT TIMESTAMP,
            AMOUNT NUMERIC(15,2),
            METHOD CHAR(3))",
        @"CREATE TABLE ""Accounting Entries"" (
            ID BIGINT NOT NULL PRIMARY KEY,
            ENTRY_DATE DATE,
            ENTRY_TIME TIME,
            ACCOUNT VARCHAR(10),
            DEBIT NUMERIC(18,4),
            CREDIT NUMERIC(18,4),
            LABEL VARCHAR(80) CHARACTER SET UTF8)",
        @"CREATE TABLE WORKSTATION_SETTINGS (
            WORKSTATION VARCHAR(30) NOT NULL PRIMARY KEY,
            SETTING_VALUE VARCHAR(200))",
        "CREATE SEQUENCE GEN_MEMBERS",
        "CREATE SEQUENCE GEN_SUBSCRIPTIONS",
        "CREATE SEQUENCE GEN_ENTRIES",
        "CREATE SEQUENCE GEN_SALES",
        "CREATE SEQUENCE GEN_PAYMENTS",
        "CREATE SEQUENCE GEN_ACCOUNTING",
        @"CREATE TRIGGER MEMBERS_BI FOR MEMBERS ACTIVE BEFORE INSERT POSITION 0 AS
          BEGIN
            IF (NEW.ID IS NULL) THEN NEW.ID = GEN_ID(GEN_MEMBERS, 1);
          END",
    };

    /// <summary>Creates the tables, generators and the business trigger, each statement in its own transaction.</summary>
    public static void Create(FbConnection connection)
    {
        if (connection is null) throw new ArgumentNullException(nameof(connection));
        foreach (var statement in Statements)
        {
            connection.ExecuteInNewTransaction(statement);
        }
    }
}
