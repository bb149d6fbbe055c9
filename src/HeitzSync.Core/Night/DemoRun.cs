using HeitzSync.Core.Capture;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

public sealed record DemoOptions
{
    public int Sites { get; init; } = 3;
    public int Nights { get; init; } = 2;
    public required string WorkFolder { get; init; }
    public int Seed { get; init; } = 20261122;
    public int MembersPerSite { get; init; } = 200;
}

/// <summary>One demo night, per node.</summary>
public sealed record DemoNightLine(int Night, string Node, long RowsSent, long RowsApplied, long RowsKeptForTomorrow, int Conflicts, long BytesSent);

/// <summary>Row counts and whether every database holds exactly the same rows, per synchronised table.</summary>
public sealed record DemoTableLine(string Table, long Rows, bool IdenticalEverywhere);

public sealed record DemoDatabase(string Node, int Number, string Role, string Path);

public sealed record DemoSummary(
    string WorkFolder,
    string DropFolder,
    int Nights,
    IReadOnlyList<DemoDatabase> Databases,
    IReadOnlyList<string> SynchronisedTables,
    IReadOnlyList<string> LocalOnlyTables,
    IReadOnlyList<DemoNightLine> NightLines,
    IReadOnlyList<DemoTableLine> Tables,
    bool Converged,
    TimeSpan Duration);

/// <summary>
/// The demo night (`hzsync demo`): a Siège and N sites as embedded databases with years of data of their own,
/// K business days with conflicting edits, each followed by a night through a folder drop; then every
/// synchronised table is compared, full row content, across all databases.
/// </summary>
public static class DemoRun
{
    public const long KeyRangeSize = 1_000_000_000;

    public static async Task<DemoSummary> RunAsync(DemoOptions options, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.Sites < 1 || options.Sites > 50) throw new ArgumentOutOfRangeException(nameof(options), "--sites must be between 1 and 50.");
        if (options.Nights < 1 || options.Nights > 30) throw new ArgumentOutOfRangeException(nameof(options), "--nights must be between 1 and 30.");
        var started = DateTimeOffset.UtcNow;
        var root = Path.GetFullPath(options.WorkFolder);
        var codes = new[] { "SIEGE" }.Concat(Enumerable.Range(1, options.Sites).Select(i => $"CLUB{i:00}")).ToList();
        DemoFolder.Prepare(root, new[] { "drop", "work", "group.key", "group.key.part" }.Concat(codes.Select(c => c + ".fdb")).ToList());
        var dropFolder = Path.Combine(root, "drop");
        Directory.CreateDirectory(dropFolder);
        using var key = SyncKey.Generate();
        key.Save(Path.Combine(root, "group.key"));
        var random = new Random(options.Seed);

        var nodes = new List<(string Code, int Number, bool IsSiege, FbConnectionSettings Settings)>
        {
            ("SIEGE", 1, true, Settings(root, "SIEGE")),
        };
        for (var i = 1; i <= options.Sites; i++)
        {
            var code = $"CLUB{i:00}";
            nodes.Add((code, i + 1, false, Settings(root, code)));
        }

        foreach (var node in nodes)
        {
            progress?.Report(new SyncProgress("Setup", $"Creating {node.Code} with data of its own", 0));
            using var connection = FbConnection.CreateDatabase(node.Settings, "UTF8");
            SampleSchema.Create(connection);
            SampleData.SeedExisting(connection, node.Number, node.Number * KeyRangeSize, options.MembersPerSite, random);
            new CaptureInstaller(connection).Install(new CaptureOptions
            {
                Site = SiteCode.Parse(node.Code),
                SiteNumber = node.Number,
                IsSiege = node.IsSiege,
                KeyLow = node.Number * KeyRangeSize,
                KeyHigh = (node.Number + 1) * KeyRangeSize - 1,
                IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
            });
        }

        var lines = new List<DemoNightLine>();
        using var drop = new FolderDropTransport(dropFolder);
        var siegeNode = nodes[0];
        var siege = new SiegeNight(siegeNode.Settings, drop, key, Path.Combine(root, "work", siegeNode.Code), Array.Empty<string>());
        var sites = nodes.Skip(1).Select(n => (n.Code, Night: new SiteNight(n.Settings, drop, key, Path.Combine(root, "work", n.Code)))).ToList();
        var shared = SharedMembers(nodes[1].Number);
        for (var night = 1; night <= options.Nights; night++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var node in nodes)
            {
                progress?.Report(new SyncProgress($"Day {night}", $"Business day at {node.Code}", 0));
                using var connection = FbConnection.Open(node.Settings);
                BusinessDay.Simulate(connection, node.Number, node.Number * KeyRangeSize, random, new BusinessDayOptions
                {
                    Day = new DateTime(2026, 1, 5).AddDays(night - 1),
                    ConflictMemberIds = night > 1 ? shared : Array.Empty<long>(),
                });
            }

            var cycle = CycleId.FromTime(DateTimeOffset.UtcNow, night);
            var sent = new Dictionary<string, (long Rows, long Bytes)>();
            foreach (var (code, site) in sites)
            {
                progress?.Report(new SyncProgress($"Night {night}", $"{code}: extract and send", 10));
                var package = await site.ExtractAsync(cycle, null, cancellationToken).ConfigureAwait(false);
                await site.UploadAsync(package, null, cancellationToken).ConfigureAwait(false);
                sent[code] = (package.Rows, package.Bytes);
            }
            progress?.Report(new SyncProgress($"Night {night}", "Siège: consolidate", 40));
            var known = sites.Select(s => SiteCode.Parse(s.Code)).ToList();
            var consolidation = await siege.ConsolidateAsync(known, known.Count, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken).ConfigureAwait(false);
            if (consolidation.Errors > 0)
            {
                throw new InvalidOperationException("The demo's consolidation refused a package: " + string.Join("; ", consolidation.Deliveries.Where(d => d.Error is not null).Select(d => d.Error)));
            }
            progress?.Report(new SyncProgress($"Night {night}", "Siège: publish", 60));
            await siege.PublishAsync(cycle, null, cancellationToken).ConfigureAwait(false);
            lines.Add(new DemoNightLine(night, siegeNode.Code, 0, consolidation.RowsApplied, 0, consolidation.Conflicts, 0));
            foreach (var (code, site) in sites)
            {
                progress?.Report(new SyncProgress($"Night {night}", $"{code}: receive and apply", 80));
                var received = await site.ReceiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null, cancellationToken).ConfigureAwait(false);
                lines.Add(new DemoNightLine(night, code, sent[code].Rows, received.RowsApplied, received.RowsSkipped, 0, sent[code].Bytes));
            }
        }

        progress?.Report(new SyncProgress("Compare", "Comparing every database with the Siège", 90));
        var tables = new List<DemoTableLine>();
        using (var master = FbConnection.Open(siegeNode.Settings))
        {
            var identical = SampleSchema.SynchronisedTables.ToDictionary(t => t, _ => true);
            var rows = new Dictionary<string, long>();
            foreach (var node in nodes.Skip(1))
            {
                using var other = FbConnection.Open(node.Settings);
                foreach (var comparison in DatabaseComparer.Compare(master, other, SampleSchema.SynchronisedTables))
                {
                    rows[comparison.Table] = comparison.RowsLeft;
                    if (!comparison.Identical) identical[comparison.Table] = false;
                }
            }
            tables.AddRange(SampleSchema.SynchronisedTables.Select(t => new DemoTableLine(t, rows.TryGetValue(t, out var n) ? n : 0, identical[t])));
        }
        return new DemoSummary(root, dropFolder, options.Nights,
            nodes.Select(n => new DemoDatabase(n.Code, n.Number, n.IsSiege ? "Siege" : "Site", n.Settings.Database)).ToList(),
            SampleSchema.SynchronisedTables.ToList(), SampleSchema.LocalOnlyTables.ToList(),
            lines, tables, tables.All(t => t.IdenticalEverywhere), DateTimeOffset.UtcNow - started);
    }

    /// <summary>A few of the first site's members that every node edits on the same day: deliberate conflicts.</summary>
    private static IReadOnlyList<long> SharedMembers(int firstSiteNumber) =>
        new[] { firstSiteNumber * KeyRangeSize + 1, firstSiteNumber * KeyRangeSize + 2 };

    private static FbConnectionSettings Settings(string root, string code) =>
        new() { Database = Path.Combine(root, code + ".fdb"), User = "SYSDBA", Charset = "NONE" };

}
