using System.Globalization;

namespace HeitzSync.Core.Sync;

/// <summary>
/// The writing transactions that were still open when a producer's snapshot started (docs/sync-engine.md,
/// "Watermarks"): their rows may commit later with a sequence the snapshot already covers, so they are sent again next
/// time, and only theirs. Sorted, without duplicates; at most <see cref="MaxListed"/> (a producer with more open writers
/// falls back to a plain lower bound, see <see cref="TransactionGuard"/>). Its text form is compact and stable
/// ("12,40,41"; empty for none): it is stored in HZ$NODE and HZ$SITES, and carried by manifests and ack.json.
/// </summary>
public readonly struct OpenTransactions : IEquatable<OpenTransactions>
{
    /// <summary>How many open transactions a watermark lists at most: its text stays within <see cref="MaxTextLength"/>.</summary>
    public const int MaxListed = 200;

    /// <summary>The longest text form (200 ids of up to 19 digits and their commas): the size of the columns that store it.</summary>
    public const int MaxTextLength = 4000;

    private readonly long[]? _ids;

    private OpenTransactions(long[] ids) => _ids = ids;

    public static OpenTransactions None => default;

    public IReadOnlyList<long> Ids => _ids ?? Array.Empty<long>();
    public int Count => _ids?.Length ?? 0;
    public bool IsEmpty => Count == 0;

    /// <summary>The set of <paramref name="ids"/> (sorted, duplicates removed); throws when there are more than <see cref="MaxListed"/>.</summary>
    public static OpenTransactions Of(IEnumerable<long> ids)
    {
        var sorted = ids.Where(id => id > 0).Distinct().OrderBy(id => id).ToArray();
        if (sorted.Length > MaxListed) throw new ArgumentException($"At most {MaxListed} open transactions are listed in a watermark ({sorted.Length} given).", nameof(ids));
        return sorted.Length == 0 ? None : new OpenTransactions(sorted);
    }

    public bool Contains(long tx) => _ids is not null && Array.BinarySearch(_ids, tx) >= 0;

    /// <summary>"12,40,41"; empty for none.</summary>
    public override string ToString() => _ids is null ? "" : string.Join(",", _ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads the text form; null or empty is none. Throws <see cref="InvalidDataException"/> for anything else than
    /// positive transaction numbers separated by commas (at most <see cref="MaxListed"/>).</summary>
    public static OpenTransactions Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return None;
        var ids = new List<long>();
        foreach (var part in text!.Split(','))
        {
            if (!long.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            {
                throw new InvalidDataException($"'{Shorten(text)}' is not a list of open transaction numbers (positive whole numbers separated by commas).");
            }
            ids.Add(id);
        }
        if (ids.Count > MaxListed) throw new InvalidDataException($"A watermark lists at most {MaxListed} open transactions; this one lists {ids.Count}.");
        return Of(ids);
    }

    public bool Equals(OpenTransactions other) => Ids.SequenceEqual(other.Ids);
    public override bool Equals(object? obj) => obj is OpenTransactions other && Equals(other);
    public override int GetHashCode() => _ids is null ? 0 : _ids.Aggregate(17, (hash, id) => unchecked(hash * 31 + id.GetHashCode()));
    public static bool operator ==(OpenTransactions left, OpenTransactions right) => left.Equals(right);
    public static bool operator !=(OpenTransactions left, OpenTransactions right) => !left.Equals(right);

    private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";
}
