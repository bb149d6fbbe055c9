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

    /// <summary>
    /// README's order: init at the Siège first. With INTEGER keys and the default keyRangeSize the Siège (number 1) fits
    /// and its generators move to 1,000,000,000; the first site is refused, naming keyRangeSize; the user sets it on every
    /// node and runs init at the Siège again. Its generators stand where init put them and no key of that range was ever
    /// handed out: init moves them into the corrected range (before, it refused them as "already beyond the key range",
    /// a dead end), past the keys the business software had handed out there before HeitzSync (the value the first init
    /// moved away from). A range a key was taken from stays refused.
    /// </summary>
    [Fact]
    public void Init_moves_generators_it_placed_into_a_corrected_range_when_no_key_of_the_old_range_was_handed_out()
    {
        using var world = EngineWorld.Customer(siteCount: 0);
        var node = world.Siege;
        node.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (7, 'Before HeitzSync')");
        node.Sql("INSERT INTO ARTICLE (ID, LABEL) VALUES (100000050, 'Before HeitzSync, in the new range')");
        var defaultRange = node.Options(world.IsSynchronised) with { SiteNumber = 1, KeyLow = 1_000_000_000, KeyHigh = 1_999_999_999 };
        new CaptureInstaller(node.Connection).Install(EngineWorld.CustomerRules(defaultRange));
        Assert.Equal(1_000_000_000L, Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));

        var corrected = defaultRange with { KeyLow = 100_000_000, KeyHigh = 199_999_999 };
        var installed = new CaptureInstaller(node.Connection).Install(EngineWorld.CustomerRules(corrected));
        Assert.Equal(100_000_050L, Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));
        Assert.Contains(installed.GeneratorsMoved, m => m.Name == "GEN_MEMBER" && m.From == 1_000_000_000 && m.To == 100_000_050);
        Assert.Equal(100_000_000L, Convert.ToInt64(node.Scalar("SELECT KEY_LOW FROM HZ$NODE")));

        // A key taken from the range makes it the node's for good: going back to the default is refused, nothing changed.
        node.Sql("INSERT INTO MEMBER (ID, NAME) VALUES (NEXT VALUE FOR GEN_MEMBER, 'In the corrected range')");
        var error = Assert.Throws<CaptureSetupException>(() => new CaptureInstaller(node.Connection).Install(EngineWorld.CustomerRules(corrected with { KeyLow = 10_000_000, KeyHigh = 19_999_999 })));
        Assert.Contains("GEN_MEMBER = 100000051", error.Message);
        Assert.Equal(100_000_051L, Convert.ToInt64(node.Scalar("SELECT GEN_ID(GEN_MEMBER, 0) FROM RDB$DATABASE")));
    }
}
