using System.Globalization;
using System.Text.Json;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Fault.Tests.Harness;
using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>One node of the production world: its folder (configuration, secrets, work areas) and its database on the server.</summary>
public sealed record ProductionNode(string Code, int Number, NodeRole Role, string Folder, FbConnectionSettings Database)
{
    public string ConfigPath => Path.Combine(Folder, "heitzsync.json");
    public bool IsSiege => Role == NodeRole.Siege;

    /// <summary>A new attachment through the server, text as stored (as the engine and the comparer read it).</summary>
    public FbConnection Open() => FbConnection.Open(Database with { Charset = "NONE" });

    /// <summary>A new attachment as the business software opens it (UTF8: accented products and labels as text).</summary>
    public FbConnection OpenAsUser() => FbConnection.Open(Database);

    public override string ToString() => Code;
}

/// <summary>What a test may change in the production world before it starts.</summary>
public sealed record ProductionOptions
{
    /// <summary>SQL run in every database after the sample schema; by default <see cref="StampedSales"/> and the shop's
    /// stock (<see cref="Shop"/>), both written as a customer writes them (no guard: init adds HeitzSync's).</summary>
    public IReadOnlyList<string> ExtraSchema { get; init; } = StampedSales(guarded: false).Concat(Shop.Schema()).ToList();

    /// <summary>
    /// A business trigger as real schemas have: every sale is stamped with its time of change (SALES.STAMPED_AT,
    /// synchronised with the row). Unguarded: init guards it (docs/sync-engine.md, "Business triggers"), so a replicated
    /// sale keeps its origin's stamp while the tills' sales, made through the server during the apply, are stamped as
    /// usual. <paramref name="guarded"/>: written with the guard by its author, which init leaves as it is.
    /// </summary>
    public static IReadOnlyList<string> StampedSales(bool guarded) => new[]
    {
        "ALTER TABLE SALES ADD STAMPED_AT TIMESTAMP",
        "CREATE TRIGGER SALES_STAMP FOR SALES ACTIVE BEFORE INSERT OR UPDATE POSITION 10 AS BEGIN " +
        (guarded ? "IF (RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING') IS NOT NULL) THEN EXIT; " : "") +
        "NEW.STAMPED_AT = CURRENT_TIMESTAMP; END",
    };

    /// <summary>A change to each node's configuration before init (tables rules, drop settings...).</summary>
    public Func<ProductionNode, HzSyncConfig, HzSyncConfig>? Configure { get; init; }

    /// <summary>Changes to the documented vsftpd.conf (key, value), for a test that varies one setting.</summary>
    public IReadOnlyDictionary<string, string>? FtpSettings { get; init; }
}

/// <summary>
/// The production shape of issue 13, as a new user would set it up from the docs: a Siège and two sites, each database
/// on the Firebird server (127.0.0.1:3050, files owned by the firebird user), reached with SYSDBA and a stored
/// password; the sites reach the Siège's drop through vsftpd configured exactly as docs/ftp-siege.md says
/// (<see cref="DocumentedVsftpd"/>: one account per site, chrooted to its folder, explicit TLS, the certificate pinned
/// with the SHA-256 the page's openssl command prints), with <c>drop.scope</c> Site; the Siège works on the drop
/// locally. Every night step is the real <c>hzsync</c> process. Tills (<see cref="BusinessWriter"/>) insert sales with
/// lines through the server at every node while the nights run, and <see cref="HoldTransaction"/> leaves a screen open.
/// Every sale is stamped by a business trigger that init guards (<see cref="ProductionOptions.StampedSales"/>), and the
/// checks say that each sale the users made is everywhere, stamped, and that all databases are identical.
/// Built to be extended: the combined scenario adds an FTP outage during the wait (<see cref="Ftp"/>.Server.Stop and
/// Start, or RestartAfter) and a cut upload followed by a rerun (vsftpd's rate limit through
/// <see cref="ProductionOptions.FtpSettings"/>, e.g. local_max_rate, and a kill).
/// </summary>
public sealed class ProductionWorld : IDisposable
{
    public const string SiegeCode = "SIEGE";
    public static readonly IReadOnlyList<string> SiteCodes = new[] { "LYON01", "NICE02" };

    private readonly FirebirdServer _server;
    private readonly string _root;
    private readonly Dictionary<string, BusinessWriter> _writers = new();
    private readonly List<HeldTransaction> _held = new();

    public ProductionWorld(ProductionOptions? options = null)
    {
        Options = options ?? new ProductionOptions();
        HasShop = Options.ExtraSchema.Any(s => s.StartsWith("CREATE TABLE ARTICLES", StringComparison.Ordinal));
        _root = Path.Combine(Path.GetTempPath(), "hz-prod-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _server = new FirebirdServer();
        try
        {
            SiteAccounts = SiteCodes.Select((site, i) => new DocumentedAccount(site, DocumentedVsftpd.NewAccountName(site), $"Prod-{site}-Pass-{i + 1}")).ToList();
            Ftp = new DocumentedVsftpd(SiteAccounts, Options.FtpSettings);
            // Each node is its own machine: made at the same time; the Siège's init first (it writes siege.json into the sites' folders).
            var made = SiteCodes.Select((site, i) => (Code: site, Number: i + 2, Role: NodeRole.Site)).Prepend((Code: SiegeCode, Number: 1, Role: NodeRole.Siege))
                .Select(n => Task.Run(() => NewNode(n.Code, n.Number, n.Role))).ToList();
            Siege = made[0].Result;
            Sites = made.Skip(1).Select(t => t.Result).ToList();
            using (var key = SyncKey.Generate()) key.Save(Path.Combine(_root, "group.key"));
            foreach (var node in Nodes) Configure(node);
            Check(Run(Siege, "init"));
            foreach (var init in Parallel(Sites, site => Run(site, "init"))) Check(init);
            if (HasShop) ChainStock = Shop.Articles.ToDictionary(a => a, a => Nodes.Sum(node => Stock(node, a)));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ProductionOptions Options { get; }

    /// <summary>The schema has the shop's articles and their stock trigger (the default).</summary>
    public bool HasShop { get; }

    /// <summary>Each article's stock for the whole chain before any sale of the tills: the sum of what every node held
    /// (the join adds them up, ARTICLES.STOCK being additive).</summary>
    public IReadOnlyDictionary<string, int> ChainStock { get; } = new Dictionary<string, int>();

    /// <summary>The tables every node must hold alike.</summary>
    public IReadOnlyList<string> SynchronisedTables => HasShop ? SampleSchema.SynchronisedTables.Append("ARTICLES").ToList() : SampleSchema.SynchronisedTables;

    /// <summary>The sites' FTP accounts (this world's own, removed with it) and passwords.</summary>
    public IReadOnlyList<DocumentedAccount> SiteAccounts { get; } = Array.Empty<DocumentedAccount>();
    public DocumentedVsftpd Ftp { get; } = null!;
    public ProductionNode Siege { get; } = null!;
    public IReadOnlyList<ProductionNode> Sites { get; } = Array.Empty<ProductionNode>();
    public IEnumerable<ProductionNode> Nodes => Sites.Prepend(Siege);
    public ProductionNode this[string code] => Nodes.Single(n => n.Code == code);

    /// <summary>Every hzsync process this world ran, in order (for failure messages).</summary>
    public List<HzsyncRun> Log { get; } = new();

    /// <summary>Every sale the tills, the held transactions and the test itself committed.</summary>
    public IEnumerable<WrittenSale> Written => _writers.Values.SelectMany(w => w.Written).Concat(Committed);

    private List<WrittenSale> Committed { get; } = new();

    /// <summary>A sale the test made itself (committed): it must arrive everywhere too.</summary>
    public WrittenSale Record(WrittenSale sale)
    {
        lock (Committed) Committed.Add(sale);
        return sale;
    }

    /// <summary>Sales the test makes at <paramref name="node"/> (a user at a second till), committed one by one.</summary>
    public IReadOnlyList<WrittenSale> Sell(ProductionNode node, int sales, int lines)
    {
        using var till = node.OpenAsUser();
        return Enumerable.Range(0, sales).Select(_ => Record(BusinessWriter.InsertSale(till, node.Code, Shop.TillSale(lines)))).ToList();
    }

    private ProductionNode NewNode(string code, int number, NodeRole role)
    {
        var node = new ProductionNode(code, number, role, Path.Combine(_root, code), _server.Settings(code + ".fdb"));
        Directory.CreateDirectory(node.Folder);
        using var connection = FbConnection.CreateDatabase(node.Database);
        SampleSchema.Create(connection);
        foreach (var statement in Options.ExtraSchema) connection.ExecuteInNewTransaction(statement);
        SampleData.SeedExisting(connection, number, number * 1_000_000_000L, members: 5, new Random(number));
        return node;
    }

    private void Configure(ProductionNode node)
    {
        var config = new HzSyncConfig
        {
            Role = node.Role,
            Site = new SiteIdentity { Code = node.Code, Number = node.Number },
            Database = new DatabaseConfig { Path = node.Database.Database, Server = node.Database.Server, Port = node.Database.Port, User = node.Database.User, PasswordSecret = "database" },
            Drop = node.IsSiege
                ? new DropConfig { Kind = DropKind.Folder, Path = Ftp.Drop }
                : new DropConfig
                {
                    Kind = DropKind.Ftp, Host = Ftp.Server.Host, Port = Ftp.Server.Port, User = SiteAccounts.Single(a => a.Site == node.Code).Account,
                    PasswordSecret = "ftp", Scope = DropScope.Site, CertificateThumbprint = Ftp.PrintedPin, TimeoutSeconds = 10, Retries = 1,
                },
            KeyFile = "../group.key",
            Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" }, AdditiveColumns = HasShop ? new[] { Shop.AdditiveStock } : Array.Empty<string>() },
            Schedule = new ScheduleConfig
            {
                RestartHour = DateTime.Now.AddHours(-1).ToString("HH:mm", CultureInfo.InvariantCulture),
                ReceptionMinutes = 0,
                PackageWaitMinutes = 2,   // sync waits for the answer to its upload; the step-by-step nights pass --wait-minutes 0
                PollSeconds = 1,
                Sites = node.IsSiege ? SiteCodes : Array.Empty<string>(),
            },
            BaseFolder = node.Folder,
        };
        config = Options.Configure?.Invoke(node, config) ?? config;
        HzSyncConfigStore.Save(config, node.ConfigPath);
        var saved = HzSyncConfigStore.Load(node.ConfigPath);
        var secrets = NodeContext.SecretsFor(saved);
        secrets.Set("database", _server.Password);
        if (!node.IsSiege) secrets.Set("ftp", SiteAccounts.Single(a => a.Site == node.Code).Password);
    }

    /// <summary>Changes a node's configuration file (validated as hzsync would).</summary>
    public void Reconfigure(ProductionNode node, Func<HzSyncConfig, HzSyncConfig> change) =>
        HzSyncConfigStore.Save(change(HzSyncConfigStore.Load(node.ConfigPath)), node.ConfigPath);

    /// <summary>Runs one hzsync command for a node, as cron would, and logs it.</summary>
    public HzsyncRun Run(ProductionNode node, string command, params string[] arguments)
    {
        var run = Hzsync.Run(node.Code, node.ConfigPath, command, arguments);
        lock (Log) Log.Add(run);
        return run;
    }

    /// <summary>Starts one hzsync command for a node (with --verbose: a test waits for what it says); <see cref="Finish"/> ends it.</summary>
    public RunningHzsync Start(ProductionNode node, string command, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        new(node.Code, node.ConfigPath, command, arguments, environment);

    /// <summary>Waits for a started command to end, and logs it.</summary>
    public HzsyncRun Finish(RunningHzsync running)
    {
        using (running)
        {
            var run = running.Finish();
            lock (Log) Log.Add(run);
            return run;
        }
    }

    /// <summary>A run that must end OK.</summary>
    public HzsyncRun Check(HzsyncRun run)
    {
        Assert.True(run.ExitCode == 0, $"{run}\n{run.Stdout}\n{run.Stderr}");
        return run;
    }

    /// <summary>Starts a till at every node (or the given ones).</summary>
    public void StartTills(params string[] codes)
    {
        foreach (var node in codes.Length == 0 ? Nodes : codes.Select(c => this[c]))
        {
            if (!_writers.ContainsKey(node.Code)) _writers[node.Code] = new BusinessWriter(node.Code, node.Database);
        }
    }

    public BusinessWriter Till(string code) => _writers[code];

    /// <summary>Stops every till; fails if one met an error.</summary>
    public void StopTills()
    {
        foreach (var writer in _writers.Values) writer.Stop();
    }

    /// <summary>Opens a write transaction at <paramref name="node"/> that inserts a sale and stays idle until committed.</summary>
    public HeldTransaction HoldTransaction(ProductionNode node, int lines = 3)
    {
        var held = new HeldTransaction(node.Code, node.Database, lines);
        _held.Add(held);
        return held;
    }

    /// <summary>Commits a held transaction: its sale must then arrive everywhere.</summary>
    public void Commit(HeldTransaction held)
    {
        held.Commit();
        Committed.Add(held.Sale);
    }

    /// <summary>
    /// One night as cron runs it, with the tills at work: the sites send (at once: each is its own machine), the Siège
    /// consolidates and publishes (no reception wait: every site has delivered), the sites receive. Returns each
    /// process, and the rows each site sent and the Siège published, from their --json reports.
    /// </summary>
    public ProductionNight Night()
    {
        var sends = Parallel(Sites, site => Run(site, "send", "--json"));
        var consolidate = Run(Siege, "consolidate", "--json", "--reception-minutes", "0");
        var receives = Parallel(Sites, site => Run(site, "receive", "--json", "--wait-minutes", "0"));
        return new ProductionNight(sends, consolidate, receives);
    }

    /// <summary>A night in which every process must end OK.</summary>
    public ProductionNight CleanNight()
    {
        var night = Night();
        Assert.True(night.Runs.All(r => r.ExitCode == 0), "a night did not end OK everywhere:\n" + string.Join("\n", night.Runs.Select(r => r + "\n" + r.Stderr)));
        return night;
    }

    public static IReadOnlyList<HzsyncRun> Parallel(IEnumerable<ProductionNode> nodes, Func<ProductionNode, HzsyncRun> run) =>
        nodes.Select(node => Task.Run(() => run(node))).ToList().Select(t => t.Result).ToList();

    /// <summary>Every synchronised table identical, full row content, at the Siège and every site.</summary>
    public void AssertIdentical()
    {
        using var master = Siege.Open();
        var problems = new List<string>();
        foreach (var site in Sites)
        {
            using var other = site.Open();
            foreach (var table in DatabaseComparer.Compare(master, other, SynchronisedTables).Where(t => !t.Identical))
            {
                problems.Add($"{site} {table.Table}: {table.RowsLeft} row(s) at the Siège, {table.RowsRight} at the site; " +
                             string.Join("; ", table.Differences.Take(5).Select(d => $"{d.Key} {d.Kind} {d.Columns}")));
            }
        }
        Assert.True(problems.Count == 0, "the databases differ:\n" + string.Join("\n", problems));
    }

    /// <summary>Every sale the users committed, with all its lines (and its stamp, when the schema stamps), at every node.</summary>
    public void AssertEverySaleEverywhere()
    {
        var written = Written.ToList();
        Assert.NotEmpty(written);
        var stamped = Options.ExtraSchema.Any(s => s.Contains("STAMPED_AT", StringComparison.Ordinal));
        foreach (var node in Nodes)
        {
            using var connection = node.Open();
            using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            var lines = new Dictionary<long, int>();
            var unstamped = new HashSet<long>();
            var sql = "SELECT s.ID, (SELECT COUNT(*) FROM SALE_LINES l WHERE l.SALE_ID = s.ID)" + (stamped ? ", IIF(s.STAMPED_AT IS NULL, 1, 0)" : ", 0") + " FROM SALES s";
            using (var command = connection.Prepare(tx, sql))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    lines[reader.GetInt64(0)] = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
                    if (Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture) == 1) unstamped.Add(reader.GetInt64(0));
                }
            }
            var missing = written.Where(s => !lines.TryGetValue(s.Id, out var count) || count != s.Lines).ToList();
            Assert.True(missing.Count == 0, $"{node} lacks {missing.Count} of the {written.Count} sales users made (or some of their lines), e.g. " +
                                            string.Join(", ", missing.Take(5).Select(s => $"{s.Node} sale {s.Id}")));
            var noStamp = written.Where(s => unstamped.Contains(s.Id)).ToList();
            Assert.True(noStamp.Count == 0, $"{node}: {noStamp.Count} of the {written.Count} sales users made have no stamp, e.g. " +
                                            string.Join(", ", noStamp.Take(5).Select(s => $"{s.Node} sale {s.Id}")));
        }
    }

    /// <summary>A node's stock of <paramref name="article"/>.</summary>
    public static int Stock(ProductionNode node, string article)
    {
        using var connection = node.OpenAsUser();
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Convert.ToInt32(connection.ExecuteScalar(tx, "SELECT STOCK FROM ARTICLES WHERE CODE = ?", article), CultureInfo.InvariantCulture);
    }

    /// <summary>Every article's stock, at every node, is the chain's stock before the tills less every piece any user
    /// sold anywhere: each sale's stock trigger ran exactly once in the whole chain (at its till, never again for its
    /// replicated lines) and the nodes' movements added up.</summary>
    public void AssertStock()
    {
        var written = Written.ToList();
        var problems = (from node in Nodes
                        from article in Shop.Articles
                        let expected = ChainStock[article] - Shop.Sold(written, article)
                        let actual = Stock(node, article)
                        where actual != expected
                        select $"{node} {article}: {actual}, expected {expected}").ToList();
        Assert.True(problems.Count == 0, "stocks differ from the sales:\n" + string.Join("\n", problems));
    }

    /// <summary>The transactions of <paramref name="node"/>'s database that an apply marked (HZ$APPLYING), from
    /// MON$CONTEXT_VARIABLES: the server's own view of which applies are open right now.</summary>
    public static IReadOnlyList<long> ApplyingTransactions(ProductionNode node)
    {
        using var connection = node.Open();
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var open = new List<long>();
        using var command = connection.Prepare(tx, "SELECT v.MON$TRANSACTION_ID FROM MON$CONTEXT_VARIABLES v JOIN MON$TRANSACTIONS t ON t.MON$TRANSACTION_ID = v.MON$TRANSACTION_ID " +
                                                   "WHERE v.MON$VARIABLE_NAME = 'HZ$APPLYING'");
        using var reader = command.ExecuteReader();
        while (reader.Read()) open.Add(reader.GetInt64(0));
        return open;
    }

    /// <summary>Every process this world ran, with its time, and how many sales the users made (the test's output).</summary>
    public void WriteLog(Xunit.Abstractions.ITestOutputHelper output)
    {
        foreach (var run in Log) output.WriteLine(run.ToString());
        output.WriteLine($"{Written.Count()} sale(s) made by the users, {Written.Sum(s => s.Lines)} line(s); " +
                         $"{_writers.Values.Sum(w => w.Conflicts)} sale(s) rung up again after a lock conflict");
        foreach (var writer in _writers) foreach (var m in writer.Value.ConflictMessages) output.WriteLine(writer.Key + ": " + m);
    }

    /// <summary>Temporary (*.part) files left in the drop.</summary>
    public IReadOnlyList<string> FragmentsInDrop() =>
        Directory.GetFiles(Ftp.Drop, "*.part", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Ftp.Drop, f)).ToList();

    /// <summary>What a cut or unfinished step leaves, anywhere in the drop or a node's folders (work, backups, reports):
    /// partial transfers (*.part), temporary files (*.tmp, *.extracting.*), packages still waiting to be sent or
    /// applied (outgoing, incoming), uploads marked unanswered.</summary>
    public IReadOnlyList<string> Fragments()
    {
        static bool IsFragment(string file)
        {
            var name = Path.GetFileName(file);
            var folder = Path.GetFileName(Path.GetDirectoryName(file));
            return name.EndsWith(".part", StringComparison.Ordinal) || name.EndsWith(".tmp", StringComparison.Ordinal) || name.Contains(".extracting.", StringComparison.Ordinal)
                   || name.EndsWith(".unanswered", StringComparison.Ordinal) || folder is "outgoing" or "incoming";
        }
        return Nodes.Select(n => n.Folder).Prepend(Ftp.Drop)
            .SelectMany(root => Directory.GetFiles(root, "*", SearchOption.AllDirectories).Where(IsFragment).Select(f => Path.GetRelativePath(_root, f)))
            .ToList();
    }

    public void Dispose()
    {
        foreach (var writer in _writers.Values) writer.Dispose();
        foreach (var held in _held) held.Dispose();
        Ftp?.Dispose();
        _server.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The processes of one production night and what they moved.</summary>
public sealed record ProductionNight(IReadOnlyList<HzsyncRun> Sends, HzsyncRun Consolidate, IReadOnlyList<HzsyncRun> Receives)
{
    public IEnumerable<HzsyncRun> Runs => Sends.Append(Consolidate).Concat(Receives);

    /// <summary>The rows <paramref name="site"/>'s package carried (its send report).</summary>
    public long RowsSent(string site) => Report(Sends.Single(r => r.Node == site)).GetProperty("rowsSent").GetInt64();

    /// <summary>The rows of the Siège's package that <paramref name="site"/> applied or kept (its receive report).</summary>
    public long RowsReceived(string site) => Report(Receives.Single(r => r.Node == site)).GetProperty("rowsReceived").GetInt64();

    private static JsonElement Report(HzsyncRun run)
    {
        try
        {
            return JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"{run} did not print a JSON report: {run.Stdout}", ex);
        }
    }
}
