using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>Rows one simulated day wrote at one site.</summary>
internal sealed record DayCounts(long Inserted, long Updated, long Deleted)
{
    public long Total => Inserted + Updated + Deleted;
}

/// <summary>
/// One business day at a site, BusinessDay-like but sized: about <c>rows</c> rows changed, 70 % inserted (entries,
/// sales with lines, payments and accounting, a few new members and subscriptions), 25 % updated (members at the front
/// desk: balance and note, e-mail, active flag, one in ten a new photo; subscriptions extended; one update in twenty is
/// of a member of another club, as members visit other clubs), 5 % deleted (cancelled sales of the club's own, with their
/// lines and payments). Several transactions, as the application commits them. New keys continue the club's own range.
/// </summary>
internal static class DailyChange
{
    public static readonly DateTime Day = new(2026, 1, 5);

    public static DayCounts Apply(FbConnection connection, int club, int clubsInChain, ActivityPlan history, long rows, Random random)
    {
        var low = Chain.KeyLow(club);
        var high = low + Chain.KeyRangeSize - 1;
        var members = Chain.MembersOf(club, history);
        long inserted, updated = 0, deleted = 0;

        // Inserts: new activity keyed after the club's existing rows.
        using (var writer = new RowWriter(connection))
        {
            var keys = new KeyCursor(low + 1);
            using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
            {
                foreach (var table in new[] { "MEMBERS", "SUBSCRIPTIONS", "ENTRIES", "SALES", "PAYMENTS", "Accounting Entries" })
                {
                    var max = connection.ExecuteScalar(tx, $"SELECT MAX(ID) FROM {FbSql.QuoteIdentifier(table)} WHERE ID BETWEEN ? AND ?", low, high);
                    keys.StartAt(table, (max is null ? low : Convert.ToInt64(max, CultureInfo.InvariantCulture)) + 1);
                }
            }
            writer.WriteAll(ClubRows.Generate(club, ActivityPlan.ForRows((long)(rows * 0.70)), keys, members, random, Day, Day));
            writer.Commit();
            inserted = writer.Rows;
        }

        // Updates at the front desk.
        List<long> subscriptions;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            subscriptions = Ids(connection, tx, "SELECT ID FROM SUBSCRIPTIONS WHERE ID BETWEEN ? AND ? ORDER BY ID", low, high);
        }
        using (var tx = connection.BeginTransaction())
        {
            using var balance = connection.Prepare(tx, "UPDATE MEMBERS SET BALANCE = BALANCE + ?, NOTES = ? WHERE ID = ?");
            using var email = connection.Prepare(tx, "UPDATE MEMBERS SET EMAIL = ? WHERE ID = ?");
            using var active = connection.Prepare(tx, "UPDATE MEMBERS SET ACTIVE = NOT COALESCE(ACTIVE, FALSE) WHERE ID = ?");
            using var photo = connection.Prepare(tx, "UPDATE MEMBERS SET PHOTO = ? WHERE ID = ?");
            using var extend = connection.Prepare(tx, "UPDATE SUBSCRIPTIONS SET END_DATE = DATEADD(1 MONTH TO END_DATE) WHERE ID = ?");
            var target = (long)(rows * 0.25);
            while (updated < target && members.Length > 0)
            {
                var member = random.Next(20) == 0 && clubsInChain > 1 ? OtherClubMember(club, clubsInChain, history, random) : ClubRows.Pick(random, members);
                var kind = random.Next(10);
                updated += kind switch
                {
                    < 3 => balance.ExecuteNonQuery(ClubRows.Money(random, 50m), $"Passage à l'accueil du club n° {club} le 05/01/2026.", member),
                    < 5 => email.ExecuteNonQuery($"adhérent.{member % 100_000}.{random.Next(1_000)}@club{club}.example", member),
                    < 7 => active.ExecuteNonQuery(member),
                    7 => photo.ExecuteNonQuery(RandomBytes(random, 2_000 + random.Next(4_000)), member),
                    _ => subscriptions.Count == 0 ? 0 : extend.ExecuteNonQuery(ClubRows.Pick(random, subscriptions)),
                };
            }
            tx.Commit();
        }

        // Cancelled sales, children first, one transaction each.
        List<long> sales;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            sales = Ids(connection, tx, "SELECT ID FROM SALES WHERE ID BETWEEN ? AND ? ORDER BY ID", low, high);
        }
        var deleteTarget = (long)(rows * 0.05);
        while (deleted < deleteTarget && sales.Count > 0)
        {
            var index = random.Next(sales.Count);
            var sale = sales[index];
            sales.RemoveAt(index);
            using var tx = connection.BeginTransaction();
            deleted += connection.Execute(tx, "DELETE FROM PAYMENTS WHERE SALE_ID = ?", sale);
            deleted += connection.Execute(tx, "DELETE FROM SALE_LINES WHERE SALE_ID = ?", sale);
            deleted += connection.Execute(tx, "DELETE FROM SALES WHERE ID = ?", sale);
            tx.Commit();
        }
        return new DayCounts(inserted, updated, deleted);
    }

    private static long OtherClubMember(int club, int clubsInChain, ActivityPlan history, Random random)
    {
        int other;
        do other = Chain.ClubNumber(random.Next(clubsInChain)); while (other == club);
        return Chain.KeyLow(other) + 1 + random.Next(history.Members);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static List<long> Ids(FbConnection connection, FbTransaction tx, string sql, params object?[] values)
    {
        var ids = new List<long>();
        using var command = connection.Prepare(tx, sql);
        using var reader = command.ExecuteReader(values);
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }
}
