using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Tests.Configuration;

/// <summary>Site n owns [n × size, (n + 1) × size − 1]: two sites never share a key.</summary>
public class KeyRangeTests
{
    [Fact]
    public void A_sites_range_follows_from_its_number_and_the_size()
    {
        Assert.Equal(new KeyRange(2_000_000_000, 2_999_999_999), KeyRange.For(2, 1_000_000_000));
        Assert.Equal(new KeyRange(1000, 1999), KeyRange.For(1, 1000));
        Assert.Equal(1000, KeyRange.For(1, 1000).Count);
        Assert.Equal("[1000, 1999]", KeyRange.For(1, 1000).ToString());
    }

    [Fact]
    public void The_configuration_derives_its_range_from_the_site_number_and_size()
    {
        var config = new HzSyncConfig { Site = new SiteIdentity { Code = "NICE03", Number = 3 }, KeyRangeSize = 1_000_000 };
        Assert.Equal(new KeyRange(3_000_000, 3_999_999), config.KeyRange);
    }

    [Fact]
    public void Contains_includes_both_ends_only()
    {
        var range = KeyRange.For(2, 1000);
        Assert.True(range.Contains(2000));
        Assert.True(range.Contains(2999));
        Assert.False(range.Contains(1999));
        Assert.False(range.Contains(3000));
    }

    [Fact]
    public void Overlaps_is_true_when_one_key_is_shared_and_false_for_neighbours()
    {
        var two = KeyRange.For(2, 1000);
        Assert.True(two.Overlaps(new KeyRange(2999, 5000)));
        Assert.True(two.Overlaps(new KeyRange(0, 2000)));
        Assert.True(two.Overlaps(new KeyRange(2500, 2600)));
        Assert.True(new KeyRange(2500, 2600).Overlaps(two));
        Assert.False(two.Overlaps(KeyRange.For(3, 1000)));
        Assert.False(two.Overlaps(KeyRange.For(1, 1000)));
    }

    [Fact]
    public void No_two_site_numbers_share_a_key_with_the_default_size()
    {
        var ranges = Enumerable.Range(1, 999).Select(n => KeyRange.For(n, 1_000_000_000)).ToList();
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.False(ranges[i - 1].Overlaps(ranges[i]), $"sites {i} and {i + 1}");
            Assert.Equal(ranges[i - 1].High + 1, ranges[i].Low);
        }
        Assert.Equal(999_999_999_999L, ranges[^1].High); // far below a BIGINT's limit
    }

    [Fact]
    public void A_range_beyond_a_BIGINT_is_refused()
    {
        Assert.True(KeyRange.Fits(999, 1_000_000_000));
        Assert.False(KeyRange.Fits(999, long.MaxValue / 999));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyRange.For(999, long.MaxValue / 999));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyRange.For(-1, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyRange.For(1, 0));
        var largest = KeyRange.For(1, 1L << 62); // site 1's last key is exactly the largest BIGINT
        Assert.Equal(long.MaxValue, largest.High);
    }
}
