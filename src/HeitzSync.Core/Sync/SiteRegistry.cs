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

    private SiteRegistry(NodeIdentity siege, Dictionary<string, RegisteredSite> sites)
    {
        _siege = siege;
        _sites = sites;
    }

    public IReadOnlyCollection<RegisteredSite> Sites => _sites.Values;

    public static SiteRegistry Read(FbConnection connection, FbTransaction tx, NodeIdentity siege)
    {
        var sites = new Dictionary<string, RegisteredSite>(StringComparer.Ordinal);
        using var command = connection.Prepare(tx,
            "SELECT SITE_CODE, SITE_NUMBER, KEY_LOW, KEY_HIGH, CONSOLIDATED_SEQ, CONSOLIDATED_TX, CONSOLIDATED_CYCLE, APPLIED_SEQ, APPLIED_TX, LAST_CONTACT FROM HZ$SITES");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var code = reader.GetString(0).Trim();
            sites[code] = new RegisteredSite(code, reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3),
                new Watermark(reader.GetInt64(4), reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6).Trim(),
                new Watermark(reader.GetInt64(7), reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : LocalClock.ToUtc(reader.GetDateTime(9)));
        }
        return new SiteRegistry(siege, sites);
    }

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
        var others = _sites.Values.Select(s => (Site: s.Site, Number: s.Number, KeyLow: s.KeyLow, KeyHigh: s.KeyHigh))
            .Append((Site: _siege.Site.Value, Number: _siege.SiteNumber, KeyLow: _siege.KeyLow, KeyHigh: _siege.KeyHigh));
        foreach (var other in others)
        {
            if (other.Site == site.Value) continue;
            if (other.Number == number || (keyLow <= other.KeyHigh && other.KeyLow <= keyHigh))
            {
                throw new KeyRangeOverlapException(
                    $"Site {site} (number {number}, keys [{keyLow}, {keyHigh}]) overlaps site {other.Site} (number {other.Number}, keys [{other.KeyLow}, {other.KeyHigh}]). " +
                    "Every site needs its own number and key range: fix site.number in one of the two configurations and run {FrontCommands.Initialize} there. Its package was not consolidated.");
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
            "UPDATE HZ$SITES SET CONSOLIDATED_SEQ = ?, CONSOLIDATED_TX = ?, CONSOLIDATED_CYCLE = ? WHERE SITE_CODE = ?",
            facts.Covered.Sequence, facts.Covered.ResendFromTx, facts.Cycle.Value, facts.Site.Value);
        RecordContact(connection, tx, facts.Site, facts.AppliedFromSiege);
    }

    /// <summary>Records the site's acknowledgement of what it applied (never moving it back) and the time of contact.</summary>
    public void RecordContact(FbConnection connection, FbTransaction tx, SiteCode site, Watermark appliedFromSiege)
    {
        connection.Execute(tx,
            "UPDATE HZ$SITES SET " +
            "APPLIED_TX = IIF(APPLIED_SEQ > ? OR (APPLIED_SEQ = ? AND APPLIED_TX > ?), APPLIED_TX, ?), " +
            "APPLIED_SEQ = IIF(APPLIED_SEQ > ?, APPLIED_SEQ, ?), LAST_CONTACT = ? WHERE SITE_CODE = ?",
            appliedFromSiege.Sequence, appliedFromSiege.Sequence, appliedFromSiege.ResendFromTx, appliedFromSiege.ResendFromTx,
            appliedFromSiege.Sequence, appliedFromSiege.Sequence,
            LocalClock.ToLocal(DateTime.UtcNow), site.Value);
    }
}
