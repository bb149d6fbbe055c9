using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HeitzSync.Core.Transport;
using HeitzSync.Testing.Ftp;

// Uploads and downloads the same file through a real vsftpd over FTPS on loopback, alternating HeitzSync's
// transport and curl in each round (so machine noise hits both alike), and writes the medians and ratios.
var inv = CultureInfo.InvariantCulture;
var sizeMb = args.Length > 0 ? int.Parse(args[0], inv) : 200;
var rounds = args.Length > 1 ? int.Parse(args[1], inv) : 3;
var work = Path.Combine(Path.GetTempPath(), "hz-bench-ftp-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
var file = Path.Combine(work, "payload.bin");
using (var output = File.Create(file))
{
    var block = new byte[1 << 20];
    var random = new Random(42);
    for (var i = 0; i < sizeMb; i++)
    {
        random.NextBytes(block);   // incompressible, like an encrypted package
        output.Write(block);
    }
}
var expected = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
using var server = new VsftpdServer(tls: true);
using var drop = new FtpDropTransport(server.Settings());
var url = $"ftp://127.0.0.1:{server.Port}";
var curlAuth = $"--ssl-reqd -k -s -S --user {VsftpdServer.User}:{VsftpdServer.Password}";
var results = new Dictionary<string, List<double>> { ["HeitzSync upload"] = new(), ["curl upload"] = new(), ["HeitzSync download"] = new(), ["curl download"] = new() };

for (var round = 1; round <= rounds; round++)
{
    results["HeitzSync upload"].Add(await Time(() => drop.UploadAsync(file, DropPath.Of($"hz{round}.bin"), null, CancellationToken.None)));
    results["curl upload"].Add(await Time(() => Curl($"{curlAuth} -T {file} {url}/curl{round}.bin")));
    var back = Path.Combine(work, $"back{round}.bin");
    results["HeitzSync download"].Add(await Time(() => drop.DownloadAsync(DropPath.Of($"hz{round}.bin"), back, null, CancellationToken.None)));
    Check(back);
    File.Delete(back);
    results["curl download"].Add(await Time(() => Curl($"{curlAuth} -o {back} {url}/curl{round}.bin")));
    Check(back);
    File.Delete(back);
    Console.Error.WriteLine($"round {round} done");
}

double Median(List<double> seconds) => seconds.OrderBy(s => s).ElementAt(seconds.Count / 2);
double Rate(string name) => sizeMb / Median(results[name]);
var lines = new List<string>
{
    $"# FTPS throughput on loopback: HeitzSync's transport vs curl",
    "",
    $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {Environment.ProcessorCount} cores, {Memory()}, {Cpu()}; .NET {Environment.Version}; vsftpd {Version("dpkg-query", "-W -f=${Version} vsftpd")}; {Version("curl", "--version")}.",
    $"Command: `dotnet run -c Release --project bench/FtpThroughput -- {sizeMb} {rounds}` (as root; starts its own vsftpd on 127.0.0.1 with explicit TLS).",
    $"File: {sizeMb} MiB of random bytes (incompressible, like a package); {rounds} rounds, each running both clients in turn; median per client; every download checked by SHA-256.",
    "",
    "| transfer | HeitzSync (MiB/s) | curl (MiB/s) | HeitzSync / curl |",
    "|---|---:|---:|---:|",
    $"| upload | {Rate("HeitzSync upload"):0.0} | {Rate("curl upload"):0.0} | {Rate("HeitzSync upload") / Rate("curl upload"):0.00} |",
    $"| download | {Rate("HeitzSync download"):0.0} | {Rate("curl download"):0.0} | {Rate("HeitzSync download") / Rate("curl download"):0.00} |",
    "",
    "Raw seconds per round: " + string.Join("; ", results.Select(r => $"{r.Key}: {string.Join(", ", r.Value.Select(v => v.ToString("0.00", inv)))}")),
};
var report = string.Join(Environment.NewLine, lines) + Environment.NewLine;
Console.Write(report);
var target = args.Length > 2 ? args[2] : null;
if (target is not null) File.WriteAllText(target, report);
Directory.Delete(work, recursive: true);

void Check(string path)
{
    var actual = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
    if (actual != expected) throw new InvalidOperationException($"{path} does not match the uploaded file");
}

static async Task<double> Time(Func<Task> action)
{
    var watch = Stopwatch.StartNew();
    await action();
    return watch.Elapsed.TotalSeconds;
}

static Task Curl(string arguments)
{
    using var process = Process.Start(new ProcessStartInfo("curl", arguments) { UseShellExecute = false, RedirectStandardError = true })!;
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException("curl failed: " + process.StandardError.ReadToEnd());
    return Task.CompletedTask;
}

static string Memory() => File.ReadLines("/proc/meminfo").First().Replace("MemTotal:", "").Trim() + " memory";
static string Cpu() => File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown CPU";
static string Version(string program, string flag)
{
    using var process = Process.Start(new ProcessStartInfo(program, flag) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
    var text = (process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd()).Split('\n')[0].Trim();
    process.WaitForExit();
    return text;
}
