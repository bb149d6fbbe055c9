using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>
/// Years of data of a site's own, as a club has before it joins HeitzSync: members (accented names, photos, a few of
/// about 100 KB, notes, sponsors), subscriptions, entries, sales with lines and payments, accounting entries, all
/// keyed in the site's own range (keyLow + n); plus the subscription types every site holds identically, and
/// workstation settings that differ per site. The same arguments and Random seed always give the same rows.
/// </summary>
public static class SampleData
{
    public const int DefaultMembers = 200;

    private static readonly DateTime HistoryStart = new(2019, 1, 1);
    private static readonly DateTime HistoryEnd = new(2025, 12, 31);

    /// <summary>Seeds <see cref="DefaultMembers"/> members and their history.</summary>
    public static ActivitySummary SeedExisting(FbConnection connection, int siteNumber, long keyLow, Random random) =>
        SeedExisting(connection, siteNumber, keyLow, DefaultMembers, random);

    /// <summary>
    /// Seeds a database made by <see cref="SampleSchema.Create"/>: moves every generator to <paramref name="keyLow"/>
    /// (the first key is keyLow + 1) and writes <paramref name="members"/> members and their history in one transaction.
    /// </summary>
    public static ActivitySummary SeedExisting(FbConnection connection, int siteNumber, long keyLow, int members, Random random)
    {
        if (connection is null) throw new ArgumentNullException(nameof(connection));
        if (random is null) throw new ArgumentNullException(nameof(random));
        if (members < 0) throw new ArgumentOutOfRangeException(nameof(members), members, "The number of members cannot be negative.");

        // A site that has worked for years has its generators inside its own range, past its own rows.
        foreach (var generator in SampleSchema.Generators)
        {
            connection.ExecuteInNewTransaction($"ALTER SEQUENCE {generator} RESTART WITH {keyLow}");
        }

        var counter = new ActivityCounter();
        using var work = new BusinessTransaction(connection, counter);
        foreach (var (code, label, price, months) in ClubActivity.SubscriptionTypes)
        {
            work.Insert("SUBSCRIPTION_TYPES", "INSERT INTO SUBSCRIPTION_TYPES (CODE, LABEL, PRICE, MONTHS) VALUES (?, ?, ?, ?)", code, label, price, months);
        }

        var ids = new List<long>();
        for (var i = 0; i < members; i++)
        {
            var createdAt = ClubActivity.During(random, ClubActivity.Between(random, HistoryStart, HistoryEnd.AddDays(-30)));
            long? sponsor = ids.Count > 3 && random.Next(4) == 0 ? ClubActivity.Pick(random, ids) : null;
            // One member in five has a photo; one in fifty a large one (about 100 KB), the first one included.
            var photoBytes = i % 50 == 0 ? 100_000 + random.Next(4_000) : i % 5 == 0 ? 2_000 + random.Next(2_000) : 0;
            var member = ClubActivity.EnrolMember(work, random, siteNumber, createdAt, sponsor, photoBytes);
            ids.Add(member);
            if (random.Next(2) == 0)
            {
                ClubActivity.Subscribe(work, random, member, ClubActivity.Between(random, createdAt, HistoryEnd));
            }
            for (var e = random.Next(6); e > 0; e--)
            {
                ClubActivity.Enter(work, random, member, ClubActivity.During(random, ClubActivity.Between(random, createdAt, HistoryEnd)));
            }
        }

        for (var s = 0; s < members / 2; s++)
        {
            // Walk-in customers buy too: a sale without a member.
            long? buyer = ids.Count == 0 || random.Next(6) == 0 ? null : ClubActivity.Pick(random, ids);
            ClubActivity.RecordSale(work, random, buyer, ClubActivity.During(random, ClubActivity.Between(random, HistoryStart, HistoryEnd)));
        }

        for (var month = 0; month < 12; month++)
        {
            var due = HistoryEnd.AddMonths(-11 + month);
            var firstOfMonth = new DateTime(due.Year, due.Month, 1, 9, 0, 0);
            ClubActivity.Account(work, firstOfMonth, "613200", 1_850.00m + 25m * siteNumber, 0m, $"Loyer du club n° {siteNumber} — " + firstOfMonth.ToString("MM'/'yyyy", CultureInfo.InvariantCulture));
        }

        work.Insert("WORKSTATION_SETTINGS", "INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?)",
            $"POS{siteNumber}-1", $"printer=EPSON TM-T20;drawer=1;site={siteNumber}");
        work.Insert("WORKSTATION_SETTINGS", "INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?)",
            $"POS{siteNumber}-2", "printer=none");
        work.Commit();
        return counter.ToSummary();
    }
}
