using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Night;

[Trait("Category", "EndToEnd")]
public class NightTests : IDisposable
{
    private const long Range = 1_000_000_000;
    private readonly TempFolder _temp = new("hz-night");

    [Fact]
    public async Task The_demo_converges_every_table_on_every_database_night_after_night()
    {
        var summary = await DemoRun.RunAsync(new DemoOptions { Sites = 3, Nights = 3, WorkFolder = _temp.File("demo"), MembersPerSite = 30 }, null, CancellationToken.None);
        Assert.True(summary.Converged, string.Join(", ", summary.Tables.Where(t => !t.IdenticalEverywhere).Select(t => t.Table)));
        Assert.Equal(4, summary.Databases.Count);
        Assert.All(summary.Tables, t => Assert.True(t.Rows > 0, t.Table));
        Assert.Contains(summary.NightLines, l => l.Conflicts > 0);   // the demo's deliberate conflicts happened and were resolved
        Assert.Equal(new[] { "WORKSTATION_SETTINGS" }, summary.LocalOnlyTables);
        foreach (var database in summary.Databases)
        {
            using var connection = FbConnection.Open(new FbConnectionSettings { Database = database.Path });
            using var tx = connection.BeginTransaction();
            Assert.Equal(2L, connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM WORKSTATION_SETTINGS"));   // its own two rows only
        }
    }

    [Fact]
    public async Task A_tampered_package_is_quarantined_changes_nothing_and_the_next_night_catches_up()
    {
        var drop = Path.Combine(_temp.Path, "drop");
        Directory.CreateDirectory(drop);
        using var key = SyncKey.Generate();
        var siegeDb = CreateNode("SIEGE", 1, isSiege: true);
        var siteDb = CreateNode("LYON01", 2, isSiege: false);
        using var transport = new FolderDropTransport(drop);
        var siege = new SiegeNight(siegeDb, transport, key, _temp.File("work-siege"), Array.Empty<string>());
        var site = new SiteNight(siteDb, transport, key, _temp.File("work-lyon"));
        var sites = new[] { SiteCode.Parse("LYON01") };

        var cycle1 = CycleId.Parse("20261101T020000Z");
        var package = await site.ExtractAsync(cycle1, null, CancellationToken.None);
        await site.UploadAsync(package, null, CancellationToken.None);
        var uploaded = Path.Combine(drop, "LYON01", "up", package.PackageName);
        var bytes = File.ReadAllBytes(uploaded);
        bytes[bytes.Length / 2] ^= 0x40;   // one bit flipped on the way
        File.WriteAllBytes(uploaded, bytes);
        var before = Count(siegeDb, "MEMBERS");

        var run = await siege.ConsolidateAsync(sites, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        var delivery = Assert.Single(run.Deliveries);
        Assert.Equal("Rejected", delivery.State);
        Assert.Contains("failed authentication", delivery.Error);
        Assert.Equal(before, Count(siegeDb, "MEMBERS"));
        Assert.False(File.Exists(uploaded));
        Assert.Contains(Directory.GetFiles(Path.Combine(drop, "LYON01", "quarantine")), f => f.EndsWith(".reason.txt", StringComparison.Ordinal));

        // Nothing was acknowledged, so the next night sends the same changes again and everything converges.
        var cycle2 = CycleId.Parse("20261102T020000Z");
        await site.UploadAsync(await site.ExtractAsync(cycle2, null, CancellationToken.None), null, CancellationToken.None);
        run = await siege.ConsolidateAsync(sites, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.Equal("Consolidated", Assert.Single(run.Deliveries).State);
        await siege.PublishAsync(cycle2, null, CancellationToken.None);
        var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        Assert.True(received.Found);
        Assert.True(File.Exists(Path.Combine(drop, "siege.json")));
        Assert.True(File.Exists(Path.Combine(drop, "LYON01", "ack.json")));
        using var a = FbConnection.Open(siegeDb);
        using var b = FbConnection.Open(siteDb);
        Assert.All(DatabaseComparer.Compare(a, b, SampleSchema.SynchronisedTables), t => Assert.True(t.Identical, t.Table));
    }

    [Fact]
    public async Task A_package_made_with_another_group_key_is_refused_with_both_key_ids()
    {
        var drop = Path.Combine(_temp.Path, "drop");
        using var siegeKey = SyncKey.Generate();
        using var otherKey = SyncKey.Generate();
        var siegeDb = CreateNode("SIEGE", 1, isSiege: true);
        var siteDb = CreateNode("LYON01", 2, isSiege: false);
        using var transport = new FolderDropTransport(drop);
        var site = new SiteNight(siteDb, transport, otherKey, _temp.File("work-lyon"));
        await site.UploadAsync(await site.ExtractAsync(CycleId.Parse("20261101T020000Z"), null, CancellationToken.None), null, CancellationToken.None);
        var siege = new SiegeNight(siegeDb, transport, siegeKey, _temp.File("work-siege"), Array.Empty<string>());
        var run = await siege.ConsolidateAsync(new[] { SiteCode.Parse("LYON01") }, 1, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(100), null, CancellationToken.None);
        var delivery = Assert.Single(run.Deliveries);
        Assert.Equal("Rejected", delivery.State);
        Assert.Contains(siegeKey.KeyId, delivery.Error);
        Assert.Contains(otherKey.KeyId, delivery.Error);
        Assert.Equal(0L, Count(siegeDb, "MEMBERS WHERE ID >= " + 2 * Range));
    }

    private FbConnectionSettings CreateNode(string code, int number, bool isSiege)
    {
        var settings = new FbConnectionSettings { Database = _temp.File(code + ".fdb"), Charset = "NONE" };
        using var connection = FbConnection.CreateDatabase(settings);
        SampleSchema.Create(connection);
        SampleData.SeedExisting(connection, number, number * Range, 10, new Random(number));
        new CaptureInstaller(connection).Install(new CaptureOptions
        {
            Site = SiteCode.Parse(code),
            SiteNumber = number,
            IsSiege = isSiege,
            KeyLow = number * Range,
            KeyHigh = (number + 1) * Range - 1,
            IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
        });
        return settings;
    }

    private static long Count(FbConnectionSettings settings, string from)
    {
        using var connection = FbConnection.Open(settings);
        using var tx = connection.BeginTransaction();
        return Convert.ToInt64(connection.ExecuteScalar(tx, "SELECT COUNT(*) FROM " + from));
    }

    public void Dispose() => _temp.Dispose();
}
