using System.Diagnostics;
using System.Security.Cryptography;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using Xunit.Abstractions;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

/// <summary>Runs alone, so that the working set measured is this test's.</summary>
[CollectionDefinition(nameof(LargePackageCollection), DisableParallelization = true)]
public sealed class LargePackageCollection { }

[Collection(nameof(LargePackageCollection))]
[Trait("Category", "Unit")]
public sealed class LargePackageTests : IDisposable
{
    private const long PayloadLength = 200L * 1024 * 1024;
    private const long CheckEvery = 16L * 1024 * 1024;
    private const int Buffer = 64 * 1024;

    private readonly ITestOutputHelper _output;
    private readonly TempFolder _temp = new("hz-pkg-large");
    private readonly SyncKey _key = SyncKey.Generate();

    public LargePackageTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_200_MB_payload_round_trips_streamed_in_constant_memory()
    {
        var path = _temp.File("PARIS01_20261122T020000Z_full.hzp");
        using var peak = new WorkingSetWatch();

        // Write: the generator checks, as it is read, that the package file grows behind it (nothing is held back).
        long lastPartLength = 0;
        long nextCheck = CheckEvery;
        var growthFailures = new List<string>();
        var generator = new PayloadGenerator(PayloadLength, seed: 42)
        {
            AfterRead = produced =>
            {
                if (produced < nextCheck) return;
                nextCheck += CheckEvery;
                var partLength = new FileInfo(path + ".part").Length;
                if (partLength < lastPartLength + 1024 * 1024) growthFailures.Add($"after {produced} bytes the package was {partLength} bytes");
                lastPartLength = partLength;
            },
        };
        var buffer = new byte[Buffer];
        using var expectedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        PackageManifest manifest;
        using (var writer = PackageWriter.Create(path, _key))
        {
            int read;
            while ((read = generator.Read(buffer, 0, buffer.Length)) > 0)
            {
                expectedHash.AppendData(buffer, 0, read);
                writer.Payload.Write(buffer, 0, read);
            }
            manifest = writer.Complete(SampleManifest() with { Kind = PackageKind.Full, FromSequence = 0, ToSequence = 0 });
        }
        var writeSeconds = watch.Elapsed.TotalSeconds;
        var writeAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Empty(growthFailures);
        Assert.Equal(PayloadLength, manifest.PayloadLength);
        Assert.Equal(Convert.ToHexString(expectedHash.GetHashAndReset()).ToLowerInvariant(), manifest.PayloadSha256);
        var fileLength = new FileInfo(path).Length;

        // Read: compared block by block with a second generator of the same seed, never kept.
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        watch.Restart();
        var expected = new PayloadGenerator(PayloadLength, seed: 42);
        var expectedBlock = new byte[Buffer];
        long total = 0;
        using (var reader = PackageReader.Open(path, _key))
        {
            var openSeconds = watch.Elapsed.TotalSeconds;
            _output.WriteLine($"MAC pass over {fileLength / 1e6:F0} MB file: {openSeconds:F1} s ({fileLength / 1e6 / openSeconds:F0} MB/s)");
            using var payload = reader.OpenPayload();
            int read;
            while ((read = payload.Read(buffer, 0, buffer.Length)) > 0)
            {
                expected.ReadExactly(expectedBlock, 0, read);
                if (!buffer.AsSpan(0, read).SequenceEqual(expectedBlock.AsSpan(0, read)))
                {
                    Assert.Fail($"The payload differs within the block at {total}.");
                }
                total += read;
            }
        }
        var readSeconds = watch.Elapsed.TotalSeconds;
        var readAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(PayloadLength, total);
        Assert.Equal(0, expected.Read(expectedBlock, 0, 1));

        var mb = PayloadLength / 1e6;
        _output.WriteLine($"payload {mb:F0} MB -> package {fileLength / 1e6:F0} MB");
        _output.WriteLine($"write: {writeSeconds:F1} s, {mb / writeSeconds:F0} MB/s, {writeAllocated / 1e6:F1} MB allocated");
        _output.WriteLine($"open + read: {readSeconds:F1} s, {mb / readSeconds:F0} MB/s, {readAllocated / 1e6:F1} MB allocated");
        _output.WriteLine($"working set grew by at most {peak.GrowthBytes / 1e6:F0} MB");

        // Buffering the payload anywhere in managed memory would allocate at least its size.
        Assert.True(writeAllocated < 16 * 1024 * 1024, $"writing allocated {writeAllocated} bytes");
        Assert.True(readAllocated < 16 * 1024 * 1024, $"reading allocated {readAllocated} bytes");
        Assert.True(peak.GrowthBytes < PayloadLength / 2, $"the working set grew by {peak.GrowthBytes} bytes for a {PayloadLength}-byte payload");
    }

    /// <summary>Samples the process working set in the background; reports the largest growth over the starting value.</summary>
    private sealed class WorkingSetWatch : IDisposable
    {
        private readonly long _start;
        private readonly Timer _timer;
        private long _max;

        public WorkingSetWatch()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _start = Current();
            _max = _start;
            _timer = new Timer(_ => Sample(), null, 0, 25);
        }

        public long GrowthBytes
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _max) - _start;
            }
        }

        private void Sample()
        {
            var now = Current();
            long seen;
            while (now > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen) { }
        }

        private static long Current()
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }

        public void Dispose() => _timer.Dispose();
    }
}
