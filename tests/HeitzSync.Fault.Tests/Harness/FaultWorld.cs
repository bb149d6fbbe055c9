using System.Globalization;
using HeitzSync.Core;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Demo;
using HeitzSync.Core.Packaging;
using HeitzSync.Firebird;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>One node of the chain on this machine: its folder holds heitzsync.json, its embedded database and its work areas.</summary>
public sealed record Node(string Code, int Number, NodeRole Role, string Folder)
{
    public const long KeyRangeSize = 1_000_000_000;
    public string ConfigPath => Path.Combine(Folder, "heitzsync.json");
    public string DatabasePath => Path.Combine(Folder, Code + ".fdb");
    public string WorkFolder => Path.Combine(Folder, "work");
    public long KeyLow => Number * KeyRangeSize;
    public bool IsSiege => Role == NodeRole.Siege;

    /// <summary>An embedded attachment; every text byte as stored (NONE), as the engine and the comparer read it.</summary>
    public FbConnection Open() => FbConnection.Open(new FbConnectionSettings { Database = DatabasePath, Charset = "NONE" });

    public override string ToString() => Code;
}

/// <summary>Where a night's process is made to die: the node, the hzsync command, the fault point, and how many hits of it pass first.</summary>
public sealed record InjectedFault(string Node, string Command, string Point, int After = 0)
{
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        [FaultPoints.AtVariable] = Point,
        [FaultPoints.AfterVariable] = After.ToString(CultureInfo.InvariantCulture),
    };

    public override string ToString() => After == 0 ? $"{Point} ({Node} {Command})" : $"{Point} after {After} hit(s) ({Node} {Command})";
}

/// <summary>The processes of one night, in the order they ran.</summary>
public sealed class NightRuns
{
    public List<HzsyncRun> Runs { get; } = new();
    public IEnumerable<HzsyncRun> Killed => Runs.Where(r => r.KilledAt is not null);
    public override string ToString() => string.Join(Environment.NewLine, Runs);
}

/// <summary>
/// A Siège and three sites on one machine, each with its own embedded database (SampleSchema, SampleData with
/// <see cref="MembersPerSite"/> members, <c>hzsync init</c>), a folder drop shared by all, one group key. Every path in
/// the configuration files is relative, so a world is copied whole: each test starts from a copy of one template world
/// that has already run its first night (the initial load) and converged.
/// </summary>
public sealed class FaultWorld : IDisposable
{
    public const string SiegeCode = "SIEGE";
    public const int MembersPerSite = 20;
    public static readonly IReadOnlyList<string> SiteCodes = new[] { "LYON01", "NICE02", "METZ03" };
    public static readonly DateTime FirstDay = new(2026, 1, 5);

    /// <summary>A member of LYON01's seed that every node holds: every node changes it on every business day (a conflict each day).</summary>
    public static readonly long ContestedMember = 2 * Node.KeyRangeSize + 1;

    private static readonly Lazy<string> Template = new(BuildTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly bool _ownsRoot;

    private FaultWorld(string root, bool ownsRoot)
    {
        Root = root;
        _ownsRoot = ownsRoot;
        DropFolder = Path.Combine(root, "drop");
        Siege = new Node(SiegeCode, 1, NodeRole.Siege, Path.Combine(root, SiegeCode));
        Sites = SiteCodes.Select((code, i) => new Node(code, i + 2, NodeRole.Site, Path.Combine(root, code))).ToList();
    }

    public string Root { get; }
    /// <summary>The Siège's drop folder on disk (the FTP root's drop folder when the sites use FTPS).</summary>
    public string DropFolder { get; set; }
    public Node Siege { get; }
    public IReadOnlyList<Node> Sites { get; }
    public IEnumerable<Node> Nodes => Sites.Prepend(Siege);
    public Node this[string code] => Nodes.Single(n => n.Code == code);

    /// <summary>Every hzsync process this world ran, in order.</summary>
    public List<HzsyncRun> Log { get; } = new();

    /// <summary>Nodes whose processes run with a clock this far off (libfaketime), e.g. "+2h".</summary>
    public Dictionary<string, string> ClockOffsets { get; } = new();

    /// <summary>A fresh copy of the template world (built once per test run): converged after its first night.</summary>
    public static FaultWorld FromTemplate()
    {
        var root = Path.Combine(Path.GetTempPath(), "hz-fault-" + Guid.NewGuid().ToString("N"));
        CopyFolder(Template.Value, root);
        return new FaultWorld(root, ownsRoot: true);
    }

    /// <summary>Runs one hzsync command for a node and logs it; checks that an armed process died at its point and that no other did.</summary>
    public HzsyncRun Run(Node node, string command, InjectedFault? fault = null, params string[] arguments)
    {
        var run = RunUnlogged(node, command, fault is null ? Array.Empty<InjectedFault>() : new[] { fault }, arguments);
        Log.Add(run);
        Check(run, fault is null ? Array.Empty<InjectedFault>() : new[] { fault });
        return run;
    }

    private HzsyncRun RunUnlogged(Node node, string command, IReadOnlyList<InjectedFault> faults, string[] arguments)
    {
        var armed = Armed(node, command, faults);
        ClockOffsets.TryGetValue(node.Code, out var clock);
        return Hzsync.Run(node.Code, node.ConfigPath, command, arguments, armed?.Environment, clock);
    }

    private static InjectedFault? Armed(Node node, string command, IReadOnlyList<InjectedFault> faults) =>
        faults.SingleOrDefault(f => f.Node == node.Code && f.Command == command);

    private void Check(HzsyncRun run, IReadOnlyList<InjectedFault> faults)
    {
        var armed = Armed(this[run.Node], run.Command, faults);
        if (armed is not null)
        {
            Assert.True(run.KilledAt == armed.Point && run.ExitCode == HzsyncRun.SigKillExitCode,
                $"{armed} was armed but the process did not die there: {run}");
        }
        else
        {
            Assert.True(run.KilledAt is null, $"an unarmed process died of a fault point: {run}");
        }
    }

    /// <summary>
    /// One night: the sites send (each on its own machine in real life, so here at the same time: each has its own
    /// database and folders), then the Siège consolidates and publishes (no reception wait: every site that could
    /// deliver has), then the sites receive (at the same time, no wait). A fault with command "backup" runs that
    /// node's safety backup first. <paramref name="beforeConsolidate"/> and <paramref name="beforeReceive"/> let a
    /// test act on the drop between the phases.
    /// </summary>
    public NightRuns Night(IReadOnlyList<InjectedFault>? faults = null, bool siegeWorks = true, Action? beforeConsolidate = null, Action? beforeReceive = null)
    {
        faults ??= Array.Empty<InjectedFault>();
        var night = new NightRuns();
        void Phase(IEnumerable<(Node Node, string[] Commands, string[] Arguments)> work)
        {
            var tasks = work.Select(w => Task.Run(() => w.Commands.Select(c => RunUnlogged(w.Node, c, faults, w.Arguments)).ToList())).ToList();
            Task.WaitAll(tasks.ToArray());
            foreach (var run in tasks.SelectMany(t => t.Result))
            {
                Log.Add(run);
                night.Runs.Add(run);
            }
            foreach (var run in tasks.SelectMany(t => t.Result)) Check(run, faults);
        }
        string[] WithBackup(Node node, string command) =>
            faults.Any(f => f.Node == node.Code && f.Command == "backup") ? new[] { "backup", command } : new[] { command };

        Phase(Sites.Select(site => (site, WithBackup(site, "send"), Array.Empty<string>())));
        beforeConsolidate?.Invoke();
        if (siegeWorks) Phase(new[] { (Siege, WithBackup(Siege, "consolidate"), new[] { "--reception-minutes", "0" }) });
        beforeReceive?.Invoke();
        Phase(Sites.Select(site => (site, new[] { "receive" }, new[] { "--wait-minutes", "0" })));
        return night;
    }

    public NightRuns Night(InjectedFault fault) => Night(new[] { fault });

    /// <summary>A night in which nothing fails: every process must end OK (exit 0).</summary>
    public NightRuns CleanNight()
    {
        var night = Night();
        Assert.True(night.Runs.All(r => r.ExitCode == 0), "a night with no fault did not end OK everywhere:" + Environment.NewLine + night);
        return night;
    }

    /// <summary>Changes a node's configuration file (validated as hzsync would).</summary>
    public void Reconfigure(Node node, Func<HzSyncConfig, HzSyncConfig> change) =>
        HzSyncConfigStore.Save(change(HzSyncConfigStore.Load(node.ConfigPath)), node.ConfigPath);

    /// <summary>A business day at every node (the Siège is a club too), written in this test process through the embedded engine.</summary>
    public void BusinessDay(int day, Func<Node, BusinessDayOptions, BusinessDayOptions>? adjust = null)
    {
        foreach (var node in Nodes)
        {
            var options = new BusinessDayOptions
            {
                Day = FirstDay.AddDays(day),
                NewMembers = 3,
                Entries = 8,
                Sales = 3,
                MemberUpdates = 3,
                SaleDeletes = 1,
                ConflictMemberIds = new[] { ContestedMember },
            };
            options = adjust?.Invoke(node, options) ?? options;
            using var connection = node.Open();
            Core.Demo.BusinessDay.Simulate(connection, node.Number, node.KeyLow, new Random(day * 100 + node.Number), options);
        }
    }

    /// <summary>
    /// Gives <paramref name="members"/> of the node's own members a new photo of <paramref name="bytes"/> random (so
    /// incompressible) bytes: the next packages carrying them are larger than a transport's 1 MB copy block, so that a
    /// transfer killed after its first block leaves a genuinely partial file.
    /// </summary>
    public void BigPhotos(Node node, int members, int bytes)
    {
        var random = new Random(node.Number);
        using var connection = node.Open();
        using var tx = connection.BeginTransaction();
        using var ids = connection.Prepare(tx, "SELECT FIRST " + members.ToString(CultureInfo.InvariantCulture) + " ID FROM MEMBERS WHERE ID BETWEEN ? AND ? ORDER BY ID");
        var own = new List<long>();
        using (var reader = ids.ExecuteReader(node.KeyLow, node.KeyLow + Node.KeyRangeSize - 1))
        {
            while (reader.Read()) own.Add(reader.GetInt64(0));
        }
        Assert.Equal(members, own.Count);
        foreach (var id in own)
        {
            var photo = new byte[bytes];
            random.NextBytes(photo);
            connection.Execute(tx, "UPDATE MEMBERS SET PHOTO = ? WHERE ID = ?", photo, id);
        }
        tx.Commit();
    }

    /// <summary>Every synchronised table identical, full row content, at the Siège and every site.</summary>
    public void AssertIdentical()
    {
        using var master = Siege.Open();
        var problems = new List<string>();
        foreach (var site in Sites)
        {
            using var other = site.Open();
            foreach (var table in DatabaseComparer.Compare(master, other, SampleSchema.SynchronisedTables).Where(t => !t.Identical))
            {
                problems.Add($"{site} {table.Table}: {table.RowsLeft} row(s) at the Siège, {table.RowsRight} at the site; " +
                             string.Join("; ", table.Differences.Take(5).Select(d => $"{d.Key} {d.Kind} {d.Columns}")));
            }
        }
        Assert.True(problems.Count == 0, "the databases differ:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    /// <summary>Temporary files (*.part) a killed process left in the nodes' folders or the drop, for the report table.</summary>
    public string Leftovers()
    {
        var folders = DropFolder.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? new[] { Root } : new[] { Root, DropFolder };
        var files = folders.SelectMany(folder => Directory.GetFiles(folder, "*.part", SearchOption.AllDirectories)
                .Select(f => folder == Root ? Path.GetRelativePath(Root, f) : "drop/" + Path.GetRelativePath(folder, f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        return files.Count == 0 ? "no temporary file left" : "left behind: " + string.Join(", ", files);
    }

    private static string BuildTemplate()
    {
        // The test host does not always run ProcessExit handlers, so each template is named after its process and a
        // new run removes those of processes that are gone.
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "hz-fault-template-*"))
        {
            var pid = Path.GetFileName(stale).Split('-')[3];
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && !Shell.IsRunning(id)) DeleteFolder(stale);
        }
        var root = Path.Combine(Path.GetTempPath(), $"hz-fault-template-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteFolder(root);
        var world = new FaultWorld(root, ownsRoot: false);
        using (var key = SyncKey.Generate()) key.Save(Path.Combine(root, "group.key"));
        foreach (var node in world.Nodes)
        {
            var config = new HzSyncConfig
            {
                Role = node.Role,
                Site = new SiteIdentity { Code = node.Code, Number = node.Number },
                Database = new DatabaseConfig { Path = node.Code + ".fdb" },
                Drop = new DropConfig { Kind = DropKind.Folder, Path = "../drop" },
                KeyFile = "../group.key",
                KeyRangeSize = Node.KeyRangeSize,
                Tables = new TableRules { LocalOnly = new[] { "WORKSTATION_*" } },
                Schedule = new ScheduleConfig
                {
                    RestartHour = DateTime.Now.AddHours(-1).ToString("HH:mm", CultureInfo.InvariantCulture),
                    ReceptionMinutes = 0,
                    PackageWaitMinutes = 0,
                    PollSeconds = 1,
                    Sites = node.IsSiege ? SiteCodes : Array.Empty<string>(),
                },
                BaseFolder = node.Folder,
            };
            HzSyncConfigStore.Save(config, node.ConfigPath);
            using (var connection = FbConnection.CreateDatabase(new FbConnectionSettings { Database = node.DatabasePath }))
            {
                SampleSchema.Create(connection);
                SampleData.SeedExisting(connection, node.Number, node.KeyLow, MembersPerSite, new Random(node.Number));
            }
            var init = world.Run(node, "init");
            Assert.True(init.ExitCode == 0, init.ToString());
        }
        // The initial load: every node's existing rows merged at the Siège and handed to everyone.
        world.CleanNight();
        world.AssertIdentical();
        return root;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, File.GetUnixFileMode(from));   // owner-only folders stay so
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    internal static void DeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless; the test's verdict is already made.
        }
    }

    public void Dispose()
    {
        if (_ownsRoot) DeleteFolder(Root);
    }
}
