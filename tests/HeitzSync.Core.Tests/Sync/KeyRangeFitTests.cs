using HeitzSync.Core.Capture;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>DESIGN.md §3: a site's key range must fit its synchronised key columns; init refuses, naming the column and
/// the setting, when it does not (issue 12: INTEGER keys overflowed from site 3 on, silently).</summary>
[Trait("Category", "EndToEnd")]
public class KeyRangeFitTests
{
    [Fact]
    public void Init_refuses_a_range_beyond_an_integer_key_naming_the_column_and_keyRangeSize_and_changes_nothing()
    {
        using var world = EngineWorld.Customer(siteCount: 0);
        var node = world.Siege;
        var options = node.Options(world.IsSynchronised) with { SiteNumber = 3, KeyLow = 3_000_000_000, KeyHigh = 3_999_999_999 };
        var error = Assert.Throws<CaptureSetupException>(() => new CaptureInstaller(node.Connection).Install(EngineWorld.CustomerRules(options)));
        Assert.Contains("MEMBER.ID", error.Message);
        Assert.Contains("INTEGER", error.Message);
        Assert.Contains("keyRangeSize", error.Message);
        Assert.Equal(0L, Convert.ToInt64(node.Scalar("SELECT COUNT(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME STARTING WITH 'HZ$'")));
        Assert.Equal(0L, Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));

        var fitting = options with { KeyLow = 300_000_000, KeyHigh = 399_999_999 };   // keyRangeSize 100,000,000: up to 20 sites
        new CaptureInstaller(node.Connection).Install(EngineWorld.CustomerRules(fitting));
        Assert.Equal(300_000_000L, Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));
    }
}
