using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;
using Touch = HeitzSync.Customer.Tests.Chain.EditLedger.Touch;

namespace HeitzSync.Customer.Tests.Chain;

/// <summary>
/// What the clubs' and shops' software does during a day, as its users would, each business transaction recorded in
/// the <see cref="EditLedger"/>: members join (sponsored by another member), take a subscription, enter; the tills
/// sell (the stock trigger takes each line out, the till logs the sale); sales and subscriptions are cancelled;
/// balances, names, prices and labels change. Text is accented WIN1252.
/// </summary>
public sealed class ClubBusiness
{
    private readonly EditLedger _ledger;

    public ClubBusiness(EditLedger ledger) => _ledger = ledger;

    /// <summary>Members nobody may refer to (a member whose delete a test sets up, trial members to be deleted).</summary>
    public HashSet<int> Unreferenced { get; } = new();

    public int AddMember(ChainNode node, FbConnection connection, string name, int? sponsor, string why, bool ordered = true)
    {
        var id = 0;
        _ledger.Write(node, connection, tx =>
        {
            id = NextValue(connection, tx, "GEN_MEMBER");
            connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, SPONSOR_ID, BALANCE) VALUES (?, ?, ?, ?)", id, CustomerSchema.Win1252(name), sponsor, 0m);
            return new[] { new Touch("MEMBER", new object[] { id }, EditKind.Insert, why) };
        }, ordered);
        return id;
    }

    public int AddSubscription(ChainNode node, FbConnection connection, int member, string kind, DateTime starts)
    {
        var id = 0;
        _ledger.Write(node, connection, tx =>
        {
            id = NextValue(connection, tx, "GEN_SUBSCRIPTION");
            connection.Execute(tx, "INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND, STARTS) VALUES (?, ?, ?, ?)", id, member, CustomerSchema.Win1252(kind), starts.Date);
            return new[] { new Touch("SUBSCRIPTION", new object[] { id }, EditKind.Insert, $"subscription of {member}") };
        });
        return id;
    }

    public void DeleteSubscription(ChainNode node, FbConnection connection, int id) =>
        _ledger.Write(node, connection, tx =>
        {
            connection.Execute(tx, "DELETE FROM SUBSCRIPTION WHERE ID = ?", id);
            return new[] { new Touch("SUBSCRIPTION", new object[] { id }, EditKind.Delete, "subscription cancelled") };
        });

    public int AddEntry(ChainNode node, FbConnection connection, int member, short gate)
    {
        var id = 0;
        _ledger.Write(node, connection, tx =>
        {
            id = NextValue(connection, tx, "GEN_ENTRY");
            connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, CURRENT_TIMESTAMP, ?)", id, member, gate);
            return new[] { new Touch("ENTRY", new object[] { id }, EditKind.Insert, $"member {member} enters") };
        });
        return id;
    }

    public Edit UpdateMember(ChainNode node, FbConnection connection, int member, string? name = null, decimal? balance = null, int? sponsor = null, string why = "member edited") =>
        _ledger.Write(node, connection, tx =>
        {
            var sets = new List<string>();
            var values = new List<object?>();
            if (name is not null) { sets.Add("NAME = ?"); values.Add(CustomerSchema.Win1252(name)); }
            if (balance is not null) { sets.Add("BALANCE = ?"); values.Add(balance); }
            if (sponsor is not null) { sets.Add("SPONSOR_ID = ?"); values.Add(sponsor); }
            values.Add(member);
            var changed = connection.Execute(tx, $"UPDATE MEMBER SET {string.Join(", ", sets)} WHERE ID = ?", values.ToArray());
            if (changed != 1) throw new InvalidOperationException($"member {member} is not at {node}");
            return new[] { new Touch("MEMBER", new object[] { member }, EditKind.Update, why) };
        }).Single();

    /// <summary>Deletes a member; its subscriptions go with it (ON DELETE CASCADE), recorded as the cascade's deletes.</summary>
    public Edit DeleteMember(ChainNode node, FbConnection connection, int member, string why) =>
        _ledger.Write(node, connection, tx =>
        {
            var subscriptions = Ids(connection, tx, "SELECT ID FROM SUBSCRIPTION WHERE MEMBER_ID = ?", member);
            connection.Execute(tx, "DELETE FROM MEMBER WHERE ID = ?", member);
            return subscriptions.Select(s => new Touch("SUBSCRIPTION", new object[] { s }, EditKind.Delete, $"cascade of member {member}", $"MEMBER {member}"))
                .Prepend(new Touch("MEMBER", new object[] { member }, EditKind.Delete, why)).ToList();
        }).First();

    /// <summary>A sale at the till: one transaction, one line per (article, quantity); the stock trigger takes each line out of its article.</summary>
    public int Sell(ChainNode node, FbConnection connection, int? member, IReadOnlyList<(int Article, int Quantity)> lines, bool ordered = true)
    {
        var id = 0;
        _ledger.Write(node, connection, tx =>
        {
            id = NextValue(connection, tx, "GEN_SALE");
            connection.Execute(tx, "INSERT INTO SALE (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, CURRENT_TIMESTAMP, ?)", id, member, 9.90m * lines.Sum(l => l.Quantity));
            var touched = new List<Touch> { new("SALE", new object[] { id }, EditKind.Insert, "sale") };
            for (var i = 0; i < lines.Count; i++)
            {
                connection.Execute(tx, "INSERT INTO SALE_LINE (SALE_ID, LINE_NO, ARTICLE_ID, QTY, PRICE) VALUES (?, ?, ?, ?, 9.90)", id, (short)(i + 1), lines[i].Article, lines[i].Quantity);
                touched.Add(new Touch("SALE_LINE", new object[] { id, (short)(i + 1) }, EditKind.Insert, $"line of sale {id}"));
            }
            touched.AddRange(lines.Select(l => l.Article).Distinct().Select(a => new Touch("ARTICLE", new object[] { a }, EditKind.Update, $"stock out by sale {id}")));
            return touched;
        }, ordered);
        return id;
    }

    /// <summary>Cancels a sale: its lines go with it (ON DELETE CASCADE) and the stock trigger gives their quantities back.</summary>
    public void DeleteSale(ChainNode node, FbConnection connection, int sale) =>
        _ledger.Write(node, connection, tx =>
        {
            var lines = new List<(short Line, int Article)>();
            using (var command = connection.Prepare(tx, "SELECT LINE_NO, ARTICLE_ID FROM SALE_LINE WHERE SALE_ID = ?"))
            using (var reader = command.ExecuteReader(sale))
            {
                while (reader.Read()) lines.Add((reader.GetInt16(0), reader.GetInt32(1)));
            }
            if (connection.Execute(tx, "DELETE FROM SALE WHERE ID = ?", sale) != 1) throw new InvalidOperationException($"sale {sale} is not at {node}");
            return lines.Select(l => new Touch("SALE_LINE", new object[] { sale, l.Line }, EditKind.Delete, $"cascade of sale {sale}", $"SALE {sale}"))
                .Prepend(new Touch("SALE", new object[] { sale }, EditKind.Delete, "sale cancelled"))
                .Concat(lines.Select(l => l.Article).Distinct().Select(a => new Touch("ARTICLE", new object[] { a }, EditKind.Update, $"stock back from sale {sale}")))
                .ToList();
        });

    public void UpdateArticle(ChainNode node, FbConnection connection, int article, decimal? price = null, string? label = null, string why = "article edited") =>
        _ledger.Write(node, connection, tx =>
        {
            if (price is not null) connection.Execute(tx, "UPDATE ARTICLE SET PRICE = ? WHERE ID = ?", price, article);
            if (label is not null) connection.Execute(tx, "UPDATE ARTICLE SET LABEL = ? WHERE ID = ?", CustomerSchema.Win1252(label), article);
            return new[] { new Touch("ARTICLE", new object[] { article }, EditKind.Update, why) };
        });

    /// <summary>The members present at this node that anyone may refer to (sponsor, entry, sale).</summary>
    public IReadOnlyList<int> ReferableMembers(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Ids(connection, tx, "SELECT ID FROM MEMBER ORDER BY ID").Where(id => !Unreferenced.Contains(id)).ToList();
    }

    public static IReadOnlyList<int> Articles(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Ids(connection, tx, "SELECT ID FROM ARTICLE ORDER BY ID");
    }

    private static int NextValue(FbConnection connection, FbTransaction tx, string generator) =>
        Convert.ToInt32(connection.ExecuteScalar(tx, $"SELECT NEXT VALUE FOR {generator} FROM RDB$DATABASE"));

    private static List<int> Ids(FbConnection connection, FbTransaction tx, string sql, params object?[] parameters)
    {
        var ids = new List<int>();
        using var command = connection.Prepare(tx, sql);
        using var reader = command.ExecuteReader(parameters);
        while (reader.Read()) ids.Add(reader.GetInt32(0));
        return ids;
    }
}
