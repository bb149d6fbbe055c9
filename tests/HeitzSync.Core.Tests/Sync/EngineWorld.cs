using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Tests.Sync;

/// <summary>
/// A Siège and several sites as real embedded Firebird databases in a temporary folder, driven at engine level
/// (extract → consolidate → publish → apply) with change streams in plain files. Packaging and transport are
/// proven by their own tests; the night through them is the end-to-end suite's.
/// </summary>
internal sealed class EngineWorld : IDisposable
{
    public const long RangeSize = 1_000_000;
    private readonly string _root;
    private readonly Func<string, FbConnectionSettings>? _placeDatabase;

    /// <param name="placeDatabase">Where each node's database lives, from its file name: an embedded file in the
    /// world's folder by default, or e.g. a file served by the local Firebird server.</param>
    public EngineWorld(int siteCount, string? schemaSql = null, Func<string, FbConnectionSettings>? placeDatabase = null)
    {
        _placeDatabase = placeDatabase;
        _root = Path.Combine(Path.GetTempPath(), "hz-engine-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        Siege = CreateNode("SIEGE", 1, isSiege: true, schemaSql ?? TestSchema.Sql);
        for (var i = 0; i < siteCount; i++)
        {
            Sites.Add(CreateNode($"SITE{i + 2:00}", i + 2, isSiege: false, schemaSql ?? TestSchema.Sql));
        }
    }

    /// <summary>The world's own temporary folder (deleted with it).</summary>
    public string Folder => _root;

    public EngineNode Siege { get; }
    public List<EngineNode> Sites { get; } = new();
    public IEnumerable<EngineNode> All => new[] { Siege }.Concat(Sites);
    public List<Conflict> Conflicts { get; } = new();

    private EngineNode CreateNode(string code, int number, bool isSiege, string schemaSql)
    {
        var settings = (_placeDatabase?.Invoke(code + ".fdb") ?? new FbConnectionSettings { Database = Path.Combine(_root, code + ".fdb") }) with { Charset = "NONE" };
        var connection = FbConnection.CreateDatabase(settings, "UTF8");
        foreach (var statement in schemaSql.Split(new[] { ";;" }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (statement.Trim().Length > 0) connection.ExecuteInNewTransaction(statement);
        }
        return new EngineNode(code, number, isSiege, connection);
    }

    /// <summary>Installs capture everywhere (after the caller seeded existing data, if any).</summary>
    public void InitializeAll(Func<string, bool>? isSynchronised = null)
    {
        foreach (var node in All)
        {
            node.Initialize(isSynchronised ?? (t => t != "LOCAL_SETTINGS"));
        }
    }

    /// <summary>One night: every site in <paramref name="sending"/> extracts and delivers; the Siège consolidates in
    /// site order and publishes; every site in <paramref name="receiving"/> applies its package.</summary>
    public void Night(IEnumerable<EngineNode>? sending = null, IEnumerable<EngineNode>? receiving = null, string? cycle = null)
    {
        var cycleId = cycle is null ? NextCycle() : CycleId.Parse(cycle);
        var delivered = new List<(EngineNode Site, string File, ExtractResult Result)>();
        foreach (var site in sending ?? Sites)
        {
            delivered.Add((site, site.Extract(_root, cycleId, out var result), result));
        }
        foreach (var (site, file, result) in delivered.OrderBy(d => d.Site.Number))
        {
            Conflicts.AddRange(Siege.Consolidate(file, result, cycleId).Conflicts);
        }
        foreach (var site in receiving ?? Sites)
        {
            site.ApplyFrom(Siege, _root, cycleId);
        }
    }

    private int _cycleCounter;

    public CycleId NextCycle() => CycleId.FromTime(new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero).AddDays(++_cycleCounter));

    public void Dispose()
    {
        foreach (var node in All)
        {
            node.Dispose();
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal sealed class EngineNode : IDisposable
{
    public EngineNode(string code, int number, bool isSiege, FbConnection connection)
    {
        Code = code;
        Number = number;
        IsSiege = isSiege;
        Connection = connection;
    }

    public string Code { get; }
    public int Number { get; }
    public bool IsSiege { get; }
    public FbConnection Connection { get; }
    public long KeyLow => Number * EngineWorld.RangeSize;

    public CaptureInstallResult Initialize(Func<string, bool> isSynchronised) =>
        new CaptureInstaller(Connection).Install(new CaptureOptions
        {
            Site = SiteCode.Parse(Code),
            SiteNumber = Number,
            IsSiege = IsSiege,
            KeyLow = KeyLow,
            KeyHigh = KeyLow + EngineWorld.RangeSize - 1,
            IsSynchronised = isSynchronised,
        });

    public string Extract(string folder, CycleId cycle, out ExtractResult result)
    {
        var file = Path.Combine(folder, $"{Code}_{cycle}_up.bin");
        using (var stream = File.Create(file))
        {
            result = new ChangeExtractor(Connection).Extract(stream, null, CancellationToken.None);
        }
        return file;
    }

    public ConsolidationResult Consolidate(string file, ExtractResult package, CycleId cycle) =>
        new Consolidator(Connection, Array.Empty<string>()).Consolidate(
            new SitePackageFacts(package.Site, package.SiteNumber, package.KeyLow, package.KeyHigh, cycle, package.Covered, package.Acknowledging),
            () => File.OpenRead(file),
            CancellationToken.None);

    public SiteApplyResult ApplyFrom(EngineNode siege, string folder, CycleId cycle)
    {
        var file = PublishFrom(siege, folder, cycle, out var published);
        return Apply(file, published, cycle);
    }

    /// <summary>The Siège publishes this site's package into a file (each publish is a new package).</summary>
    public string PublishFrom(EngineNode siege, string folder, CycleId cycle, out ExtractResult published)
    {
        var file = Path.Combine(folder, $"{Code}_{cycle}_down.bin");
        using var stream = File.Create(file);
        published = new SitePublisher(siege.Connection).Publish(SiteCode.Parse(Code), stream, CancellationToken.None);
        return file;
    }

    public SiteApplyResult Apply(string file, ExtractResult published, CycleId cycle) =>
        new SiteApplier(Connection).Apply(
            new SiegePackageFacts(SiteCode.Parse(Code), cycle, published.Covered, published.Acknowledging),
            () => File.OpenRead(file),
            CancellationToken.None);

    public void Sql(string sql, params object?[] args) => Connection.ExecuteInNewTransaction(sql, args);

    public object? Scalar(string sql, params object?[] args)
    {
        using var tx = Connection.BeginTransaction();
        return Connection.ExecuteScalar(tx, sql, args);
    }

    public void Dispose() => Connection.Dispose();
}
