using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Backup;

/// <summary>Small real databases for the backup and restore tests: members with notes, and their visits.</summary>
internal static class ClubDatabase
{
    public static readonly string[] Tables = { "MEMBERS", "VISITS" };

    /// <summary>Creates the database with <paramref name="members"/> members; <paramref name="noteLength"/> makes it bigger (slower gbak).</summary>
    public static void Create(FbConnectionSettings settings, int members, int noteLength = 20)
    {
        using var connection = FbConnection.CreateDatabase(settings);
        connection.ExecuteInNewTransaction("CREATE TABLE MEMBERS (ID INTEGER NOT NULL PRIMARY KEY, NAME VARCHAR(60) NOT NULL, NOTES BLOB SUB_TYPE TEXT)");
        connection.ExecuteInNewTransaction("CREATE TABLE VISITS (ID INTEGER NOT NULL PRIMARY KEY, MEMBER_ID INTEGER NOT NULL REFERENCES MEMBERS (ID), AT_TIME TIMESTAMP NOT NULL)");
        AddMembers(connection, 0, members, noteLength);
    }

    public static void AddMembers(FbConnectionSettings settings, int from, int count, int noteLength = 20)
    {
        using var connection = FbConnection.Open(settings);
        AddMembers(connection, from, count, noteLength);
    }

    private static void AddMembers(FbConnection connection, int from, int count, int noteLength) =>
        connection.ExecuteInNewTransaction(
            "EXECUTE BLOCK AS DECLARE I INTEGER; BEGIN I = " + from + "; " +
            "WHILE (I < " + (from + count) + ") DO BEGIN " +
            "INSERT INTO MEMBERS (ID, NAME, NOTES) VALUES (:I, 'Hélène ' || :I, LPAD('', " + noteLength + ", 'n')); " +
            "INSERT INTO VISITS (ID, MEMBER_ID, AT_TIME) VALUES (:I, :I, CURRENT_TIMESTAMP); " +
            "I = I + 1; END END");

    public static Dictionary<string, long> RowCounts(FbConnectionSettings settings)
    {
        using var connection = FbConnection.Open(settings);
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Tables.ToDictionary(t => t, t => Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM " + t)));
    }
}
