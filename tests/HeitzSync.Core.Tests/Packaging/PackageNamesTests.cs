using FsCheck;
using FsCheck.Fluent;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;

namespace HeitzSync.Core.Tests.Packaging;

[Trait("Category", "Unit")]
public sealed class PackageNamesTests
{
    private static readonly SiteCode Paris = SiteCode.Parse("PARIS01");
    private static readonly CycleId Night = CycleId.Parse("20261122T020000Z");

    [Fact]
    public void Builds_the_documented_names()
    {
        Assert.Equal("PARIS01_20261122T020000Z_d_101-250.hzp", PackageNames.ForSiteDelta(Paris, Night, 101, 250));
        Assert.Equal("PARIS01_20261122T020000Z_s.hzp", PackageNames.ForSiegeDelta(Paris, Night));
        Assert.Equal("SIEGE_20261122T020000Z_full.hzp", PackageNames.ForFull(SiteCode.Parse("SIEGE"), Night));
        Assert.Equal("PARIS01_20261122T020000Z-2_d_0-0.hzp", PackageNames.ForSiteDelta(Paris, CycleId.Parse("20261122T020000Z-2"), 0, 0));
        var longest = PackageNames.ForSiteDelta(SiteCode.Parse("ABCDEFGHIJKLMNOP"), CycleId.Parse("20261122T020000Z-9999"), long.MaxValue - 1, long.MaxValue);
        Assert.True(PackageNames.TryParse(longest, out var parsed), longest);
        Assert.Equal(long.MaxValue, parsed.ToSequence);
    }

    [Fact]
    public void Parses_each_kind_back()
    {
        Assert.True(PackageNames.TryParse("PARIS01_20261122T020000Z_d_101-250.hzp", out var delta));
        Assert.Equal(new PackageName(Paris, Night, PackageName.DeltaKind, 101, 250), delta);
        Assert.True(PackageNames.TryParse("PARIS01_20261122T020000Z_s.hzp", out var siege));
        Assert.Equal(PackageName.SiegeKind, siege.Kind);
        Assert.Equal(Paris, siege.Site);
        Assert.True(PackageNames.TryParse("LYON_2_20261122T020000Z-13_full.hzp", out var full));
        Assert.Equal(PackageName.FullKind, full.Kind);
        Assert.Equal("LYON_2", full.Site.Value);
        Assert.Equal("20261122T020000Z-13", full.Cycle.Value);
        Assert.Equal("LYON_2_20261122T020000Z-13_full.hzp", full.FileName);
    }

    [Fact]
    public void Refuses_default_ids_and_backwards_ranges()
    {
        Assert.ThrowsAny<Exception>(() => PackageNames.ForSiegeDelta(default, Night));
        Assert.ThrowsAny<Exception>(() => PackageNames.ForFull(Paris, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackageNames.ForSiteDelta(Paris, Night, -1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackageNames.ForSiteDelta(Paris, Night, 9, 5));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../PARIS01_20261122T020000Z_s.hzp")]
    [InlineData("..\\PARIS01_20261122T020000Z_s.hzp")]
    [InlineData("/etc/PARIS01_20261122T020000Z_s.hzp")]
    [InlineData("C:\\drop\\PARIS01_20261122T020000Z_s.hzp")]
    [InlineData("PARIS01/20261122T020000Z_s.hzp")]
    [InlineData("PARIS01_20261122T020000Z_s.hzp/..")]
    [InlineData("PARIS01_20261122T020000Z_s.hzp\n")]
    [InlineData("PARIS01_20261122T020000Z_s.hzp ")]
    [InlineData(" PARIS01_20261122T020000Z_s.hzp")]
    [InlineData("PARIS01_20261122T020000Z_s.hzp.part")]
    [InlineData("PARIS01_20261122T020000Z_s.HZP")]
    [InlineData("paris01_20261122T020000Z_s.hzp")]
    [InlineData("PARIS01_20261122T020000Z_s.hzp\0.txt")]
    [InlineData("\uFF30ARIS01_20261122T020000Z_s.hzp")]            // fullwidth P
    [InlineData("P\u0391RIS01_20261122T020000Z_s.hzp")]            // Greek capital alpha
    [InlineData("PARIS01_\u0662\u0660\u0662\u0666\u0661\u0661\u0662\u0662T020000Z_s.hzp")] // Arabic-Indic digits
    [InlineData("PARIS01_20261122T020000Z_s\u2024hzp")]            // one dot leader instead of '.'
    [InlineData("PARIS01_20261122T020000Z_s.hzp\u200B")]           // zero-width space
    [InlineData("PARIS01_20261122T020000Z_d_0101-250.hzp")]        // leading zero: not the canonical name
    [InlineData("PARIS01_20261122T020000Z_d_250-101.hzp")]
    [InlineData("PARIS01_20261122T020000Z_d_1-99999999999999999999.hzp")] // beyond long
    [InlineData("PARIS01_20261122T020000Z_d_-1-5.hzp")]
    [InlineData("PARIS01_20261122T020000Z_x.hzp")]
    [InlineData("P_20261122T020000Z_s.hzp")]                       // one-letter site code
    [InlineData("ABCDEFGHIJKLMNOPQ_20261122T020000Z_s.hzp")]       // 17 characters
    [InlineData("PARIS01_20261122T020000Z-12345_s.hzp")]
    [InlineData("PARIS01_2026112T020000Z_s.hzp")]
    public void Rejects_anything_it_would_not_build(string? name)
    {
        Assert.False(PackageNames.TryParse(name, out var parsed));
        Assert.Null(parsed);
    }

    private static readonly Gen<SiteCode> Sites =
        from first in Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray())
        from rest in Gen.Choose(1, 15).SelectMany(n => Gen.ArrayOf(Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_".ToCharArray()), n))
        select SiteCode.Parse(first + new string(rest));

    private static readonly Gen<CycleId> Cycles =
        from seconds in Gen.Choose(0, int.MaxValue)
        from discriminator in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 9999)))
        select CycleId.FromTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(seconds), discriminator);

    private static readonly Gen<long> Sequences = Gen.Frequency(
        (1, Gen.Constant(0L)),
        (3, Gen.Choose(0, int.MaxValue).Select(i => (long)i)),
        (1, Gen.Choose(0, 1000).Select(i => long.MaxValue - i)));

    [Fact]
    public void Every_built_name_parses_back_to_the_same_values()
    {
        var names =
            from site in Sites
            from cycle in Cycles
            from a in Sequences
            from b in Sequences
            from kind in Gen.Elements(PackageName.DeltaKind, PackageName.SiegeKind, PackageName.FullKind)
            select kind == PackageName.DeltaKind
                ? new PackageName(site, cycle, kind, Math.Min(a, b), Math.Max(a, b))
                : new PackageName(site, cycle, kind);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(names.ToArbitrary(), expected =>
        {
            var fileName = expected.FileName;
            return PackageNames.TryParse(fileName, out var parsed)
                && parsed == expected
                && fileName == Path.GetFileName(fileName)
                && fileName.All(c => c < 128 && (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                && fileName.Count(c => c == '.') == 1;
        }));
    }

    [Fact]
    public void Whatever_parses_is_exactly_a_name_the_builders_make()
    {
        // Mutations of valid names (a character changed, inserted or removed) and arbitrary strings.
        var valid = "PARIS01_20261122T020000Z_d_101-250.hzp";
        var alphabet = "AZaz09_-./\\:T Z\u0660\uFF10\u00C9\u200B\n".ToCharArray();
        var mutated =
            from position in Gen.Choose(0, valid.Length - 1)
            from character in Gen.Elements(alphabet)
            from how in Gen.Choose(0, 2)
            select how switch
            {
                0 => valid.Remove(position, 1).Insert(position, character.ToString()),
                1 => valid.Insert(position, character.ToString()),
                _ => valid.Remove(position, 1),
            };
        var candidates = Gen.OneOf(mutated, ArbMap.Default.GeneratorFor<string>());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(candidates.ToArbitrary(), name =>
            !PackageNames.TryParse(name, out var parsed) || parsed.FileName == name));
    }
}
