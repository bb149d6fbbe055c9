using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HeitzSync.Bench;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Transport;

if (args.Length > 0 && args[0] == MemoryBench.ChildCommand) return await MemoryBench.ChildAsync(args.Skip(1).ToArray());
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var started = DateTime.UtcNow;
var clock = Stopwatch.StartNew();
void Log(string line) => Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {line}");
var machine = Machine.Describe();
var loadAtStart = Machine.LoadAverage();
var work = options.WorkFolder ?? Path.Combine(Path.GetTempPath(), "hz-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
using var key = SyncKey.Generate();
var cancel = CancellationToken.None;
var report = new Report(options, machine, started);
var output = options.Output ?? Path.Combine(Machine.RepositoryRoot(), "bench", "results", $"{started:yyyy-MM-dd}-{options.FileTag}{machine.ShortName}.md");
// Written after every measure, so that a long run stopped early still leaves the figures it has (the file says so).
void Save(string? stillToRun)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    File.WriteAllText(output, report.Render(machine, clock.Elapsed, loadAtStart, Machine.LoadAverage(), stillToRun));
}
var done = new HashSet<string>(StringComparer.Ordinal);
void Done(string measure)
{
    done.Add(measure);
    var left = BenchOptions.AllMeasures.Where(m => options.Runs(m) && !done.Contains(m)).ToList();
    Save(left.Count == 0 ? null : string.Join(", ", left));
}
Log($"work folder {work}; {machine.Summary}");

try
{
    // The database (the join measure makes its own).
    ChainInfo? chain = null;
    NightKit? kit = null;
    if (options.Runs("night") || options.Runs("apply") || options.Runs("memory") || options.Runs("held-transaction"))
    {
        Log($"Generating the chain database at scale {options.Scale} ({options.Clubs} clubs)");
        chain = Chain.Create(Path.Combine(work, "chain.fdb"), options.Scale, options.Clubs, options.Seed, Log);
        machine = machine with { Firebird = Machine.FirebirdVersion(chain.Path) };
        report.Database(chain);
        Log($"Preparing the night: {options.Sites} sites, a day changing {options.DailyShare:P1} of {chain.TotalRows:N0} rows");
        kit = NightKit.Prepare(chain, Path.Combine(work, "kit"), options.Sites, options.DailyShare, options.Seed, Log);
        report.Day(kit);
    }

    // Apply rate.
    if (options.Runs("apply"))
    {
        Log($"Apply rate: {options.ApplySites} sites × {options.ApplyChanges:N0} rows");
        var apply = await ApplyRateBench.RunAsync(kit!, Path.Combine(work, "apply"), options.ApplySites, options.ApplyChanges, key, options.Seed, Log, cancel);
        report.ApplyRate(apply);
        Directory.Delete(Path.Combine(work, "apply"), recursive: true);
        Done("apply");
    }

    // A site with years of data joins the chain.
    if (options.Runs("join"))
    {
        Log($"A site with {options.JoinRows:N0} rows joins");
        var join = await JoinBench.RunAsync(Path.Combine(work, "join"), options.JoinRows, key, options.Seed, Log, cancel);
        if (chain is null) machine = machine with { Firebird = Machine.FirebirdVersion(Path.Combine(work, "join", "SIEGE.fdb")) };
        report.Join(join, options.LinkRate);
        Directory.Delete(Path.Combine(work, "join"), recursive: true);
        Done("join");
    }

    // A night with a transaction held open since the previous day, both ways, back to back.
    if (options.Runs("held-transaction"))
    {
        Log("A night with a transaction held open since the previous day");
        var held = HeldTransactionBench.Run(kit!, Path.Combine(work, "held"), key, (long)Math.Round(chain!.TotalRows * options.DailyShare / options.Sites), options.Seed, Log, cancel);
        report.HeldTransaction(held);
        Directory.Delete(Path.Combine(work, "held"), recursive: true);
        Done("held-transaction");
    }

    // Bytes and the whole night through a folder drop, both ways, back to back.
    if (options.Runs("night"))
    {
        Log("HeitzSync night through a folder drop");
        var folderRun = Path.Combine(work, "night-folder");
        var folderDrop = Path.Combine(folderRun, "drop");
        Directory.CreateDirectory(folderDrop);
        var hzFolder = await Nights.RunHeitzSyncAsync(kit!, folderRun, folderDrop, () => new FolderDropTransport(folderDrop), key, null, cancel);
        var differences = Nights.CountDifferences(kit!, Path.Combine(folderRun, "db"));
        if (differences.Count > 0) throw new InvalidOperationException("After the night the databases differ: " + string.Join("; ", differences));
        Log($"  {hzFolder.Total.TotalSeconds:0.0} s; row counts equal everywhere");
        Log("Old way: full backups, gzip, restores");
        var oldLocal = await Nights.RunOldWayLocalAsync(kit!, Path.Combine(work, "oldway"), cancel);
        var oldFolder = await Nights.RunOldWayTransfersAsync(kit!, oldLocal, folderDrop, () => new FolderDropTransport(folderDrop), Path.Combine(work, "oldway", "scratch"), cancel);
        Log($"  {oldLocal.Total.TotalSeconds + oldFolder.Total.TotalSeconds:0.0} s");
        Log("HeitzSync safety backup of one site (gbak + verified restore), for reference");
        var safety = await new HeitzSync.Core.Backup.SafetyBackup().RunAsync(Chain.Settings(kit!.PathOf(kit.Sites.First())), Path.Combine(work, "safety"), 1, null, cancel);
        report.Bytes(hzFolder, oldLocal);
        report.NightFolder(hzFolder, oldLocal, oldFolder, safety);
        Directory.Delete(folderRun, recursive: true);
        Done("night");

        // The network: loopback FTPS, then a shaped link.
        if (options.Runs("network"))
        {
            Log("HeitzSync night and the old way's transfers over FTPS on loopback");
            var ftpRun = Path.Combine(work, "night-ftp");
            var ftpDrop = Path.Combine(ftpRun, "drop");
            using (var server = new BenchFtpServer(ftpDrop, "127.0.0.1", FreePort(), networkNamespace: null))
            {
                var hz = await Nights.RunHeitzSyncAsync(kit, ftpRun, ftpDrop, () => new FtpDropTransport(server.Settings()), key, server.OpenUp, cancel);
                server.OpenUp();
                var old = await Nights.RunOldWayTransfersAsync(kit, oldLocal, ftpDrop, () => new FtpDropTransport(server.Settings()), Path.Combine(work, "oldway", "scratch"), cancel);
                report.NightNetwork("FTPS on loopback (measured)", hz, oldLocal, old);
            }
            Directory.Delete(ftpRun, recursive: true);

            if (options.Shaped)
            {
                Log($"The same over a link shaped to {options.LinkRate} (network namespace, tc tbf both ways)");
                var shapedRun = Path.Combine(work, "night-shaped");
                var shapedDrop = Path.Combine(shapedRun, "drop");
                using var link = new ShapedLink(options.LinkRate);
                using var server = new BenchFtpServer(shapedDrop, link.RemoteAddress, 2121, link.Namespace);
                var hz = await Nights.RunHeitzSyncAsync(kit, shapedRun, shapedDrop, () => new FtpDropTransport(server.Settings()), key, server.OpenUp, cancel);
                Log($"  HeitzSync {hz.Total.TotalSeconds:0.0} s; now the old way's transfers");
                server.OpenUp();
                var old = await Nights.RunOldWayTransfersAsync(kit, oldLocal, shapedDrop, () => new FtpDropTransport(server.Settings()), Path.Combine(work, "oldway", "scratch"), cancel);
                report.NightNetwork($"FTPS over a link shaped to {options.LinkRate} (measured)", hz, oldLocal, old);
                Directory.Delete(shapedRun, recursive: true);
            }
            else
            {
                report.NightComputed(hzFolder, oldLocal, oldFolder, options.LinkRate);
            }

            Log($"FTPS throughput against curl: {options.FtpMiB} MiB × {options.FtpRounds} rounds on loopback");
            var throughputRoot = Path.Combine(work, "ftp-throughput", "root");
            using (var server = new BenchFtpServer(throughputRoot, "127.0.0.1", FreePort(), networkNamespace: null))
            {
                report.Throughput(await FtpThroughput.RunAsync(server, Path.Combine(work, "ftp-throughput", "local"), options.FtpMiB, options.FtpRounds, cancel));
            }
        }
        else
        {
            report.NightComputed(hzFolder, oldLocal, oldFolder, options.LinkRate);
            report.NoThroughput();
        }
        Done("network");
    }

    // Peak memory as the database grows 10×.
    if (options.Runs("memory"))
    {
        Log($"Siège memory at scale {options.Scale / 10} (a chain of its own)");
        var smallChain = Chain.Create(Path.Combine(work, "chain-small.fdb"), options.Scale / 10, options.Clubs, options.Seed + 1, _ => { });
        var smallKit = NightKit.Prepare(smallChain, Path.Combine(work, "kit-small"), options.Sites, options.DailyShare, options.Seed + 1, _ => { });
        var small = await MemoryBench.MeasureAsync(smallKit, Path.Combine(work, "memory-small"), key, cancel);
        Log($"  peak {small.PeakKb:N0} kB");
        Log($"Siège memory at scale {options.Scale}");
        var large = await MemoryBench.MeasureAsync(kit!, Path.Combine(work, "memory-large"), key, cancel);
        Log($"  peak {large.PeakKb:N0} kB");
        report.Memory(small, large);
        Done("memory");
    }

    // What capture costs on disk, and the first send after a full restore (a database of its own).
    if (options.Runs("storage"))
    {
        await StorageAsync();
        Done("storage");
    }

}
finally
{
    if (!options.Keep)
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException ex) { Log($"could not remove {work}: {ex.Message}"); }
    }
}

var text = report.Render(machine, clock.Elapsed, loadAtStart, Machine.LoadAverage(), null);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, text);
Console.WriteLine(text);
Log($"written to {output}");
return 0;

// What capture costs on disk, and the first send after a full restore (measure 7).
async Task StorageAsync()
{
    Log($"Capture on disk: a club of its own at scale {options.SiteScale:0.###} joins a Siège, a week of 1 % days, a full restore");
    var storage = await StorageBench.RunAsync(options.SiteScale, Path.Combine(work, "storage"), key, options.Seed, Log, cancel);
    if (machine.Firebird == "not read yet") machine = machine with { Firebird = storage.Firebird };
    report.Storage(storage);
    try { Directory.Delete(Path.Combine(work, "storage"), recursive: true); }
    catch (IOException ex) { Log($"could not remove the storage work folder: {ex.Message}"); }
}

static int FreePort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
