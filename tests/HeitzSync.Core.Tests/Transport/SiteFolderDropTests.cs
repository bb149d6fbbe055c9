using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Transport;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>drop.scope Site: the site's paths of the whole drop, taken below an account that sees only its folder.</summary>
[Trait("Category", "Unit")]
public class SiteFolderDropTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-sitefolder");

    [Fact]
    public async Task The_site_folder_is_the_account_root_and_nothing_outside_it_is_reached()
    {
        var drop = Directory.CreateDirectory(_temp.File("drop")).FullName;
        var lyon = Directory.CreateDirectory(Path.Combine(drop, "LYON01")).FullName;
        File.WriteAllText(Path.Combine(lyon, "siege.json"), "{ \"forSite\": \"LYON01\" }");
        var local = _temp.File("package.hzp");
        File.WriteAllBytes(local, new byte[] { 1, 2, 3 });
        using var view = new SiteFolderDrop(new FolderDropTransport(lyon), SiteCode.Parse("LYON01"));

        await view.UploadAsync(local, DropLayout.Up(SiteCode.Parse("LYON01")).Append("package.hzp"), null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(lyon, "up", "package.hzp")));
        Assert.Contains("LYON01", System.Text.Encoding.UTF8.GetString((await view.ReadSmallFileAsync(DropLayout.SiegeFile, CancellationToken.None))!));
        Assert.Equal(DropPath.Of("ack.json"), view.Map(DropLayout.Ack(SiteCode.Parse("LYON01"))));
        Assert.EndsWith("(LYON01's folder)", view.Description);

        var outside = await Assert.ThrowsAsync<DropTransportException>(() => view.ReadSmallFileAsync(DropLayout.Ack(SiteCode.Parse("NICE02")), CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.PermissionDenied, outside.Kind);
        Assert.Contains("drop.scope is Site", outside.Message);
        Assert.False(Directory.Exists(Path.Combine(lyon, "LYON01")), "a site path was taken below the site's folder twice");
    }

    public void Dispose() => _temp.Dispose();
}
