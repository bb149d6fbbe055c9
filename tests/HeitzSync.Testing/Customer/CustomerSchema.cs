using System.Text;
using HeitzSync.Core.Configuration;
using HeitzSync.Firebird;

namespace HeitzSync.Testing.Customer;

/// <summary>
/// A club-and-shop chain's database as a customer would bring it, not the demo's: INTEGER keys, a trigger that stamps
/// a modification date, a trigger that takes stock out per sale line (ARTICLE.STOCK, kept right by declaring it
/// additive), a trigger that counts sale lines into a local column (ARTICLE.LINES_SOLD, which must run during an
/// apply), a trigger that writes a till log line per sale (a side effect that must not run again at other nodes),
/// foreign keys with ON DELETE CASCADE (a member's subscriptions, a sale's lines), one without (a member's entries),
/// a self reference (a member's sponsor), a table without a primary key left local (TILL_LOG) and accented WIN1252 text.
/// Create it with <see cref="Create"/> (over a UTF8 attachment, as a business application would: the trigger source
/// holds an accented literal).
/// </summary>
public static class CustomerSchema
{
    /// <summary>The tables the sync carries, parents before children.</summary>
    public static readonly IReadOnlyList<string> SynchronisedTables = new[] { "MEMBER", "SUBSCRIPTION", "ENTRY", "ARTICLE", "SALE", "SALE_LINE" };

    /// <summary>The table without a primary key that stays at its node (tables.localOnly).</summary>
    public const string LocalTable = "TILL_LOG";

    /// <summary>tables.additiveColumns: the stock the sale-line trigger takes out at every node adds up.</summary>
    public static readonly IReadOnlyList<string> AdditiveColumns = new[] { "ARTICLE.STOCK" };

    /// <summary>tables.localColumns: maintained at each node by <see cref="LineCountTrigger"/>, never carried.</summary>
    public static readonly IReadOnlyList<string> LocalColumns = new[] { "ARTICLE.LINES_SOLD" };

    /// <summary>tables.triggersRunDuringApply: the trigger that keeps the local column right as replicated lines arrive.</summary>
    public static readonly IReadOnlyList<string> TriggersRunDuringApply = new[] { LineCountTrigger };

    /// <summary>The configuration's "tables" for this schema, as heitzsync.json would hold it on every node.</summary>
    public static TableRules Rules => new()
    {
        LocalOnly = new[] { LocalTable },
        AdditiveColumns = AdditiveColumns,
        LocalColumns = LocalColumns,
        TriggersRunDuringApply = TriggersRunDuringApply,
    };

    /// <summary>A keyRangeSize that INTEGER keys hold for site numbers up to 20 (2,147,483,648 / 21 is 102,261,126).</summary>
    public const long KeyRangeSize = 100_000_000;

    public const string StampTrigger = "MEMBER_BIU";
    public const string StockTrigger = "SALE_LINE_STOCK";
    public const string LineCountTrigger = "SALE_LINE_COUNT";
    public const string TillLogTrigger = "SALE_AI";

    /// <summary>Every business trigger of the synchronised tables.</summary>
    public static readonly IReadOnlyList<string> BusinessTriggers = new[] { "ARTICLE_BIU", StampTrigger, TillLogTrigger, LineCountTrigger, StockTrigger, "SUBSCRIPTION_BIU" };

    public static readonly IReadOnlyList<string> Generators = new[] { "GEN_MEMBER", "GEN_SUBSCRIPTION", "GEN_ENTRY", "GEN_ARTICLE", "GEN_SALE" };

    /// <summary>The till log line a sale writes (an accented literal inside the trigger source).</summary>
    public const string TillLogPrefix = "Vente n°";

    private static readonly string[] Statements =
    {
        @"CREATE TABLE MEMBER (
            ID INTEGER NOT NULL PRIMARY KEY,
            NAME VARCHAR(60) CHARACTER SET WIN1252 NOT NULL,
            SPONSOR_ID INTEGER REFERENCES MEMBER (ID) ON DELETE SET NULL,
            BALANCE NUMERIC(15,2) DEFAULT 0 NOT NULL,
            DATE_MODIF TIMESTAMP)",
        @"CREATE TABLE SUBSCRIPTION (
            ID INTEGER NOT NULL PRIMARY KEY,
            MEMBER_ID INTEGER NOT NULL REFERENCES MEMBER (ID) ON DELETE CASCADE,
            KIND VARCHAR(30) CHARACTER SET WIN1252,
            STARTS DATE,
            DATE_MODIF TIMESTAMP)",
        @"CREATE TABLE ENTRY (
            ID INTEGER NOT NULL PRIMARY KEY,
            MEMBER_ID INTEGER NOT NULL REFERENCES MEMBER (ID),
            AT_TIME TIMESTAMP,
            GATE SMALLINT)",
        @"CREATE TABLE ARTICLE (
            ID INTEGER NOT NULL PRIMARY KEY,
            LABEL VARCHAR(40) CHARACTER SET WIN1252 NOT NULL,
            PRICE NUMERIC(15,2),
            STOCK INTEGER DEFAULT 0 NOT NULL,
            LINES_SOLD INTEGER DEFAULT 0,
            DATE_MODIF TIMESTAMP)",
        @"CREATE TABLE SALE (
            ID INTEGER NOT NULL PRIMARY KEY,
            MEMBER_ID INTEGER REFERENCES MEMBER (ID) ON DELETE SET NULL,
            SOLD_AT TIMESTAMP,
            TOTAL NUMERIC(15,2))",
        @"CREATE TABLE SALE_LINE (
            SALE_ID INTEGER NOT NULL REFERENCES SALE (ID) ON DELETE CASCADE,
            LINE_NO SMALLINT NOT NULL,
            ARTICLE_ID INTEGER NOT NULL REFERENCES ARTICLE (ID),
            QTY INTEGER NOT NULL,
            PRICE NUMERIC(15,2),
            PRIMARY KEY (SALE_ID, LINE_NO))",
        @"CREATE TABLE TILL_LOG (AT_TIME TIMESTAMP, MESSAGE VARCHAR(200) CHARACTER SET WIN1252)",
        "CREATE SEQUENCE GEN_MEMBER",
        "CREATE SEQUENCE GEN_SUBSCRIPTION",
        "CREATE SEQUENCE GEN_ENTRY",
        "CREATE SEQUENCE GEN_ARTICLE",
        "CREATE SEQUENCE GEN_SALE",
        // Numbers a new member and stamps every change, as the club software does.
        @"CREATE TRIGGER MEMBER_BIU FOR MEMBER ACTIVE BEFORE INSERT OR UPDATE POSITION 0
AS
DECLARE VARIABLE NOW_STAMP TIMESTAMP; -- one stamp per row (BEGIN and END in a comment)
BEGIN
  NOW_STAMP = CURRENT_TIMESTAMP;
  IF (NEW.ID IS NULL) THEN NEW.ID = NEXT VALUE FOR GEN_MEMBER;
  NEW.DATE_MODIF = CASE WHEN NOW_STAMP IS NULL THEN NULL ELSE NOW_STAMP END;
END",
        @"CREATE TRIGGER SUBSCRIPTION_BIU FOR SUBSCRIPTION ACTIVE BEFORE INSERT OR UPDATE POSITION 0 AS
BEGIN
  IF (NEW.ID IS NULL) THEN NEW.ID = NEXT VALUE FOR GEN_SUBSCRIPTION;
  NEW.DATE_MODIF = CURRENT_TIMESTAMP;
END",
        @"CREATE TRIGGER ARTICLE_BIU FOR ARTICLE ACTIVE BEFORE INSERT OR UPDATE POSITION 0 AS
BEGIN
  /* a label typed with trailing blanks is kept as typed: BEGIN END */
  NEW.DATE_MODIF = CURRENT_TIMESTAMP;
END",
        // Stock out per sale line; a changed or deleted line gives its quantity back.
        @"CREATE TRIGGER SALE_LINE_STOCK FOR SALE_LINE ACTIVE AFTER INSERT OR UPDATE OR DELETE POSITION 10 AS
BEGIN
  IF (DELETING OR UPDATING) THEN
  BEGIN
    UPDATE ARTICLE SET STOCK = STOCK + OLD.QTY WHERE ID = OLD.ARTICLE_ID;
  END
  IF (INSERTING OR UPDATING) THEN
  BEGIN
    UPDATE ARTICLE SET STOCK = STOCK - NEW.QTY WHERE ID = NEW.ARTICLE_ID;
  END
END",
        // Counts the lines sold per article into a column each node keeps for itself (local).
        @"CREATE TRIGGER SALE_LINE_COUNT FOR SALE_LINE ACTIVE AFTER INSERT OR DELETE POSITION 20 AS
BEGIN
  IF (INSERTING) THEN
    UPDATE ARTICLE SET LINES_SOLD = COALESCE(LINES_SOLD, 0) + 1 WHERE ID = NEW.ARTICLE_ID;
  ELSE
    UPDATE ARTICLE SET LINES_SOLD = COALESCE(LINES_SOLD, 0) - 1 WHERE ID = OLD.ARTICLE_ID;
END",
        // The till prints a log line per sale: a side effect of this node only.
        @"CREATE TRIGGER SALE_AI FOR SALE ACTIVE AFTER INSERT POSITION 0 AS
BEGIN
  INSERT INTO TILL_LOG (AT_TIME, MESSAGE) VALUES (CURRENT_TIMESTAMP, 'Vente n°' || NEW.ID);
END",
    };

    /// <summary>Creates the schema over a UTF8 attachment of <paramref name="database"/>.</summary>
    public static void Create(FbConnectionSettings database)
    {
        using var connection = FbConnection.Open(database with { Charset = "UTF8" });
        foreach (var statement in Statements) connection.ExecuteInNewTransaction(statement);
    }

    /// <summary>Text as WIN1252 bytes, for the accented names and labels of this schema (sent raw on a NONE attachment).</summary>
    public static FbRawText Win1252(string text) => new(Windows1252.GetBytes(text));

    private static readonly Encoding Windows1252 = CodePage1252();

    private static Encoding CodePage1252()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    }

    /// <summary>Adds articles <paramref name="firstId"/>.. with the given stock (labels accented).</summary>
    public static void AddArticles(FbConnection connection, int firstId, int count, int stock, decimal price = 9.90m)
    {
        using var tx = connection.BeginTransaction();
        for (var i = 0; i < count; i++)
        {
            connection.Execute(tx, "INSERT INTO ARTICLE (ID, LABEL, PRICE, STOCK) VALUES (?, ?, ?, ?)",
                firstId + i, Win1252($"Boisson énergétique n°{firstId + i}"), price, stock);
        }
        tx.Commit();
    }

    /// <summary>Adds articles <paramref name="firstId"/>.. with a given modification date, as rows a database has held for
    /// years (the date-stamping trigger is switched off meanwhile, so two databases can hold the very same rows).</summary>
    public static void SeedArticles(FbConnection connection, int firstId, int count, int stock, decimal price, DateTime modified) =>
        WithoutStamps(connection, () =>
        {
            using var tx = connection.BeginTransaction();
            for (var i = 0; i < count; i++)
            {
                connection.Execute(tx, "INSERT INTO ARTICLE (ID, LABEL, PRICE, STOCK, DATE_MODIF) VALUES (?, ?, ?, ?, ?)",
                    firstId + i, Win1252($"Boisson énergétique n°{firstId + i}"), price, stock, modified);
            }
            tx.Commit();
        });

    /// <summary>Runs <paramref name="edit"/> with ARTICLE's date-stamping trigger off (history made before HeitzSync).</summary>
    public static void WithoutStamps(FbConnection connection, Action edit)
    {
        connection.ExecuteInNewTransaction("ALTER TRIGGER ARTICLE_BIU INACTIVE");
        try
        {
            edit();
        }
        finally
        {
            connection.ExecuteInNewTransaction("ALTER TRIGGER ARTICLE_BIU ACTIVE");
        }
    }

    /// <summary>Records a sale with one line per (article, quantity), as the till does: one transaction.</summary>
    public static void Sell(FbConnection connection, int saleId, int? memberId, params (int Article, int Quantity)[] lines) =>
        Sell(connection, new FbTransactionOptions(), saleId, memberId, lines);

    /// <summary>Records a sale in a transaction with the given options (a lock timeout, so a test never waits for ever).</summary>
    public static void Sell(FbConnection connection, FbTransactionOptions options, int saleId, int? memberId, params (int Article, int Quantity)[] lines)
    {
        using var tx = connection.BeginTransaction(options);
        connection.Execute(tx, "INSERT INTO SALE (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, CURRENT_TIMESTAMP, ?)", saleId, memberId, 9.90m * lines.Sum(l => l.Quantity));
        for (var i = 0; i < lines.Length; i++)
        {
            connection.Execute(tx, "INSERT INTO SALE_LINE (SALE_ID, LINE_NO, ARTICLE_ID, QTY, PRICE) VALUES (?, ?, ?, ?, 9.90)",
                saleId, (short)(i + 1), lines[i].Article, lines[i].Quantity);
        }
        tx.Commit();
    }
}
