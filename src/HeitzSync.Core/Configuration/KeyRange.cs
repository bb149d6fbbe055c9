namespace HeitzSync.Core.Configuration;

/// <summary>The primary keys one site's generators may hand out: site n owns [n × size, (n + 1) × size − 1].</summary>
public readonly record struct KeyRange(long Low, long High)
{
    /// <summary>The range of site number <paramref name="siteNumber"/>; throws when it does not fit a BIGINT.</summary>
    public static KeyRange For(int siteNumber, long size)
    {
        if (siteNumber < 0) throw new ArgumentOutOfRangeException(nameof(siteNumber), siteNumber, "A site number is never negative.");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "A key range size is at least 1.");
        if (!Fits(siteNumber, size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Site {siteNumber}'s key range does not fit a BIGINT key with this size.");
        }
        var low = siteNumber * size;
        return new KeyRange(low, low + (size - 1));
    }

    /// <summary>Whether the last key of site <paramref name="siteNumber"/> fits a BIGINT.</summary>
    public static bool Fits(int siteNumber, long size) =>
        siteNumber >= 0 && size >= 1 && (decimal)siteNumber * size + (size - 1) <= long.MaxValue;

    public long Count => High - Low + 1;

    public bool Contains(long key) => key >= Low && key <= High;

    public bool Overlaps(KeyRange other) => Low <= other.High && other.Low <= High;

    public override string ToString() => $"[{Low}, {High}]";
}
