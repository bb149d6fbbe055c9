using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>One INSERT of the sample schema (src/HeitzSync.Core/Demo/SampleSchema.cs), every column given.</summary>
internal sealed record TableInsert(string Table, string Sql)
{
    public static readonly TableInsert Members = new("MEMBERS",
        "INSERT INTO MEMBERS (ID, FIRST_NAME, LAST_NAME, EMAIL, BIRTH_DATE, PHOTO, NOTES, SPONSOR_ID, CREATED_AT, ACTIVE, BALANCE) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    public static readonly TableInsert SubscriptionTypes = new("SUBSCRIPTION_TYPES",
        "INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES (?, ?, ?, ?)");
    public static readonly TableInsert Subscriptions = new("SUBSCRIPTIONS",
        "INSERT INTO SUBSCRIPTIONS (ID, MEMBER_ID, TYPE_CODE, START_DATE, END_DATE, AMOUNT) VALUES (?, ?, ?, ?, ?, ?)");
    public static readonly TableInsert Entries = new("ENTRIES",
        "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (?, ?, ?, ?)");
    public static readonly TableInsert Sales = new("SALES",
        "INSERT INTO SALES (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, ?, ?)");
    public static readonly TableInsert SaleLines = new("SALE_LINES",
        "INSERT INTO SALE_LINES (SALE_ID, LINE_NO, PRODUCT, QTY, UNIT_PRICE) VALUES (?, ?, ?, ?, ?)");
    public static readonly TableInsert Payments = new("PAYMENTS",
        "INSERT INTO PAYMENTS (ID, SALE_ID, PAID_AT, AMOUNT, METHOD) VALUES (?, ?, ?, ?, ?)");
    public static readonly TableInsert Accounting = new("Accounting Entries",
        "INSERT INTO \"Accounting Entries\" (ID, ENTRY_DATE, ENTRY_TIME, ACCOUNT, DEBIT, CREDIT, LABEL) VALUES (?, ?, ?, ?, ?, ?, ?)");
}

/// <summary>One row to insert.</summary>
internal readonly record struct Row(TableInsert Insert, object?[] Values);

/// <summary>
/// How much club activity to generate, counted in members, entries and sales; subscriptions (3 in 4 members), sale
/// lines (1–4 per sale, 2.5 on average), payments (1, one sale in 8 paid in two) and accounting entries (one per sale
/// and one per payment) follow. The proportions are those of the database: 200k members, 2M entries, 500k sale
/// lines (so 200k sales) for the whole chain at scale 1, about 3.7M rows in all.
/// </summary>
internal sealed record ActivityPlan(int Members, int Entries, int Sales)
{
    /// <summary>Rows per member, entry and sale at the proportions (20 : 200 : 20 out of about 370).</summary>
    public const double RowsPerUnit = 370.0;

    /// <summary>One club's history in a chain of <paramref name="clubs"/> clubs at the given scale.</summary>
    public static ActivityPlan ClubHistory(double scale, int clubs) => new(
        (int)Math.Round(200_000 * scale / clubs), (int)Math.Round(2_000_000 * scale / clubs), (int)Math.Round(200_000 * scale / clubs));

    /// <summary>About <paramref name="rows"/> rows of new activity in the same proportions.</summary>
    public static ActivityPlan ForRows(long rows) => new(
        (int)Math.Round(rows * 20 / RowsPerUnit), (int)Math.Round(rows * 200 / RowsPerUnit), (int)Math.Round(rows * 20 / RowsPerUnit));
}

/// <summary>The next key per table, in one site's key range.</summary>
internal sealed class KeyCursor
{
    private readonly Dictionary<string, long> _next = new(StringComparer.Ordinal);
    private readonly long _start;

    public KeyCursor(long start) => _start = start;

    public void StartAt(string table, long first) => _next[table] = first;

    public long Next(string table)
    {
        var key = _next.TryGetValue(table, out var next) ? next : _start;
        _next[table] = key + 1;
        return key;
    }
}

/// <summary>
/// A club's activity as rows, parents before children, all keys from a <see cref="KeyCursor"/> (the club's own range).
/// Same arguments and seed, same rows: the apply-rate benchmark inserts the very rows a site sent, by a plain loop.
/// Text is accented (WIN1252 columns); one member in ten has a photo of 2–6 KB of random bytes (incompressible, as a
/// JPEG thumbnail), one in three a note.
/// </summary>
internal static class ClubRows
{
    internal static readonly string[] FirstNames = { "Hélène", "Françoise", "José", "Zoë", "Jérôme", "Anaïs", "Gaël", "Mélanie", "Noël", "Chloé", "Björn", "Agnès", "Maël", "Cécile", "Loïc", "Inès" };
    internal static readonly string[] LastNames = { "Lefèvre", "Müller", "Nuñez", "Brontë", "Dupré", "Garçon", "Bœuf", "Ørsted", "Lemaître", "Citroën", "Fabrégas", "Pérez", "Œhler", "Façade", "Martin", "Bernard" };
    internal static readonly (string Name, decimal Price)[] Products =
    {
        ("Crème brûlée protéinée", 3.9000m), ("Boisson énergétique", 2.5000m), ("Serviette éponge", 12.0000m), ("Cadenas à code", 7.9900m),
        ("Café serré", 1.2000m), ("Barre protéinée", 2.7500m), ("Bouteille d'eau 50 cl", 0.9500m), ("Séance coaching (½ h)", 22.5000m),
    };
    internal static readonly string[] Notes =
    {
        "Préfère le créneau du matin — allergie aux arachides.",
        "Certificat médical reçu ; à renouveler en début de saison.",
        "Parrainage : réduction de 10 € accordée sur l'abonnement.",
        "Demande une facture au nom de l'employeur « Société Générale ».",
        "Casier n° 42 attribué.",
    };
    internal static readonly (string Code, string Label, decimal Price, short Months)[] SubscriptionTypes =
    {
        ("MONTH", "Abonnement mensuel", 45.00m, 1), ("QUARTER", "Abonnement trimestriel", 125.00m, 3), ("YEAR", "Abonnement annuel", 420.00m, 12),
        ("STUDENT", "Étudiant (mensuel)", 29.90m, 1), ("FAMILY", "Famille (4 pers.), annuel", 990.00m, 12),
    };
    private static readonly string[] Methods = { "CB ", "ESP", "CHQ" };

    public static IEnumerable<Row> ReferenceRows() =>
        SubscriptionTypes.Select(t => new Row(TableInsert.SubscriptionTypes, new object?[] { t.Code, t.Label, t.Price, t.Months }));

    /// <param name="knownMembers">Members that already exist and that entries and sales may name (besides the new ones).</param>
    public static IEnumerable<Row> Generate(int club, ActivityPlan plan, KeyCursor keys, IReadOnlyList<long> knownMembers, Random random, DateTime from, DateTime to)
    {
        var members = new List<long>(knownMembers.Count + plan.Members);
        members.AddRange(knownMembers);
        for (var i = 0; i < plan.Members; i++)
        {
            var id = keys.Next("MEMBERS");
            var createdAt = Moment(random, from, to);
            long? sponsor = members.Count > 3 && random.Next(4) == 0 ? Pick(random, members) : null;
            var first = Pick(random, FirstNames);
            var last = Pick(random, LastNames);
            byte[]? photo = null;
            if (random.Next(10) == 0)
            {
                photo = new byte[2_000 + random.Next(4_000)];
                random.NextBytes(photo);
            }
            yield return new Row(TableInsert.Members, new object?[]
            {
                id, first, last, $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}.{id % 100_000}@club{club}.example",
                new DateTime(1950 + random.Next(55), 1 + random.Next(12), 1 + random.Next(28)), photo,
                random.Next(3) == 0 ? Pick(random, Notes) : null, sponsor, createdAt, random.Next(10) > 0, Money(random, 200m),
            });
            members.Add(id);
            if (random.Next(4) != 0)
            {
                var type = Pick(random, SubscriptionTypes);
                yield return new Row(TableInsert.Subscriptions, new object?[]
                {
                    keys.Next("SUBSCRIPTIONS"), id, type.Code, createdAt.Date, createdAt.Date.AddMonths(type.Months).AddDays(-1), type.Price,
                });
            }
        }
        if (members.Count == 0) yield break;
        for (var i = 0; i < plan.Entries; i++)
        {
            yield return new Row(TableInsert.Entries, new object?[] { keys.Next("ENTRIES"), Pick(random, members), Moment(random, from, to), (short)(1 + random.Next(3)) });
        }
        for (var i = 0; i < plan.Sales; i++)
        {
            foreach (var row in Sale(club, keys, members, random, Moment(random, from, to)))
            {
                yield return row;
            }
        }
    }

    /// <summary>A sale as the till writes it: the sale, its lines, its payment(s), its accounting entries.</summary>
    private static IEnumerable<Row> Sale(int club, KeyCursor keys, List<long> members, Random random, DateTime soldAt)
    {
        var sale = keys.Next("SALES");
        var lines = new (string Product, int Quantity, decimal Price)[1 + random.Next(4)];
        for (var i = 0; i < lines.Length; i++)
        {
            var product = Pick(random, Products);
            lines[i] = (product.Name, 1 + random.Next(3), product.Price);
        }
        var total = Math.Round(lines.Sum(l => l.Quantity * l.Price), 2, MidpointRounding.AwayFromZero);
        long? buyer = random.Next(6) == 0 ? null : Pick(random, members);
        yield return new Row(TableInsert.Sales, new object?[] { sale, buyer, soldAt, total });
        for (var i = 0; i < lines.Length; i++)
        {
            yield return new Row(TableInsert.SaleLines, new object?[] { sale, (short)(i + 1), lines[i].Product, lines[i].Quantity, lines[i].Price });
        }
        var half = Math.Round(total / 2, 2, MidpointRounding.AwayFromZero);
        var payments = random.Next(8) == 0 ? new[] { ("ESP", half), ("CB ", total - half) } : new[] { (Pick(random, Methods), total) };
        var paidAt = soldAt.AddSeconds(5 + random.Next(90));
        foreach (var (method, amount) in payments)
        {
            yield return new Row(TableInsert.Payments, new object?[] { keys.Next("PAYMENTS"), sale, paidAt, amount, method });
            yield return Account(keys, paidAt, method == "ESP" ? "530000" : "512000", amount, 0m, $"Encaissement {method.Trim()} vente n° {sale}");
        }
        yield return Account(keys, soldAt, "706000", 0m, total, $"Vente n° {sale} — club {club}");
    }

    private static Row Account(KeyCursor keys, DateTime at, string account, decimal debit, decimal credit, string label) =>
        new(TableInsert.Accounting, new object?[] { keys.Next("Accounting Entries"), at.Date, at.TimeOfDay, account, debit, credit, label });

    /// <summary>A moment between two days during opening hours, to the second.</summary>
    public static DateTime Moment(Random random, DateTime from, DateTime to) =>
        from.Date.AddDays(random.Next((int)(to.Date - from.Date).TotalDays + 1)).AddHours(7).AddSeconds(random.Next(15 * 3600));

    public static decimal Money(Random random, decimal max) => Math.Round((decimal)random.NextDouble() * max, 2, MidpointRounding.AwayFromZero);

    public static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}

/// <summary>Inserts rows through statements prepared once per table, all in one transaction until <see cref="Commit"/>.</summary>
internal sealed class RowWriter : IDisposable
{
    private readonly FbConnection _connection;
    private readonly Dictionary<TableInsert, FbCommand> _prepared = new();
    private FbTransaction? _transaction;

    public RowWriter(FbConnection connection) => _connection = connection;

    public long Rows { get; private set; }

    public Dictionary<string, long> PerTable { get; } = new(StringComparer.Ordinal);

    public void Write(Row row)
    {
        _transaction ??= _connection.BeginTransaction();
        if (!_prepared.TryGetValue(row.Insert, out var command))
        {
            command = _connection.Prepare(_transaction, row.Insert.Sql);
            _prepared[row.Insert] = command;
        }
        command.ExecuteNonQuery(row.Values);
        Rows++;
        PerTable[row.Insert.Table] = PerTable.TryGetValue(row.Insert.Table, out var n) ? n + 1 : 1;
    }

    public void WriteAll(IEnumerable<Row> rows)
    {
        foreach (var row in rows) Write(row);
    }

    public void Commit()
    {
        DisposeCommands();
        _transaction?.Commit();
        _transaction = null;
    }

    private void DisposeCommands()
    {
        foreach (var command in _prepared.Values) command.Dispose();
        _prepared.Clear();
    }

    public void Dispose()
    {
        DisposeCommands();
        _transaction?.Dispose();
    }
}
