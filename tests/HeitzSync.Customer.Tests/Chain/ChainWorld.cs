using System.Globalization;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Scheduling;
using HeitzSync.Core.Secrets;
using HeitzSync.Firebird;
using HeitzSync.Testing.Customer;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Customer.Tests.Chain;

/// <summary>
/// How one night runs: who is there. Every node runs as its scheduled task does (<c>hzsync sync</c>, each in a process
/// of its own, waiting as its configuration says: the Siège until every registered site has delivered, a site until the
/// Siège's answer has come).
/// </summary>
public sealed record NightPlan
{
    /// <summary>Nodes that do not run tonight (a site offline, the Siège down); their business goes on.</summary>
    public IReadOnlySet<string> Absent { get; init; } = new HashSet<string>();

    /// <summary>
    /// A site is offline: the Siège starts once every running site's package of tonight lies in its up/ folder, with
    /// receptionMinutes 0 tonight (it consolidates what is there), so that the night's outcome does not depend on how
    /// fast the machine is.
    /// </summary>
    public bool SiegeAfterUploads { get; init; }

    /// <summary>
    /// The Siège is down: the sites run in the test's process, one after another, each waiting this long for an answer
    /// that does not come (a configuration's wait is a minute at least). Null: each site runs its scheduled process.
    /// </summary>
    public TimeSpan? SitesInProcessWaiting { get; init; }

    /// <summary>Runs the Siège's night instead of its scheduled process (a crash...).</summary>
    public Func<ChainNode, Task<SyncReport?>>? Siege { get; init; }
}

/// <summary>
/// A club-and-shop chain on this machine: the Siège and four sites, each with the customer's own schema
/// (<see cref="CustomerSchema"/>) and years of data of its own, set up as README says: a group key made by
/// <c>hzsync key new</c>, one heitzsync.json per node, the database password stored as a secret, <c>init</c> on every
/// node (the Siège first). The Siège and three sites use the Firebird server (their tills sell while the nights run);
/// the last site uses an embedded file (a full package restores only a file). Every business transaction goes into the
/// <see cref="Ledger"/>.
/// </summary>
public sealed class ChainWorld : IDisposable
{
    /// <summary>keyRangeSize as README says for INTEGER keys and up to 20 sites.</summary>
    public const long KeyRangeSize = 100_000_000;

    /// <summary>One minute of the schedule (startTime, staggerMinutes) in this test: site n starts n × 5 × 40 ms after the Siège.</summary>
    public const int MillisecondsPerScheduledMinute = 40;

    public static readonly IReadOnlyList<string> Tables = CustomerSchema.SynchronisedTables;

    /// <summary>The articles each server node's till sells during the nights (one node each, so that two tills never
    /// stamp the same article at the same instant).</summary>
    public static readonly IReadOnlyDictionary<string, int[]> NightArticles = new Dictionary<string, int[]>
    {
        ["SIEGE"] = new[] { 11, 12 }, ["NANCY"] = new[] { 13, 14 }, ["METZ"] = new[] { 15, 16 }, ["REIMS"] = new[] { 17, 18 },
    };

    private static readonly DateTime HistoryStamp = new(2025, 6, 1, 10, 0, 0);
    private readonly FirebirdServer _server;
    private readonly List<NightWriter> _writers = new();

    private ChainWorld(FirebirdServer server, string root)
    {
        _server = server;
        Root = root;
        ChainNode Node(string code, int number, NodeRole role, bool onServer)
        {
            var folder = Path.Combine(root, code);
            Directory.CreateDirectory(folder);
            return new ChainNode(code, number, role, folder, onServer ? Path.Combine(server.Folder, code + ".fdb") : Path.Combine(folder, code + ".fdb"), onServer);
        }
        Siege = Node("SIEGE", 1, NodeRole.Siege, onServer: true);
        Sites = new[] { Node("NANCY", 2, NodeRole.Site, true), Node("METZ", 3, NodeRole.Site, true), Node("REIMS", 4, NodeRole.Site, true), Node("DIJON", 5, NodeRole.Site, false) };
        Ledger = new EditLedger { NotCarriedAsIs = new[] { "STOCK", "LINES_SOLD" } };
        Business = new ClubBusiness(Ledger);
    }

    public string Root { get; }
    public string DropFolder => Path.Combine(Root, "drop");
    public ChainNode Siege { get; }
    public IReadOnlyList<ChainNode> Sites { get; }
    public IEnumerable<ChainNode> Nodes => Sites.Prepend(Siege);
    public ChainNode this[string code] => Nodes.Single(n => n.Code == code);
    public EditLedger Ledger { get; }
    public ClubBusiness Business { get; }

    /// <summary>Per article, the stock before any sale: every node's stock when it joined plus the lines it had sold by then.</summary>
    public Dictionary<int, long> InitialStock { get; } = new();

    /// <summary>Per node, the sales its till made (each writes one TILL_LOG line there, and only there).</summary>
    public Dictionary<string, int> SalesMade { get; } = new();

    /// <summary>The Siège's member whose delete at one site the Siège must refuse (issue 12, case 1).</summary>
    public int RefusedMember => Siege.KeyLow + 5;

    /// <summary>Members of the Siège's history (n = 1..3) that two nodes edit the same day (conflicts).</summary>
    public int ContestedMember(int n) => Siege.KeyLow + 5 + n;

    /// <summary>
    /// The chain before HeitzSync: the key file (hzsync key new), each node's folder, database (schema and history) and
    /// database secret. The configuration files are written by the test, as a user would.
    /// </summary>
    public static async Task<ChainWorld> CreateAsync()
    {
        var server = new FirebirdServer();
        var world = new ChainWorld(server, Path.Combine(Path.GetTempPath(), "hz-chain-" + Guid.NewGuid().ToString("N")));
        try
        {
            Directory.CreateDirectory(world.DropFolder);
            var key = await HzsyncProcess.RunAsync("key", "new", "--path", Path.Combine(world.Root, "group.key"));
            Assert.True(key.ExitCode == 0, key.ToString());
            foreach (var node in world.Nodes)
            {
                var settings = node.OnServer ? server.Settings(Path.GetFileName(node.DatabasePath), "NONE") : new FbConnectionSettings { Database = node.DatabasePath, Charset = "NONE" };
                FbConnection.CreateDatabase(settings, "UTF8").Dispose();
                CustomerSchema.Create(settings);
                using var connection = FbConnection.Open(settings);
                world.History(node, connection);
            }
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>Stores the database password as Set-HzSyncCredential -Name db does (README: "passwordSecret": "db").</summary>
    public void StoreDatabaseSecrets()
    {
        foreach (var node in Nodes.Where(n => n.OnServer)) SecretStore.ForConfig(node.Config).Set("db", _server.Password);
    }

    /// <summary>Years of data of the node's own before it joins (keys in its own range, generators past them), and the
    /// articles its shop holds: the same keys at several nodes, some rows the same, some not.</summary>
    private void History(ChainNode node, FbConnection connection)
    {
        var (articles, stock, members, sales) = node.Code switch
        {
            "SIEGE" => (Enumerable.Range(1, 20), 1000, 8, new[] { new[] { (1, 2), (2, 1) }, new[] { (3, 4) } }),
            "NANCY" => (Enumerable.Range(1, 20), 37, 6, new[] { new[] { (1, 3) }, new[] { (2, 2), (5, 1) } }),
            "METZ" => (Enumerable.Range(1, 20), 200, 5, new[] { new[] { (2, 1) } }),
            "REIMS" => (Enumerable.Range(17, 4), 10, 4, new[] { new[] { (19, 2) } }),
            _ => (Enumerable.Range(1, 10), 50, 5, new[] { new[] { (4, 1) } }),
        };
        CustomerSchema.SeedArticles(connection, articles.First(), articles.Count(), stock, 9.90m, HistoryStamp);
        if (node.Code == "NANCY")
        {
            // Its own stock count of article 1 and its own price of article 3, entered years ago.
            CustomerSchema.WithoutStamps(connection, () =>
            {
                connection.ExecuteInNewTransaction("UPDATE ARTICLE SET STOCK = -5135 WHERE ID = 1");
                connection.ExecuteInNewTransaction("UPDATE ARTICLE SET PRICE = 12.50 WHERE ID = 3");
            });
        }
        var names = new[] { "Hélène Lefèvre", "Zoé Siège", "Jérôme Dupré", "Agnès Müller", "Benoît Fauré", "Cécile Noël", "François Gaël", "Maëlle Bréhat" };
        using (var tx = connection.BeginTransaction())
        {
            for (var i = 1; i <= members; i++)
            {
                connection.Execute(tx, "INSERT INTO MEMBER (ID, NAME, SPONSOR_ID, BALANCE) VALUES (?, ?, ?, ?)", node.KeyLow + i,
                    CustomerSchema.Win1252($"{names[i - 1]} ({node.Code.ToLowerInvariant()})"), i % 2 == 0 ? node.KeyLow + 1 : null, 10m * i);
            }
            // Member 1 sponsors the even ones. Subscriptions of members 1 and 5 (the Siège's member 5 is the one whose delete will be refused), entries of members 1 and 2.
            connection.Execute(tx, "INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND, STARTS) VALUES (?, ?, ?, ?)", node.KeyLow + 1, node.KeyLow + 1, CustomerSchema.Win1252("Année complète"), new DateTime(2025, 1, 1));
            connection.Execute(tx, "INSERT INTO SUBSCRIPTION (ID, MEMBER_ID, KIND, STARTS) VALUES (?, ?, ?, ?)", node.KeyLow + 2, node.KeyLow + Math.Min(5, members), CustomerSchema.Win1252("Été"), new DateTime(2025, 6, 1));
            connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 1)", node.KeyLow + 1, node.KeyLow + 1, HistoryStamp);
            connection.Execute(tx, "INSERT INTO ENTRY (ID, MEMBER_ID, AT_TIME, GATE) VALUES (?, ?, ?, 2)", node.KeyLow + 2, node.KeyLow + 2, HistoryStamp);
            tx.Commit();
        }
        for (var s = 0; s < sales.Length; s++)
        {
            CustomerSchema.Sell(connection, node.KeyLow + 1 + s, s == 0 ? node.KeyLow + 1 : null, sales[s]);
        }
        SalesMade[node.Code] = sales.Length;
        // The business software's generators stand past what it handed out.
        foreach (var (generator, last) in new[] { ("GEN_MEMBER", members), ("GEN_SUBSCRIPTION", 2), ("GEN_ENTRY", 2), ("GEN_SALE", sales.Length) })
        {
            connection.ExecuteInNewTransaction($"SELECT GEN_ID({generator}, {node.KeyLow + last} - GEN_ID({generator}, 0)) FROM RDB$DATABASE");
        }
    }

    /// <summary>After init, before any business: the rows each node brings (its initial load), and the stock per article.</summary>
    public void RecordJoin()
    {
        foreach (var node in Nodes)
        {
            using var connection = node.Open();
            Ledger.Seed(node, connection, Tables);
            using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            using var command = connection.Prepare(tx, "SELECT a.ID, a.STOCK + COALESCE((SELECT SUM(l.QTY) FROM SALE_LINE l WHERE l.ARTICLE_ID = a.ID), 0) FROM ARTICLE a");
            using var reader = command.ExecuteReader();
            while (reader.Read()) InitialStock[reader.GetInt32(0)] = InitialStock.GetValueOrDefault(reader.GetInt32(0)) + reader.GetInt64(1);
        }
    }

    /// <summary>
    /// One night as the scheduled tasks run it: the Siège at startTime, site n at n × staggerMinutes after it (the
    /// times Core's SchedulePlanner gives Register-HzSyncTask), all concurrently; meanwhile every server node's till keeps
    /// selling. Returns each running node's report of the night.
    /// </summary>
    public async Task<Dictionary<string, SyncReport>> NightAsync(NightPlan plan, bool tillsSell = true)
    {
        if (tillsSell) StartTills();
        try
        {
            var runs = Nodes.Where(n => !plan.Absent.Contains(n.Code)).Select(node => Task.Run(async () =>
            {
                var config = node.Config;
                var scheduled = SchedulePlanner.Plan(config, ScheduledCommand.Hzsync("hzsync", Array.Empty<string>(), node.ConfigPath));
                await Task.Delay(TimeSpan.FromMilliseconds(scheduled.OffsetMinutes * MillisecondsPerScheduledMinute));
                SyncReport? report;
                if (node.IsSiege && plan.Siege is not null) report = await plan.Siege(node);
                else if (node.IsSiege && plan.SiegeAfterUploads)
                {
                    await UploadsOfTonightAsync(Sites.Where(s => !plan.Absent.Contains(s.Code)));
                    node.WriteConfig(KeyRangeSize, receptionMinutes: 0);
                    report = await ScheduledProcessAsync(node, scheduled);
                    node.WriteConfig(KeyRangeSize);
                }
                else if (!node.IsSiege && plan.SitesInProcessWaiting is { } wait) report = await InProcessAsync(config, wait);
                else report = await ScheduledProcessAsync(node, scheduled);
                return (node.Code, report);
            })).ToList();
            var reports = await Task.WhenAll(runs);
            return reports.Where(r => r.report is not null).ToDictionary(r => r.Code, r => r.report!);
        }
        finally
        {
            await StopTillsAsync();
        }
    }

    private readonly SemaphoreSlim _inProcess = new(1, 1);

    /// <summary>
    /// A site's night in the test's own process, one at a time: each night verifies its safety backup by restoring it
    /// into a temporary embedded database, and two at once in one process could reuse each other's freed inode under the
    /// Firebird lock folder they share (see <see cref="ChainNode.ProcessEnvironment"/>).
    /// </summary>
    private async Task<SyncReport> InProcessAsync(HzSyncConfig config, TimeSpan packageWait)
    {
        await _inProcess.WaitAsync();
        try
        {
            return await NodeRunner.SyncAsync(config, TimeSpan.Zero, packageWait, null, CancellationToken.None);
        }
        finally
        {
            _inProcess.Release();
        }
    }

    /// <summary>
    /// A node's night as its scheduled task runs it: the scheduled command (hzsync sync --config ...) in a process of its
    /// own with a Firebird lock folder of its own, as on its own machine (an embedded database's gbak, a separate
    /// process, also needs the file closed by every other engine). Its waits are the configuration's.
    /// </summary>
    private static async Task<SyncReport> ScheduledProcessAsync(ChainNode node, SchedulePlan scheduled)
    {
        using var process = HzsyncProcess.Start(scheduled.Arguments, node.ProcessEnvironment);
        var exit = await HzsyncProcess.FinishAsync(process, "sync", TimeSpan.FromMinutes(5));
        var report = node.Reports(1).Single();
        Assert.True(report.Operation == "Sync" && exit.ExitCode == (report.State switch { ReportState.OK => 0, ReportState.Partial => 1, _ => 2 }), $"{node}: {exit}; {Why(report)}");
        return report;
    }

    /// <summary>Waits until each of <paramref name="sites"/> has a package in its up/ folder (the Siège removes what it
    /// consolidated, so one there is tonight's).</summary>
    private async Task UploadsOfTonightAsync(IEnumerable<ChainNode> sites)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        foreach (var site in sites)
        {
            var up = Path.Combine(DropFolder, site.Code, "up");
            while (!Directory.Exists(up) || !Directory.GetFiles(up).Any(f => f.EndsWith(PackageNames.Extension, StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"{site} uploaded nothing within 120 s");
                await Task.Delay(150);
            }
        }
    }

    private void StartTills()
    {
        foreach (var node in Nodes.Where(n => n.OnServer))
        {
            _writers.Add(NightWriter.Start(node, Business, NightArticles[node.Code]));
        }
    }

    private async Task StopTillsAsync()
    {
        foreach (var writer in _writers)
        {
            var sold = await writer.StopAsync();
            SalesMade[writer.Node.Code] = SalesMade.GetValueOrDefault(writer.Node.Code) + sold;
        }
        _writers.Clear();
    }

    private readonly Dictionary<string, Queue<int>> _daySales = new();
    private readonly Dictionary<string, Queue<int>> _daySubscriptions = new();
    private readonly Dictionary<string, int> _trialMembers = new();

    /// <summary>
    /// A business day at every node (an offline site works as usual): two members join (the second sponsored by the
    /// first, a self reference inside one package), a subscription, two entries, two sales, a balance; from the third day
    /// a sale and a subscription of an earlier day are cancelled; a trial member joins on day 2 and leaves on day 4
    /// (its subscription goes with it by cascade). Every transaction goes into the ledger. The tills sell articles from
    /// <paramref name="firstArticle"/> on.
    /// </summary>
    public void BusinessDay(int day, int firstArticle = 1)
    {
        foreach (var node in Nodes)
        {
            using var connection = node.Open();
            var random = new Random(day * 100 + node.Number);
            var members = Business.ReferableMembers(connection);
            var articles = ClubBusiness.Articles(connection).Where(a => a >= firstArticle).ToList();
            var date = new DateTime(2026, 3, 1).AddDays(day);
            var sales = _daySales.TryGetValue(node.Code, out var s) ? s : _daySales[node.Code] = new Queue<int>();
            var subscriptions = _daySubscriptions.TryGetValue(node.Code, out var q) ? q : _daySubscriptions[node.Code] = new Queue<int>();

            var newcomer = Business.AddMember(node, connection, $"Adhérent n°{day} de {node.Code} (Ève)", members[random.Next(members.Count)], $"day {day}: joins");
            Business.AddMember(node, connection, $"Filleule de l'adhérent {newcomer}", newcomer, $"day {day}: sponsored by {newcomer}");
            subscriptions.Enqueue(Business.AddSubscription(node, connection, newcomer, "Mois d'été", date));
            for (var i = 0; i < 2; i++) Business.AddEntry(node, connection, members[random.Next(members.Count)], (short)(1 + i));
            for (var i = 0; i < 2; i++)
            {
                var lines = Enumerable.Range(0, 1 + random.Next(2)).Select(_ => (articles[random.Next(articles.Count)], 1 + random.Next(3))).ToList();
                sales.Enqueue(Business.Sell(node, connection, i == 0 ? newcomer : null, lines));
                CountSale(node);
            }
            Business.UpdateMember(node, connection, node.KeyLow + 1 + day % 2, balance: 100m + day * 10 + node.Number, why: $"day {day}: balance");
            if (day >= 3)
            {
                Business.DeleteSale(node, connection, sales.Dequeue());
                Business.DeleteSubscription(node, connection, subscriptions.Dequeue());
            }
            if (day == 2)
            {
                var trial = Business.AddMember(node, connection, "Séance d'essai", null, "day 2: trial member");
                Business.Unreferenced.Add(trial);
                Business.AddSubscription(node, connection, trial, "Essai gratuit", date);
                _trialMembers[node.Code] = trial;
            }
            if (day == 4 && _trialMembers.TryGetValue(node.Code, out var leaving))
            {
                Business.DeleteMember(node, connection, leaving, "day 4: the trial member leaves");
            }
        }
    }

    /// <summary>Counts a sale made by the test's day business at <paramref name="node"/>.</summary>
    public void CountSale(ChainNode node) => SalesMade[node.Code] = SalesMade.GetValueOrDefault(node.Code) + 1;

    public void Dispose()
    {
        foreach (var writer in _writers) writer.StopAsync().GetAwaiter().GetResult();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _server.Dispose();
    }

    public static string Why(SyncReport report) =>
        $"{report.Node} {report.Operation} {report.State}: {report.Summary}" + string.Concat(report.Errors.Select(e => $" | {e.ErrorId}: {e.Message}"));
}

/// <summary>A till that keeps selling at one node while the night runs (its own attachment through the server).</summary>
public sealed class NightWriter
{
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _loop = Task.FromResult(0);

    private NightWriter(ChainNode node) => Node = node;

    public ChainNode Node { get; }

    /// <summary>Sales that failed (a lock held too long by an apply...): each is a user's sale that did not go through.</summary>
    public List<string> Failures { get; } = new();

    public static NightWriter Start(ChainNode node, ClubBusiness business, IReadOnlyList<int> articles)
    {
        var writer = new NightWriter(node);
        writer._loop = Task.Run(async () =>
        {
            var sold = 0;
            using var connection = node.Open();
            while (!writer._stop.IsCancellationRequested)
            {
                var article = articles[sold % articles.Count];
                try
                {
                    business.Sell(node, connection, null, new[] { (article, 1 + sold % 3) }, ordered: false);
                    sold++;
                }
                catch (FbException ex)
                {
                    writer.Failures.Add(ex.Message);
                    if (writer.Failures.Count > 20) throw;
                }
                try
                {
                    await Task.Delay(150, writer._stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return sold;
        });
        return writer;
    }

    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        var sold = await _loop;
        Assert.True(Failures.Count == 0, $"{Node}'s till could not sell during the night: {string.Join(" | ", Failures)}");
        return sold;
    }
}
