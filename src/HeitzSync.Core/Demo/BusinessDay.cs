using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Demo;

/// <summary>What one site does during a simulated day, and the deliberate races between sites.</summary>
public sealed record BusinessDayOptions
{
    /// <summary>The date of the day; every time written is on it (the clock is never read, for determinism).</summary>
    public DateTime Day { get; init; } = new(2026, 1, 5);

    public int NewMembers { get; init; } = 4;
    public int Entries { get; init; } = 20;
    public int Sales { get; init; } = 6;

    /// <summary>Random members updated at the front desk (balance and notes, e-mail, photo, active flag).</summary>
    public int MemberUpdates { get; init; } = 5;

    /// <summary>Sales of this site's own (keys in its range) cancelled with their lines and payments.</summary>
    public int SaleDeletes { get; init; } = 1;

    /// <summary>Closes the till at the end of the day: one accounting entry for the day's takings.</summary>
    public bool CloseTill { get; init; } = true;

    /// <summary>Changes a local workstation setting (never synchronised).</summary>
    public bool ChangeWorkstationSettings { get; init; } = true;

    /// <summary>The size of a site's key range; the day only deletes sales keyed in [keyLow, keyLow + size).</summary>
    public long KeyRangeSize { get; init; } = 1_000_000_000;

    /// <summary>Members every site updates (BALANCE and NOTES, a different value per site) on the same day: conflicts.</summary>
    public IReadOnlyList<long> ConflictMemberIds { get; init; } = Array.Empty<long>();

    /// <summary>Members this site updates (e-mail, balance, notes): race them against a delete at another site.</summary>
    public IReadOnlyList<long> UpdateMemberIds { get; init; } = Array.Empty<long>();

    /// <summary>Members this site deletes (their entries and subscriptions first; their sales and sponsored members are detached).</summary>
    public IReadOnlyList<long> DeleteMemberIds { get; init; } = Array.Empty<long>();

    /// <summary>
    /// Members the random activity leaves alone (no entry, sale, sponsorship or random update), as do the members in
    /// <see cref="UpdateMemberIds"/> and <see cref="DeleteMemberIds"/>. Give a race's members here at the sites that
    /// take no part in it, so that the race stays the only thing that touches them.
    /// </summary>
    public IReadOnlyList<long> AvoidMemberIds { get; init; } = Array.Empty<long>();
}

/// <summary>
/// A day of work at one site, in several transactions as the real application commits them: the front desk enrols
/// members (the business trigger numbers them from the site's generator), the gates record entries, the till records
/// sales with lines, payments and accounting entries, the front desk updates members (any member the site holds,
/// those that came from other sites included), a sale or two is cancelled, the till is closed, a workstation setting
/// changes. New keys always come from the generators (which the engine moves into the site's range), never from
/// constants. Given the same database and the same Random seed, the same rows are written.
/// </summary>
public static class BusinessDay
{
    public static ActivitySummary Simulate(FbConnection connection, int siteNumber, long keyLow, Random random, BusinessDayOptions options)
    {
        if (connection is null) throw new ArgumentNullException(nameof(connection));
        if (random is null) throw new ArgumentNullException(nameof(random));
        if (options is null) throw new ArgumentNullException(nameof(options));

        var counter = new ActivityCounter();
        var day = options.Day.Date;
        var leftAlone = new HashSet<long>(options.DeleteMemberIds.Concat(options.UpdateMemberIds).Concat(options.AvoidMemberIds));
        List<long> members;

        // Front desk: new members, each with a first subscription.
        using (var work = new BusinessTransaction(connection, counter))
        {
            members = work.Ids("SELECT ID FROM MEMBERS ORDER BY ID").Where(id => !leftAlone.Contains(id)).ToList();
            for (var i = 0; i < options.NewMembers; i++)
            {
                long? sponsor = members.Count > 0 && random.Next(3) == 0 ? ClubActivity.Pick(random, members) : null;
                var member = ClubActivity.EnrolMember(work, random, siteNumber, ClubActivity.During(random, day), sponsor, random.Next(3) == 0 ? 1_500 : 0);
                ClubActivity.Subscribe(work, random, member, day);
                members.Add(member);
            }
            work.Commit();
        }

        // Gates: the day's entries, committed together by the gate controller.
        if (members.Count > 0 && options.Entries > 0)
        {
            using var work = new BusinessTransaction(connection, counter);
            for (var i = 0; i < options.Entries; i++)
            {
                ClubActivity.Enter(work, random, ClubActivity.Pick(random, members), ClubActivity.During(random, day));
            }
            work.Commit();
        }

        // Till: one transaction per sale.
        var takings = 0m;
        for (var i = 0; i < options.Sales; i++)
        {
            using var work = new BusinessTransaction(connection, counter);
            long? buyer = members.Count == 0 || random.Next(6) == 0 ? null : ClubActivity.Pick(random, members);
            takings += ClubActivity.RecordSale(work, random, buyer, ClubActivity.During(random, day));
            work.Commit();
        }

        // Front desk: random updates, then the deliberate ones.
        if (members.Count > 0 && options.MemberUpdates > 0)
        {
            using var work = new BusinessTransaction(connection, counter);
            for (var i = 0; i < options.MemberUpdates; i++)
            {
                UpdateMember(work, random, siteNumber, day, ClubActivity.Pick(random, members));
            }
            work.Commit();
        }
        if (options.ConflictMemberIds.Count > 0)
        {
            using var work = new BusinessTransaction(connection, counter);
            foreach (var id in options.ConflictMemberIds)
            {
                work.Update("MEMBERS", "UPDATE MEMBERS SET BALANCE = ?, NOTES = ? WHERE ID = ?",
                    siteNumber * 100m + ClubActivity.Money(random, 99m),
                    $"Solde corrigé à l'accueil du club n° {siteNumber} le {Date(day)}.", id);
            }
            work.Commit();
        }
        if (options.UpdateMemberIds.Count > 0)
        {
            using var work = new BusinessTransaction(connection, counter);
            foreach (var id in options.UpdateMemberIds)
            {
                work.Update("MEMBERS", "UPDATE MEMBERS SET EMAIL = ?, BALANCE = BALANCE + ?, NOTES = ? WHERE ID = ?",
                    $"nouvelle.adresse.{id}@club{siteNumber}.example", ClubActivity.Money(random, 50m),
                    $"Coordonnées mises à jour au club n° {siteNumber} le {Date(day)}.", id);
            }
            work.Commit();
        }

        // Cancelled sales: this site's own, never one of a member left alone; children first.
        if (options.SaleDeletes > 0)
        {
            List<long> ownSales;
            using (var work = new BusinessTransaction(connection, counter))
            {
                var notLeftAlone = leftAlone.Count == 0 ? "" : " AND (MEMBER_ID IS NULL OR MEMBER_ID NOT IN (" + MemberList(leftAlone) + "))";
                ownSales = work.Ids("SELECT ID FROM SALES WHERE ID BETWEEN ? AND ?" + notLeftAlone + " ORDER BY ID", keyLow, keyLow + options.KeyRangeSize - 1);
            }
            for (var i = 0; i < options.SaleDeletes && ownSales.Count > 0; i++)
            {
                var sale = ownSales[random.Next(ownSales.Count)];
                ownSales.Remove(sale);
                using var work = new BusinessTransaction(connection, counter);
                work.Delete("PAYMENTS", "DELETE FROM PAYMENTS WHERE SALE_ID = ?", sale);
                work.Delete("SALE_LINES", "DELETE FROM SALE_LINES WHERE SALE_ID = ?", sale);
                work.Delete("SALES", "DELETE FROM SALES WHERE ID = ?", sale);
                work.Commit();
            }
        }

        // Members who leave: one transaction each, dependants first.
        foreach (var id in options.DeleteMemberIds)
        {
            using var work = new BusinessTransaction(connection, counter);
            work.Delete("ENTRIES", "DELETE FROM ENTRIES WHERE MEMBER_ID = ?", id);
            work.Delete("SUBSCRIPTIONS", "DELETE FROM SUBSCRIPTIONS WHERE MEMBER_ID = ?", id);
            work.Update("SALES", "UPDATE SALES SET MEMBER_ID = NULL WHERE MEMBER_ID = ?", id);
            work.Update("MEMBERS", "UPDATE MEMBERS SET SPONSOR_ID = NULL WHERE SPONSOR_ID = ?", id);
            work.Delete("MEMBERS", "DELETE FROM MEMBERS WHERE ID = ?", id);
            work.Commit();
        }

        if (options.CloseTill)
        {
            using var work = new BusinessTransaction(connection, counter);
            ClubActivity.Account(work, day.AddHours(22), "580000", takings, 0m, $"Clôture de caisse du club n° {siteNumber} — {Date(day)}");
            work.Commit();
        }

        if (options.ChangeWorkstationSettings)
        {
            using var work = new BusinessTransaction(connection, counter);
            var workstation = $"POS{siteNumber}-1";
            var setting = $"printer=EPSON TM-T20;drawer={1 + random.Next(2)};site={siteNumber}";
            if (work.Update("WORKSTATION_SETTINGS", "UPDATE WORKSTATION_SETTINGS SET SETTING_VALUE = ? WHERE WORKSTATION = ?", setting, workstation) == 0)
            {
                work.Insert("WORKSTATION_SETTINGS", "INSERT INTO WORKSTATION_SETTINGS (WORKSTATION, SETTING_VALUE) VALUES (?, ?)", workstation, setting);
            }
            work.Commit();
        }

        return counter.ToSummary();
    }

    private static void UpdateMember(BusinessTransaction work, Random random, int siteNumber, DateTime day, long member)
    {
        switch (random.Next(4))
        {
            case 0:
                work.Update("MEMBERS", "UPDATE MEMBERS SET BALANCE = BALANCE + ?, NOTES = ? WHERE ID = ?",
                    ClubActivity.Money(random, 50m), $"Passage à l'accueil du club n° {siteNumber} le {Date(day)}.", member);
                break;
            case 1:
                work.Update("MEMBERS", "UPDATE MEMBERS SET EMAIL = ? WHERE ID = ?", $"adhérent.{member}.{random.Next(1_000)}@club{siteNumber}.example", member);
                break;
            case 2:
                var photo = new byte[1_000 + random.Next(3_000)];
                random.NextBytes(photo);
                work.Update("MEMBERS", "UPDATE MEMBERS SET PHOTO = ? WHERE ID = ?", photo, member);
                break;
            default:
                work.Update("MEMBERS", "UPDATE MEMBERS SET ACTIVE = NOT COALESCE(ACTIVE, FALSE) WHERE ID = ?", member);
                break;
        }
    }

    /// <summary>Keys for an IN list: numbers only, so nothing can be injected.</summary>
    private static string MemberList(IEnumerable<long> ids) =>
        string.Join(", ", ids.OrderBy(id => id).Select(id => id.ToString(CultureInfo.InvariantCulture)));

    private static string Date(DateTime day) => day.ToString("dd'/'MM'/'yyyy", CultureInfo.InvariantCulture);
}
