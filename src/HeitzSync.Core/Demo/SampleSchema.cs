using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>
/// The business database of a chain of clubs, as the demo and the end-to-end tests use it: members (WIN1252 names,
/// photos, notes, a sponsor who is a member), reference subscription types held identically by every site,
/// subscriptions, entries, sales with lines (composite key) and payments, accounting entries (a quoted identifier),
/// and WORKSTATION_SETTINGS, local by nature. A business trigger gives new members an id when none is given.
/// </summary>
public static class SampleSchema
{
    public static readonly IReadOnlyList<string> SynchronisedTables = new[]
    {
        "MEMBERS", "SUBSCRIPTION_TYPES", "SUBSCRIPTIONS", "ENTRIES", "SALES", "SALE_LINES", "PAYMENTS", "Accounting Entries",
    };

    public static readonly IReadOnlyList<string> LocalOnlyTables = new[] { "WORKSTATION_SETTINGS" };

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
            START_DATE DATE, END_DATE DATE, AMOUNT NUMERIC(15,2))",
        @"CREATE TABLE ENTRIES (ID BIGINT NOT NULL PRIMARY KEY, MEMBER_ID BIGINT NOT NULL REFERENCES MEMBERS (ID), ENTERED_AT TIMESTAMP, GATE SMALLINT)",
        @"CREATE TABLE SALES (ID BIGINT NOT NULL PRIMARY KEY, MEMBER_ID BIGINT REFERENCES MEMBERS (ID), SOLD_AT TIMESTAMP, TOTAL NUMERIC(15,2))",
        @"CREATE TABLE SALE_LINES (
            SALE_ID BIGINT NOT NULL REFERENCES SALES (ID),
            LINE_NO SMALLINT NOT NULL,
            PRODUCT VARCHAR(60) CHARACTER SET WIN1252,
            QTY INTEGER,
            UNIT_PRICE NUMERIC(15,4),
            PRIMARY KEY (SALE_ID, LINE_NO))",
        @"CREATE TABLE PAYMENTS (ID BIGINT NOT NULL PRIMARY KEY, SALE_ID BIGINT NOT NULL REFERENCES SALES (ID), PAID_AT TIMESTAMP, AMOUNT NUMERIC(15,2), METHOD CHAR(3))",
        @"CREATE TABLE ""Accounting Entries"" (
            ID BIGINT NOT NULL PRIMARY KEY,
            ENTRY_DATE DATE, ENTRY_TIME TIME, ACCOUNT VARCHAR(10),
            DEBIT NUMERIC(18,4), CREDIT NUMERIC(18,4),
            LABEL VARCHAR(80) CHARACTER SET UTF8)",
        @"CREATE TABLE WORKSTATION_SETTINGS (WORKSTATION VARCHAR(30) NOT NULL PRIMARY KEY, SETTING_VALUE VARCHAR(200))",
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

    public static void Create(FbConnection connection)
    {
        foreach (var statement in Statements)
        {
            connection.ExecuteInNewTransaction(statement);
        }
    }
}
