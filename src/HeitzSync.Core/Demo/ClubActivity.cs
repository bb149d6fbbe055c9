namespace HeitzSync.Core.Demo;

/// <summary>
/// The writes the club's software makes (front desk, gates, till, accounting), shared by the seed and the business
/// day. Every value comes from the given Random and dates, never from the clock, so a seed replays identically.
/// Times are whole multiples of 100 µs, Firebird's TIME/TIMESTAMP precision, so what is written is what is stored.
/// </summary>
internal static class ClubActivity
{
    // Within WIN1252 on purpose (ë, ñ, œ, Ø...): the names must come back byte for byte from every site.
    internal static readonly string[] FirstNames = { "Hélène", "Françoise", "José", "Zoë", "Jérôme", "Anaïs", "Gaël", "Mélanie", "Noël", "Chloé", "Björn", "Agnès", "Maël", "Cécile" };
    internal static readonly string[] LastNames = { "Lefèvre", "Müller", "Nuñez", "Brontë", "Dupré", "Garçon", "Bœuf", "Ørsted", "Lemaître", "Citroën", "Fabrégas", "Pérez", "Œhler", "Façade" };

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

    /// <summary>The reference rows every site holds identically, under the same keys.</summary>
    internal static readonly (string Code, string Label, decimal Price, short Months)[] SubscriptionTypes =
    {
        ("MONTH", "Abonnement mensuel", 45.00m, 1),
        ("QUARTER", "Abonnement trimestriel", 125.00m, 3),
        ("YEAR", "Abonnement annuel", 420.00m, 12),
        ("STUDENT", "Étudiant (mensuel)", 29.90m, 1),
        ("FAMILY", "Famille (4 pers.), annuel", 990.00m, 12),
    };

    private const string InsertMember =
        "INSERT INTO MEMBERS (ID, FIRST_NAME, LAST_NAME, EMAIL, BIRTH_DATE, PHOTO, NOTES, SPONSOR_ID, CREATED_AT, ACTIVE, BALANCE) " +
        "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ID";

    /// <summary>A new member; the business trigger numbers it from GEN_MEMBERS (the ID is left NULL).</summary>
    public static long EnrolMember(BusinessTransaction work, Random random, int siteNumber, DateTime createdAt, long? sponsor, int photoBytes)
    {
        var first = Pick(random, FirstNames);
        var last = Pick(random, LastNames);
        var email = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}.{random.Next(10_000)}@club{siteNumber}.example";
        var birth = new DateTime(1950 + random.Next(55), 1 + random.Next(12), 1 + random.Next(28));
        byte[]? photo = null;
        if (photoBytes > 0)
        {
            photo = new byte[photoBytes];
            random.NextBytes(photo);
        }
        var notes = random.Next(3) == 0 ? null : Pick(random, Notes);
        var active = random.Next(10) > 0;
        var balance = Money(random, 200m);
        return work.InsertReturningId("MEMBERS", InsertMember, first, last, email, birth, photo, notes, sponsor, createdAt, active, balance);
    }

    public static void Subscribe(BusinessTransaction work, Random random, long member, DateTime start)
    {
        var type = Pick(random, SubscriptionTypes);
        work.Insert("SUBSCRIPTIONS",
            "INSERT INTO SUBSCRIPTIONS (ID, MEMBER_ID, TYPE_CODE, START_DATE, END_DATE, AMOUNT) VALUES (GEN_ID(GEN_SUBSCRIPTIONS, 1), ?, ?, ?, ?, ?)",
            member, type.Code, start.Date, start.Date.AddMonths(type.Months).AddDays(-1), type.Price);
    }

    public static void Enter(BusinessTransaction work, Random random, long member, DateTime at) =>
        work.Insert("ENTRIES", "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (GEN_ID(GEN_ENTRIES, 1), ?, ?, ?)",
            member, at, (short)(1 + random.Next(3)));

    /// <summary>A sale as the till writes it: the sale, its lines, its payment(s), its accounting entries. Returns the total.</summary>
    public static decimal RecordSale(BusinessTransaction work, Random random, long? member, DateTime soldAt)
    {
        var sale = work.NextKey("GEN_SALES");
        var lines = new List<(string Product, int Quantity, decimal Price)>();
        for (var i = 1 + random.Next(3); i > 0; i--)
        {
            var product = Pick(random, Products);
            lines.Add((product.Name, 1 + random.Next(3), product.Price));
        }
        var total = Math.Round(lines.Sum(l => l.Quantity * l.Price), 2, MidpointRounding.AwayFromZero);
        work.Insert("SALES", "INSERT INTO SALES (ID, MEMBER_ID, SOLD_AT, TOTAL) VALUES (?, ?, ?, ?)", sale, member, soldAt, total);
        short lineNo = 0;
        foreach (var line in lines)
        {
            work.Insert("SALE_LINES", "INSERT INTO SALE_LINES (SALE_ID, LINE_NO, PRODUCT, QTY, UNIT_PRICE) VALUES (?, ?, ?, ?, ?)",
                sale, ++lineNo, line.Product, line.Quantity, line.Price);
        }
        var payments = total > 10m && random.Next(4) == 0
            ? new[] { ("ESP", Math.Round(total / 2, 2, MidpointRounding.AwayFromZero)), ("CB", total - Math.Round(total / 2, 2, MidpointRounding.AwayFromZero)) }
            : new[] { (Pick(random, new[] { "CB", "ESP", "CHQ" }), total) };
        var paidAt = soldAt.AddTicks(TimeSpan.TicksPerSecond * (5 + random.Next(90)));
        foreach (var (method, amount) in payments)
        {
            work.Insert("PAYMENTS", "INSERT INTO PAYMENTS (ID, SALE_ID, PAID_AT, AMOUNT, METHOD) VALUES (GEN_ID(GEN_PAYMENTS, 1), ?, ?, ?, ?)",
                sale, paidAt, amount, method);
            Account(work, paidAt, method == "ESP" ? "530000" : "512000", amount, 0m, $"Encaissement {method.Trim()} vente n° {sale}");
        }
        Account(work, soldAt, "706000", 0m, total, $"Vente n° {sale} — {lines[0].Product}");
        return total;
    }

    /// <summary>One line in "Accounting Entries".</summary>
    public static void Account(BusinessTransaction work, DateTime at, string account, decimal debit, decimal credit, string label) =>
        work.Insert("Accounting Entries",
            $"INSERT INTO {SampleSchema.AccountingEntries} (ID, ENTRY_DATE, ENTRY_TIME, ACCOUNT, DEBIT, CREDIT, LABEL) VALUES (GEN_ID(GEN_ACCOUNTING, 1), ?, ?, ?, ?, ?, ?)",
            at.Date, at.TimeOfDay, account, debit, credit, label);

    /// <summary>A moment of <paramref name="day"/> during opening hours (7:00–22:00), to the 100 µs.</summary>
    public static DateTime During(Random random, DateTime day) =>
        day.Date.AddHours(7).AddTicks(random.Next(15 * 3600 * 10_000) * 1_000L);

    /// <summary>A day between two dates (inclusive).</summary>
    public static DateTime Between(Random random, DateTime from, DateTime to) =>
        from.Date.AddDays(random.Next((int)(to.Date - from.Date).TotalDays + 1));

    public static decimal Money(Random random, decimal max) => Math.Round((decimal)random.NextDouble() * max, 2, MidpointRounding.AwayFromZero);

    public static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
