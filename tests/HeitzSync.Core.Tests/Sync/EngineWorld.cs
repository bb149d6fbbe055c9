using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;

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

    public EngineWorld(int siteCount, string? schemaSql = null)
        : this(siteCount, connection => RunScript(connection, schemaSql ?? TestSchema.Sql))
    {
    }

    /// <param name="createSchema">Creates the business schema in a new database (its NONE attachment is given).</param>
    /// <param name="placeDatabase">Where node <c>code</c>'s database lives (default: an embedded file in the world's folder).</param>
    public EngineWorld(int siteCount, Action<FbConnection> createSchema, Func<string, FbConnectionSettings>? placeDatabase = null)
    {
        _root = Path.Combine(Path.GetTempPath(), "hz-engine-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        var place = placeDatabase ?? (code => new FbConnectionSettings { Database = Path.Combine(_root, code + ".fdb") });
        Siege = CreateNode("SIEGE", 1, isSiege: true, place, createSchema);
        for (var i = 0; i < siteCount; i++)
        {
            Sites.Add(CreateNode($"SITE{i + 2:00}", i + 2, isSiege: false, place, createSchema));
        }
    }

    /// <summary>A world of the customer's schema (tests/HeitzSync.Testing/Customer), rules as <see cref="CustomerRules"/> says.</summary>
    public static EngineWorld Customer(int siteCount, Func<string, FbConnectionSettings>? placeDatabase = null) =>
        new(siteCount, connection => CustomerSchema.Create(connection.Settings), placeDatabase)
        {
            IsSynchronised = t => t != CustomerSchema.LocalTable,
            Configure = CustomerRules,
        };

    /// <summary>The customer's declarations: ARTICLE.STOCK additive, ARTICLE.LINES_SOLD local, its counting trigger run during applies.</summary>
    public static CaptureOptions CustomerRules(CaptureOptions options) => options with
    {
        AdditiveColumns = CustomerSchema.AdditiveColumns,
        LocalColumns = CustomerSchema.LocalColumns,
        TriggersRunDuringApply = CustomerSchema.TriggersRunDuringApply,
    };

    /// <summary>Upserts per batch call in every apply of this world (1: row by row); null: the engine's default.</summary>
    public int? BatchRows
    {
        get => _batchRows;
        init
        {
            _batchRows = value;
            foreach (var node in All) node.BatchRows = value;
        }
    }

    private readonly int? _batchRows;

    /// <summary>Which tables <see cref="InitializeAll()"/> synchronises.</summary>
    public Func<string, bool> IsSynchronised { get; init; } = t => t != "LOCAL_SETTINGS";

    /// <summary>Adds declarations (additive and local columns, triggers) to every node's capture options.</summary>
    public Func<CaptureOptions, CaptureOptions> Configure { get; init; } = o => o;

    internal static void RunScript(FbConnection connection, string schemaSql)
    {
        foreach (var statement in schemaSql.Split(new[] { ";;" }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (statement.Trim().Length > 0) connection.ExecuteInNewTransaction(statement);
        }
    }

    /// <summary>The world's own temporary folder (deleted with it).</summary>
    public string Folder => _root;

    public EngineNode Siege { get; }
    public List<EngineNode> Sites { get; } = new();
    public IEnumerable<EngineNode> All => new[] { Siege }.Concat(Sites);
    public List<Conflict> Conflicts { get; } = new();

    /// <summary>Every consolidation of <see cref="Night"/>, in order.</summary>
    public List<ConsolidationResult> Consolidations { get; } = new();

    private EngineNode CreateNode(string code, int number, bool isSiege, Func<string, FbConnectionSettings> place, Action<FbConnection> createSchema)
    {
        var settings = place(code) with { Charset = "NONE" };
        var connection = FbConnection.CreateDatabase(settings, "UTF8");
        createSchema(connection);
        return new EngineNode(code, number, isSiege, connection);
    }

    /// <summary>Installs capture everywhere (after the caller seeded existing data, if any).</summary>
    public void InitializeAll(Func<string, bool>? isSynchronised = null)
    {
        foreach (var node in All)
        {
            node.Initialize(isSynchronised ?? IsSynchronised, Configure);
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
            var consolidation = Siege.Consolidate(file, result, cycleId);
            Consolidations.Add(consolidation);
            Conflicts.AddRange(consolidation.Conflicts);
        }
        foreach (var site in receiving ?? Sites)
        {
            site.ApplyFrom(Siege, _root, cycleId);
        }
        // As the Siège's night does after publishing: every later night meets the master with its old versions folded.
        VersionRows.FoldAtSiege(Siege.Connection, CancellationToken.None);
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

    /// <summary>Upserts per batch call in this node's applies (1: row by row); null: the engine's default.</summary>
    public int? BatchRows { get; set; }

    public CaptureInstallResult Initialize(Func<string, bool> isSynchronised, Func<CaptureOptions, CaptureOptions>? configure = null) =>
        new CaptureInstaller(Connection).Install((configure ?? (o => o))(Options(isSynchronised)));

    /// <summary>This node's capture options with the world's range size.</summary>
    public CaptureOptions Options(Func<string, bool> isSynchronised) => new()
    {
        Site = SiteCode.Parse(Code),
        SiteNumber = Number,
        IsSiege = IsSiege,
        KeyLow = KeyLow,
        KeyHigh = KeyLow + EngineWorld.RangeSize - 1,
        IsSynchronised = isSynchronised,
    };

    /// <summary>Moves the recorded time of this node's last change of one key (as if its clock had said so), so a test
    /// orders two nodes' edits without waiting for the clock.</summary>
    public void SetChangeTime(string table, string keyColumn, object key, DateTime local)
    {
        var id = Convert.ToInt32(Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = ?", table));
        Sql($"UPDATE {FbSql.QuoteIdentifier("HZ$V_" + id)} SET CHANGED_AT = ? WHERE {FbSql.QuoteIdentifier(keyColumn)} = ?", local, key);
    }

    public DateTime ChangeTime(string table, string keyColumn, object key)
    {
        var id = Convert.ToInt32(Scalar("SELECT ID FROM HZ$TABLES WHERE TABLE_NAME = ?", table));
        return (DateTime)Scalar($"SELECT CHANGED_AT FROM {FbSql.QuoteIdentifier("HZ$V_" + id)} WHERE {FbSql.QuoteIdentifier(keyColumn)} = ?", key)!;
    }

    public string Extract(string folder, CycleId cycle, out ExtractResult result)
    {
        var file = Path.Combine(folder, $"{Code}_{cycle}_up.bin");
        using (var stream = File.Create(file))
        {
            result = new ChangeExtractor(Connection).Extract(stream, null, CancellationToken.None);
        }
        return file;
    }

    public ConsolidationResult Consolidate(string file, ExtractResult package, CycleId cycle)
    {
        using var consolidator = new Consolidator(Connection, Array.Empty<string>()) { BatchRows = BatchRows ?? UpsertBatch.MaxSlots };
        return consolidator.Consolidate(
            new SitePackageFacts(package.Site, package.SiteNumber, package.KeyLow, package.KeyHigh, cycle, package.Covered, package.Acknowledging),
            () => File.OpenRead(file),
            CancellationToken.None);
    }

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
        new SiteApplier(Connection) { BatchRows = BatchRows ?? UpsertBatch.MaxSlots }.Apply(
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
