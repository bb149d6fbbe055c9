using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Tests;

public class DropPathTests
{
    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("c:")]
    public void Rejects_segments_that_could_escape_the_drop(string segment)
    {
        Assert.Throws<ArgumentException>(() => DropPath.Of(segment));
    }

    [Fact]
    public void Parses_and_prints_forward_slash_paths()
    {
        var path = DropPath.Parse("PARIS01/up/PARIS01_1.hzp");
        Assert.Equal(new[] { "PARIS01", "up", "PARIS01_1.hzp" }, path.Segments);
        Assert.Equal("PARIS01/up/PARIS01_1.hzp.part", path.PartFile.ToString());
        Assert.Equal("PARIS01/up", path.Parent.ToString());
        Assert.Throws<ArgumentException>(() => DropPath.Parse("PARIS01/../etc/passwd"));
    }
}
