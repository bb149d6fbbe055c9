using HeitzSync.Core.Runs;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Runs;

public class StalePartsTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-parts");
    private static readonly DateTime Now = DateTime.UtcNow;

    private string Part(string relative, TimeSpan age)
    {
        var path = Path.Combine(_temp.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        File.SetLastWriteTimeUtc(path, Now - age);
        return path;
    }

    [Fact]
    public void Only_parts_left_unwritten_for_more_than_a_day_and_not_held_open_are_removed()
    {
        var old = Part(Path.Combine("incoming", "SIEGE_x.hzp.part"), TimeSpan.FromHours(30));
        var deep = Part(Path.Combine("drop", "LYON01", "up", "LYON01_y.hzp.part"), TimeSpan.FromDays(3));
        var fresh = Part(Path.Combine("outgoing", "LYON01_z.extracting.hzp.part"), TimeSpan.FromHours(20));
        var held = Part(Path.Combine("incoming", "held.hzp.part"), TimeSpan.FromDays(2));
        var package = Part(Path.Combine("outgoing", "LYON01_old.hzp"), TimeSpan.FromDays(5));

        IReadOnlyList<string> removed;
        using (new FileStream(held, FileMode.Open, FileAccess.ReadWrite, FileShare.None))   // a writer holds it
        {
            removed = StaleParts.Clean(_temp.Path, StaleParts.MaxAge, Now);
        }

        Assert.Equal(new[] { deep, old }.OrderBy(p => p, StringComparer.Ordinal), removed.OrderBy(p => p, StringComparer.Ordinal));
        Assert.False(File.Exists(old));
        Assert.False(File.Exists(deep));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(held));
        Assert.True(File.Exists(package));   // only temporary files are tidied
    }

    [Fact]
    public void A_missing_folder_is_nothing_to_clean()
    {
        Assert.Empty(StaleParts.Clean(Path.Combine(_temp.Path, "absent"), StaleParts.MaxAge, Now));
    }

    public void Dispose() => _temp.Dispose();
}
