using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

public sealed record BusinessDayOptions
{
    public int NewMembers { get; init; } = 4;
    public int Entries { get; init; } = 20;
    public int Sales { get; init; } = 6;
    public int MemberUpdates { get; init; } = 5;
    public int SaleDeletes { get; init; } = 1;

    /// <summary>Members every site updates on the same day: deliberate conflicts.</summary>
    public IReadOnlyList<long> ConflictMemberIds { get; init; } = Array.Empty<long>();
}

public sealed record BusinessDaySummary(int Inserted, int Updated, int Deleted);

/// <summary>A day of work at one site, in several transactions like the real application.</summary>
public static class BusinessDay
{
    public static BusinessDaySummary Simulate(FbConnection connection, int siteNumber, long keyLow, Random random, BusinessDayOptions options)
    {
        int inserted = 0, updated = 0, deleted = 0;
        var members = Ids(connection, "SELECT ID FROM MEMBERS");
        using (var tx = connection.BeginTransaction())
        {
            for (var i = 0; i < options.NewMembers; i++)
            {
                // ID left NULL: the business trigger MEMBERS_BI assigns it from the site's generator.
                using var command = connection.Prepare(tx, "INSERT INTO MEMBERS (ID, FIRST_NAME, LAST_NAME, CREATED_AT, ACTIVE, BALANCE, SPONSOR_ID) VALUES (NULL, ?, ?, CURRENT_TIMESTAMP, TRUE, 0, ?) RETURNING ID");
                using var reader = command.ExecuteReader(SampleData.FirstNames[random.Next(SampleData.FirstNames.Length)],
                    SampleData.LastNames[random.Next(SampleData.LastNames.Length)], members.Count > 0 ? members[random.Next(members.Count)] : null);
                reader.Read();
                members.Add(reader.GetInt64(0));
                inserted++;
            }
            tx.Commit();
        }
        using (var tx = connection.BeginTransaction())
        {
            for (var i = 0; i < options.Entries && members.Count > 0; i++)
            {
                inserted += connection.Execute(tx, "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (GEN_ID(GEN_ENTRIES, 1), ?, CURRENT_TIMESTAMP, ?)",
                    members[random.Next(members.Count)], (short)(1 + random.Next(3)));
            }
            tx.Commit();
        }
        for (var i = 0; i < options.Sales && members.Count > 0; i++)
        {
            using var tx = connection.BeginTransaction();
            inserted += AddSale(connection, tx, members[random.Next(members.Count)], random);
            tx.Commit();
        }
        using (var tx = connection.BeginTransaction())
        {
            for (var i = 0; i < options.MemberUpdates && members.Count > 0; i++)
            {
                updated += connection.Execute(tx, "UPDATE MEMBERS SET BALANCE = BALANCE + ?, NOTES = ? WHERE ID = ?",
                    Math.Round((decimal)random.NextDouble() * 50m, 2), $"Passage à l'accueil du club {siteNumber}", members[random.Next(members.Count)]);
            }
            foreach (var id in options.ConflictMemberIds)
            {
                updated += connection.Execute(tx, "UPDATE MEMBERS SET BALANCE = ?, NOTES = ? WHERE ID = ?",
                    Math.Round((decimal)random.NextDouble() * 1000m, 2), $"Modifié au club {siteNumber} le {DateTime.Now.ToString("s", CultureInfo.InvariantCulture)}", id);
            }
            connection.Execute(tx, "UPDATE OR INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?) MATCHING (WORKSTATION)",
                $"POS{siteNumber}-1", "printer=EPSON TM-T20;drawer=" + random.Next(1, 3).ToString(CultureInfo.InvariantCulture));
            tx.Commit();
        }
        var ownSales = Ids(connection, $"SELECT ID FROM SALES WHERE ID BETWEEN {keyLow} AND {keyLow + 999_999_999L}");
        for (var i = 0; i < options.SaleDeletes && ownSales.Count > 0; i++)
        {
            var sale = ownSales[random.Next(ownSales.Count)];
            ownSales.Remove(sale);
            using var tx = connection.BeginTransaction();
            deleted += connection.Execute(tx, "DELETE FROM PAYMENTS WHERE SALE_ID = ?", sale);
            deleted += connection.Execute(tx, "DELETE FROM SALE_LINES WHERE SALE_ID = ?", sale);
            deleted += connection.Execute(tx, "DELETE FROM SALES WHERE ID = ?", sale);
            tx.Commit();
        }
        return new BusinessDaySummary(inserted, updated, deleted);
    }

    internal static int AddSale(FbConnection connection, FbTransaction tx, long member, Random random)
    {
        var sale = Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT GEN_ID(GEN_SALES, 1) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        var lines = 1 + random.Next(3);
        decimal total = 0;
        var rows = 0;
        for (short line = 1; line <= lines; line++)
        {
            var price = Math.Round((decimal)random.NextDouble() * 30m + 1m, 4);
            var qty = 1 + random.Next(3);
            total += price * qty;
            if (line == 1) rows += connection.Execute(tx, "INSERT INTO SALES (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, CURRENT_TIMESTAMP, 0)", sale, member);
            rows += connection.Execute(tx, "INSERT INTO SALE_LINES (SALE_ID, LINE_NO, PRODUCT, QTY, UNIT_PRICE) VALUES (?, ?, ?, ?, ?)",
                sale, line, SampleData.Products[random.Next(SampleData.Products.Length)], qty, price);
        }
        total = Math.Round(total, 2);
        connection.Execute(tx, "UPDATE SALES SET TOTAL = ? WHERE ID = ?", total, sale);
        rows += connection.Execute(tx, "INSERT INTO PAYMENTS (ID, SALE_ID, PAID_AT, AMOUNT, METHOD) VALUES (GEN_ID(GEN_PAYMENTS, 1), ?, CURRENT_TIMESTAMP, ?, ?)", sale, total, random.Next(2) == 0 ? "CB" : "ESP");
        rows += connection.Execute(tx, "INSERT INTO \"Accounting Entries\" (ID, ENTRY_DATE, ENTRY_TIME, ACCOUNT, DEBIT, CREDIT, LABEL) VALUES (GEN_ID(GEN_ACCOUNTING, 1), CURRENT_DATE, CURRENT_TIME, '706000', 0, ?, ?)",
            total, $"Vente n° {sale} — encaissée");
        return rows;
    }

    private static List<long> Ids(FbConnection connection, string sql)
    {
        var ids = new List<long>();
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        using var command = connection.Prepare(tx, sql);
        using var reader = command.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }
}
