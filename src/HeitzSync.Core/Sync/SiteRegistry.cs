using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>A site as the Siège knows it (HZ$SITES).</summary>
public sealed record RegisteredSite(
    string Site,
    int Number,
    long KeyLow,
    long KeyHigh,
    Watermark Consolidated,
    string? ConsolidatedCycle,
    Watermark AppliedFromSiege,
    DateTime? LastContactUtc);

/// <summary>A site the Siège removed (Unregister-HzSite): its number and key range are never given again.</summary>
public sealed record RetiredSite(string Site, int Number, long KeyLow, long KeyHigh, DateTime? RetiredUtc);

/// <summary>Two sites whose key ranges overlap: a fatal configuration error (DESIGN.md §1).</summary>
public sealed class KeyRangeOverlapException : Exception
{
    public KeyRangeOverlapException(string message) : base(message) { }
}

/// <summary>The Siège's registry of sites, read and written inside the consolidation transaction.</summary>
internal sealed class SiteRegistry
{
    private readonly NodeIdentity _siege;
    private readonly Dictionary<string, RegisteredSite> _sites;
    private readonly IReadOnlyList<RetiredSite> _retired;

    private SiteRegistry(NodeIdentity siege, Dictionary<string, RegisteredSite> sites, IReadOnlyList<RetiredSite> retired)
    {
        _siege = siege;
        _sites = sites;
        _retired = retired;
    }

    public IReadOnlyCollection<RegisteredSite> Sites => _sites.Values;

    public IReadOnlyList<RetiredSite> Retired => _retired;

    public static SiteRegistry Read(FbConnection connection, FbTransaction tx, NodeIdentity siege)
    {
        var sites = new Dictionary<string, RegisteredSite>(StringComparer.Ordinal);
        using var command = connection.Prepare(tx,
            "SELECT SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH, CONSOLIDATED_SEQ, CONSOLIDATED_TX, CONSOLIDATED_CYCLE, APPLIED_SEQ, APPLIED_TX, LAST_CONTACT, CONSOLIDATED_OPEN, APPLIED_OPEN FROM HZ$SITES");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var code = reader.GetString(0).Trim();
            sites[code] = new RegisteredSite(code, reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3),
                new Watermark(reader.GetInt64(4), reader.GetInt64(5)) { Open = OpenTransactions.Parse(reader.GetString(10)) },
                reader.IsDBNull(6) ? null : reader.GetString(6).Trim(),
                new Watermark(reader.GetInt64(7), reader.GetInt64(8)) { Open = OpenTransactions.Parse(reader.GetString(11)) },
                reader.IsDBNull(9) ? null : LocalClock.ToUtc(reader.GetDateTime(9)));
        }
        return new SiteRegistry(siege, sites, ReadRetired(connection, tx));
    }

    private static IReadOnlyList<RetiredSite> ReadRetired(FbConnection connection, FbTransaction tx)
    {
        if (!connection.Schema.TableExists(tx, CaptureObjects.RetiredSites)) return Array.Empty<RetiredSite>();
        var retired = new List<RetiredSite>();
        using var command = connection.Prepare(tx, $"SELECT SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH, RETIRED_AT FROM {CaptureObjects.RetiredSites} ORDER BY SITE_NUMBER");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            retired.Add(new RetiredSite(reader.GetString(0).Trim(), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : LocalClock.ToUtc(reader.GetDateTime(4))));
        }
        return retired;
    }

    /// <summary>
    /// Removes a site from the registry (Unregister-HzSite): the Siège stops waiting and publishing for it, and keeps its
    /// number and key range as retired so that no other site is ever given them. The table of retired sites is created
    /// here when the Siège's database was initialised before it existed (DDL commits on its own).
    /// </summary>
    public static RetiredSite Retire(FbConnection connection, SiteCode site)
    {
        if (!TableExistsNow(connection, CaptureObjects.RetiredSites)) connection.ExecuteInNewTransaction(CaptureObjects.RetiredSitesDdl);
        using var tx = connection.BeginTransaction();
        var registry = Read(connection, tx, NodeIdentity.Read(connection, tx));
        if (!registry._sites.TryGetValue(site.Value, out var known))
        {
            throw new InvalidOperationException($"{site} is not a registered site ({registry.Describe()}): nothing was removed.");
        }
        var now = DateTime.UtcNow;
        connection.Execute(tx, $"INSERT INTO {CaptureObjects.RetiredSites} (SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH, RETIRED_AT) VALUES (?, ?, ?, ?, ?)",
            known.Site, known.Number, known.KeyLow, known.KeyHigh, LocalClock.ToLocal(now));
        connection.Execute(tx, "DELETE FROM HZ$SITES WHERE SITE_CODE = ?", known.Site);
        tx.Commit();
        return new RetiredSite(known.Site, known.Number, known.KeyLow, known.KeyHigh, now);
    }

    private static bool TableExistsNow(FbConnection connection, string name)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return connection.Schema.TableExists(tx, name);
    }

    /// <summary>"registered: LYON01 (2), NICE02 (3)", for messages that must name the registered sites.</summary>
    public string Describe() => _sites.Count == 0
        ? "no site is registered yet: a site registers when it runs init against the drop"
        : "registered: " + string.Join(", ", _sites.Values.OrderBy(s => s.Number).Select(s => $"{s.Site} ({s.Number})"));

    /// <summary>Site number used to break ties; the Siège is ranked by its own number; unknown origins last.</summary>
    public int NumberOf(string site) =>
        site == _siege.Site.Value ? _siege.SiteNumber : _sites.TryGetValue(site, out var s) ? s.Number : int.MaxValue;

    /// <summary>Registers a site on its first package, refusing a number or key range that another node already has.</summary>
    public RegisteredSite Register(FbConnection connection, FbTransaction tx, SiteCode site, int number, long keyLow, long keyHigh)
    {
        if (_sites.TryGetValue(site.Value, out var known))
        {
            if (known.Number != number || known.KeyLow != keyLow || known.KeyHigh != keyHigh)
            {
                throw new KeyRangeOverlapException(
                    $"Site {site} now reports number {number} and keys [{keyLow}, {keyHigh}], but the Siège registered it with number {known.Number} and keys [{known.KeyLow}, {known.KeyHigh}]. " +
                    "A site's number must never change once it has synced: restore its configuration (site.number, keyRangeSize).");
            }
            return known;
        }
        if (_retired.FirstOrDefault(r => r.Site == site.Value) is { } gone)
        {
            throw new KeyRangeOverlapException(
                $"Site {site} was removed from the Siège{(gone.RetiredUtc is { } t ? " on " + t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "")} (Unregister-HzSite): it is not taken back. " +
                "A site that joins again needs a new code and a new site.number; run init with them.");
        }
        var others = _sites.Values.Select(s => (Site: s.Site, Number: s.Number, KeyLow: s.KeyLow, KeyHigh: s.KeyHigh))
            .Concat(_retired.Select(r => (Site: r.Site + " (removed)", Number: r.Number, KeyLow: r.KeyLow, KeyHigh: r.KeyHigh)))
            .Append((Site: _siege.Site.Value, Number: _siege.SiteNumber, KeyLow: _siege.KeyLow, KeyHigh: _siege.KeyHigh));
        foreach (var other in others)
        {
            if (other.Site == site.Value) continue;
            if (other.Number == number || (keyLow <= other.KeyHigh && other.KeyLow <= keyHigh))
            {
                throw new KeyRangeOverlapException(
                    $"Site {site} (number {number}, keys [{keyLow}, {keyHigh}]) overlaps site {other.Site} (number {other.Number}, keys [{other.KeyLow}, {other.KeyHigh}]). " +
                    $"Every site needs its own number and key range: fix site.number in one of the two configurations and run {FrontCommands.Initialize} there. Its package was not consolidated.");
            }
        }
        connection.Execute(tx, "INSERT INTO HZ$SITES (SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH) VALUES (?, ?, ?, ?)", site.Value, number, keyLow, keyHigh);
        var registered = new RegisteredSite(site.Value, number, keyLow, keyHigh, Watermark.None, null, Watermark.None, null);
        _sites[site.Value] = registered;
        return registered;
    }

    public void RecordConsolidated(FbConnection connection, FbTransaction tx, SitePackageFacts facts)
    {
        connection.Execute(tx,
            "UPDATE HZ$SITES SET CONSOLIDATED_SEQ = ?, CONSOLIDATED_TX = ?, CONSOLIDATED_OPEN = ?, CONSOLIDATED_CYCLE = ? WHERE SITE_CODE = ?",
            facts.Covered.Sequence, facts.Covered.ResendFromTx, facts.Covered.Open.ToString(), facts.Cycle.Value, facts.Site.Value);
        RecordContact(connection, tx, facts.Site, facts.AppliedFromSiege);
    }

    /// <summary>Records the site's acknowledgement of what it applied (never moving it back) and the time of contact.</summary>
    public void RecordContact(FbConnection connection, FbTransaction tx, SiteCode site, Watermark appliedFromSiege)
    {
        connection.Execute(tx,
            "UPDATE HZ$SITES SET " +
            "APPLIED_OPEN = IIF(APPLIED_SEQ > ? OR (APPLIED_SEQ = ? AND APPLIED_TX >= ?), APPLIED_OPEN, ?), " +
            "APPLIED_TX = IIF(APPLIED_SEQ > ? OR (APPLIED_SEQ = ? AND APPLIED_TX > ?), APPLIED_TX, ?), " +
            "APPLIED_SEQ = IIF(APPLIED_SEQ > ?, APPLIED_SEQ, ?), LAST_CONTACT = ? WHERE SITE_CODE = ?",
            appliedFromSiege.Sequence, appliedFromSiege.Sequence, appliedFromSiege.ResendFromTx, appliedFromSiege.Open.ToString(),
            appliedFromSiege.Sequence, appliedFromSiege.Sequence, appliedFromSiege.ResendFromTx, appliedFromSiege.ResendFromTx,
            appliedFromSiege.Sequence, appliedFromSiege.Sequence,
            LocalClock.ToLocal(DateTime.UtcNow), site.Value);
    }
}
