using System.Security.Cryptography;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using Xunit.Abstractions;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

/// <summary>Runs alone, so that the memory measured is this test's.</summary>
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
        var retained = new RetainedMemory();

        // Write: the generator checks, as it is read, that the package file grows behind it (nothing is held back),
        // and notes what the process holds at that point.
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
                retained.Measure();
            },
        };
        var buffer = new byte[Buffer];
        using var expectedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
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
        var writeAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var writeGrowth = retained.Growth;
        Assert.Empty(growthFailures);
        Assert.Equal(PayloadLength, manifest.PayloadLength);
        Assert.Equal(Convert.ToHexString(expectedHash.GetHashAndReset()).ToLowerInvariant(), manifest.PayloadSha256);
        var fileLength = new FileInfo(path).Length;

        // Read: compared block by block with a second generator of the same seed, never kept.
        retained = new RetainedMemory();
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var expected = new PayloadGenerator(PayloadLength, seed: 42);
        var expectedBlock = new byte[Buffer];
        long total = 0;
        nextCheck = CheckEvery;
        using (var reader = PackageReader.Open(path, _key))
        {
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
                if (total >= nextCheck)
                {
                    nextCheck += CheckEvery;
                    retained.Measure();
                }
            }
        }
        var readAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var readGrowth = retained.Growth;
        Assert.Equal(PayloadLength, total);
        Assert.Equal(0, expected.Read(expectedBlock, 0, 1));

        _output.WriteLine($"payload {PayloadLength / 1e6:F0} MB -> package {fileLength / 1e6:F0} MB");
        _output.WriteLine($"write: {writeAllocated / 1e6:F1} MB allocated, what the process holds grew by {writeGrowth / 1e6:F2} MB");
        _output.WriteLine($"open + read: {readAllocated / 1e6:F1} MB allocated, what the process holds grew by {readGrowth / 1e6:F2} MB");

        // Buffering the payload anywhere in managed memory would allocate at least its size (counted on this thread,
        // where the writer and the reader run: what other threads do never counts), and would be held: at the checkpoints
        // (every 16 MB of payload) the process would hold more and more over what it held before, about the payload so
        // far (held compressed, still more than half of it), where a streaming package holds the same few buffers.
        Assert.True(writeAllocated < 16 * 1024 * 1024, $"writing allocated {writeAllocated} bytes");
        Assert.True(readAllocated < 16 * 1024 * 1024, $"reading allocated {readAllocated} bytes");
        Assert.True(writeGrowth < CheckEvery, $"what the process holds grew by {writeGrowth} bytes while writing a {PayloadLength}-byte payload");
        Assert.True(readGrowth < CheckEvery, $"what the process holds grew by {readGrowth} bytes while reading a {PayloadLength}-byte payload");
    }

    /// <summary>What the process holds at each checkpoint over what it held when this was made: the managed heap after a
    /// full, blocking collection, so garbage never counts (however much of it the host's GC budget lets pile up).</summary>
    private sealed class RetainedMemory
    {
        private readonly long _before = GC.GetTotalMemory(forceFullCollection: true);

        public long Growth { get; private set; }

        public void Measure() => Growth = Math.Max(Growth, GC.GetTotalMemory(forceFullCollection: true) - _before);
    }
}
