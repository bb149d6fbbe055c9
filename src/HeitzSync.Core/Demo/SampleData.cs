using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>Years of data of a site's own (keys in its own range), plus the reference rows every site holds alike.</summary>
public static class SampleData
{
    internal static readonly string[] FirstNames = { "Hélène", "Françoise", "José", "Zoë", "Jérôme", "Anaïs", "Gaël", "Mélanie", "Noël", "Chloé", "Björn", "Agnès" };
    internal static readonly string[] LastNames = { "Lefèvre", "Müller", "Nuñez", "Brontë", "Dupré", "Garçon", "Bœuf", "Ørsted", "Lemaître", "Citroën", "Fabrégas", "Pérez" };
    internal static readonly string[] Products = { "Crème brûlée", "Boisson énergétique", "Serviette", "Cadenas", "Café", "Barre protéinée", "Bouteille d'eau" };

    public static void SeedExisting(FbConnection connection, int siteNumber, long keyLow, int members, Random random)
    {
        // A site that has worked for years has its generators inside its own range, past its own rows.
        foreach (var generator in new[] { "GEN_MEMBERS", "GEN_SUBSCRIPTIONS", "GEN_ENTRIES", "GEN_SALES", "GEN_PAYMENTS", "GEN_ACCOUNTING" })
        {
            connection.ExecuteInNewTransaction($"ALTER SEQUENCE {generator} RESTART WITH {keyLow}");
        }
        using var tx = connection.BeginTransaction();
        foreach (var (code, label, price, months) in new[] { ("MONTH", "Abonnement mensuel", 45.00m, (short)1), ("YEAR", "Abonnement annuel", 420.00m, (short)12), ("STUDENT", "Étudiant", 29.90m, (short)1), ("FAMILY", "Famille (4 pers.)", 990.00m, (short)12) })
        {
            connection.Execute(tx, "INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES (?, ?, ?, ?)", code, label, price, months);
        }
        using (var insertMember = connection.Prepare(tx,
                   "INSERT INTO MEMBERS (ID, FIRST_NAME, LAST_NAME, EMAIL, BIRTH_DATE, PHOTO, NOTES, SPONSOR_ID, CREATED_AT, ACTIVE, BALANCE) VALUES (GEN_ID(GEN_MEMBERS, 1), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ID"))
        {
            var ids = new List<long>();
            for (var i = 0; i < members; i++)
            {
                var first = FirstNames[random.Next(FirstNames.Length)];
                var last = LastNames[random.Next(LastNames.Length)];
                byte[]? photo = null;
                if (i % 5 == 0)
                {
                    photo = new byte[i % 50 == 0 ? 100_000 : 2_000];
                    random.NextBytes(photo);
                }
                long? sponsor = ids.Count > 3 && i % 4 == 0 ? ids[random.Next(ids.Count)] : null;
                using var reader = insertMember.ExecuteReader(first, last, $"{first.ToLowerInvariant()}.{i}@club{siteNumber}.example", new DateTime(1960 + random.Next(45), 1 + random.Next(12), 1 + random.Next(28)),
                    photo, $"Membre depuis {2010 + random.Next(14)} — préfère le créneau du matin.", sponsor,
                    new DateTime(2015 + random.Next(9), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60)),
                    random.Next(10) > 0, Math.Round((decimal)random.NextDouble() * 200m, 2));
                reader.Read();
                ids.Add(reader.GetInt64(0));
            }
            foreach (var member in ids)
            {
                if (random.Next(2) == 0)
                {
                    var start = new DateTime(2024, 1 + random.Next(12), 1);
                    connection.Execute(tx, "INSERT INTO SUBSCRIPTIONS (ID, MEMBER_ID, TYPE_CODE, START_DATE, END_DATE, AMOUNT) VALUES (GEN_ID(GEN_SUBSCRIPTIONS, 1), ?, ?, ?, ?, ?)",
                        member, "YEAR", start, start.AddYears(1), 420.00m);
                }
                for (var e = 0; e < 3; e++)
                {
                    connection.Execute(tx, "INSERT INTO ENTRIES (ID, MEMBER_ID, ENTERED_AT, GATE) VALUES (GEN_ID(GEN_ENTRIES, 1), ?, ?, ?)",
                        member, new DateTime(2025, 1 + random.Next(12), 1 + random.Next(28), 6 + random.Next(16), random.Next(60), random.Next(60)), (short)(1 + random.Next(3)));
                }
            }
            for (var s = 0; s < members / 2; s++)
            {
                BusinessDay.AddSale(connection, tx, ids[random.Next(ids.Count)], random);
            }
        }
        connection.Execute(tx, "INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?)", $"POS{siteNumber}-1", "printer=EPSON TM-T20;drawer=1");
        connection.Execute(tx, "INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?)", $"POS{siteNumber}-2", "printer=none");
        tx.Commit();
    }
}
