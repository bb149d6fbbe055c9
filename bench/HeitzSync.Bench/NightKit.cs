using HeitzSync.Core.Capture;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Model;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

internal sealed record KitNode(string Code, int Number, bool IsSiege, string FileName);

/// <summary>
/// The state just before a night: the Siège and N sites, each a copy of the chain database (so in step, as after
/// earlier nights) with capture installed (no initial load: nothing is pending), then one business day at every site
/// changing about 1 % of the chain's rows in all. Kept in a folder and copied for each way of running the night, so
/// every run starts from the same bytes.
/// </summary>
internal sealed class NightKit
{
    private NightKit(string folder, ChainInfo chain, IReadOnlyList<KitNode> nodes, IReadOnlyDictionary<string, DayCounts> days)
    {
        Folder = folder;
        Chain = chain;
        Nodes = nodes;
        Days = days;
    }

    public string Folder { get; }
    public ChainInfo Chain { get; }
    public IReadOnlyList<KitNode> Nodes { get; }
    public IReadOnlyDictionary<string, DayCounts> Days { get; }
    public KitNode Siege => Nodes[0];
    public IEnumerable<KitNode> Sites => Nodes.Skip(1);
    public long DayRows => Days.Values.Sum(d => d.Total);

    public static NightKit Prepare(ChainInfo chain, string folder, int sites, double dailyShare, int seed, Action<string> log)
    {
        if (sites > chain.Clubs) throw new ArgumentOutOfRangeException(nameof(sites), $"The chain has {chain.Clubs} clubs: at most {chain.Clubs} sites.");
        Directory.CreateDirectory(folder);
        var nodes = new List<KitNode> { new("SIEGE", 1, true, "SIEGE.fdb") };
        for (var i = 0; i < sites; i++)
        {
            var number = Bench.Chain.ClubNumber(i);
            nodes.Add(new KitNode(Bench.Chain.ClubCode(number), number, false, Bench.Chain.ClubCode(number) + ".fdb"));
        }
        var days = new Dictionary<string, DayCounts>(StringComparer.Ordinal);
        var perSite = (long)Math.Round(chain.TotalRows * dailyShare / sites);
        foreach (var node in nodes)
        {
            var path = Path.Combine(folder, node.FileName);
            File.Copy(chain.Path, path, overwrite: true);
            using var connection = FbConnection.Open(Bench.Chain.Settings(path));
            new CaptureInstaller(connection).Install(new CaptureOptions
            {
                Site = SiteCode.Parse(node.Code),
                SiteNumber = node.Number,
                IsSiege = node.IsSiege,
                KeyLow = Bench.Chain.KeyLow(node.Number),
                KeyHigh = Bench.Chain.KeyLow(node.Number) + Bench.Chain.KeyRangeSize - 1,
                IsSynchronised = t => SampleSchema.SynchronisedTables.Contains(t),
                InitialLoad = false,
                ReseedGenerators = !node.IsSiege,
            });
            if (!node.IsSiege)
            {
                var day = DailyChange.Apply(connection, node.Number, chain.Clubs, chain.PerClub, perSite, new Random(seed * 7_919 + node.Number));
                days[node.Code] = day;
                log($"  {node.Code}: day of {day.Inserted:N0} inserts, {day.Updated:N0} updates, {day.Deleted:N0} deletes");
            }
        }
        return new NightKit(folder, chain, nodes, days);
    }

    /// <summary>Copies the databases into a new folder, for one run of the night.</summary>
    public string CopyTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var node in Nodes) File.Copy(Path.Combine(Folder, node.FileName), Path.Combine(folder, node.FileName), overwrite: true);
        return folder;
    }

    public string PathOf(KitNode node) => Path.Combine(Folder, node.FileName);
}
