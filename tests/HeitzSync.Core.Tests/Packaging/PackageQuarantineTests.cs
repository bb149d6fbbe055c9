using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

[Trait("Category", "Unit")]
public sealed class PackageQuarantineTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-quarantine");
    private readonly SyncKey _key = SyncKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private PackageRejectedException DamagedPackage(string path, byte marker)
    {
        Write(path, _key, SomeBytes(1000));
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= marker;
        File.WriteAllBytes(path, bytes);
        return Rejected(path, _key);
    }

    [Fact]
    public void Moves_the_package_aside_with_its_reason()
    {
        var path = _temp.File("PARIS01_20261122T020000Z_d_1-5.hzp");
        var rejected = DamagedPackage(path, 1);
        var content = File.ReadAllBytes(path);
        var quarantine = Path.Combine(_temp.Path, "quarantine");

        var moved = PackageQuarantine.Move(path, quarantine, rejected, new DateTimeOffset(2026, 11, 22, 2, 30, 0, TimeSpan.Zero));

        Assert.False(File.Exists(path));
        Assert.Equal(Path.Combine(quarantine, "PARIS01_20261122T020000Z_d_1-5.hzp.20261122T023000Z"), moved);
        Assert.Equal(content, File.ReadAllBytes(moved));
        var reason = File.ReadAllText(moved + ".reason.txt");
        Assert.Contains("PARIS01_20261122T020000Z_d_1-5.hzp", reason);
        Assert.Contains("Tampered", reason);
        Assert.Contains(rejected.Message, reason);
        Assert.DoesNotContain(_key.ToBase64(), reason);
        Assert.False(PackageNames.TryParse(Path.GetFileName(moved), out _), "a quarantined file is no longer taken for a package");
    }

    [Fact]
    public void The_same_name_quarantined_twice_keeps_both()
    {
        var quarantine = Path.Combine(_temp.Path, "quarantine");
        var path = _temp.File("PARIS01_20261122T020000Z_s.hzp");
        var at = new DateTimeOffset(2026, 11, 22, 2, 30, 0, TimeSpan.Zero);

        var first = DamagedPackage(path, 1);
        var firstContent = File.ReadAllBytes(path);
        var firstMoved = PackageQuarantine.Move(path, quarantine, first, at);

        var second = DamagedPackage(path, 2);
        var secondContent = File.ReadAllBytes(path);
        var secondMoved = PackageQuarantine.Move(path, quarantine, second, at);

        Assert.NotEqual(firstMoved, secondMoved);
        Assert.Equal(firstContent, File.ReadAllBytes(firstMoved));
        Assert.Equal(secondContent, File.ReadAllBytes(secondMoved));
        Assert.True(File.Exists(firstMoved + ".reason.txt"));
        Assert.True(File.Exists(secondMoved + ".reason.txt"));
        Assert.Equal(4, Directory.GetFiles(quarantine).Length);

        // And with the real clock, several times in the same second.
        for (var i = 0; i < 3; i++)
        {
            File.WriteAllText(path, "not a package " + i);
            PackageQuarantine.Move(path, quarantine, Rejected(path, _key));
        }
        Assert.Equal(10, Directory.GetFiles(quarantine).Length);
    }

    [Fact]
    public void Takes_any_exception_as_reason()
    {
        var path = _temp.File("PARIS01_20261122T020000Z_s.hzp");
        Write(path, _key, SomeBytes(10));
        var moved = PackageQuarantine.Move(path, _temp.File("q"), new InvalidDataException("Package is for site LYON02."));
        Assert.Contains("InvalidDataException", File.ReadAllText(moved + ".reason.txt"));
    }
}
