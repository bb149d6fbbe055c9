using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Packaging;

public class PackageTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-pkg");

    private static PackageManifest Manifest() => new()
    {
        ModuleVersion = "0.1.0",
        Origin = "PARIS01",
        CycleId = "20261122T020000Z",
        SchemaFingerprint = "abc",
        ToSequence = 42,
        TableCounts = new Dictionary<string, long> { ["MEMBERS"] = 3 },
    };

    private string Write(SyncKey key, byte[] payload, string name = "p.hzp")
    {
        var path = _temp.File(name);
        using var writer = PackageWriter.Create(path, key);
        writer.Payload.Write(payload, 0, payload.Length);
        writer.Complete(Manifest());
        return path;
    }

    private static byte[] ReadPayload(string path, SyncKey key)
    {
        using var reader = PackageReader.Open(path, key);
        using var payload = reader.OpenPayload();
        using var memory = new MemoryStream();
        payload.CopyTo(memory);
        return memory.ToArray();
    }

    [Fact]
    public void Round_trip_keeps_payload_and_manifest_and_leaves_no_part_file()
    {
        using var key = SyncKey.Generate();
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Hélène Lefèvre; ", 5000)));
        var path = Write(key, payload);
        Assert.False(File.Exists(path + ".part"));
        Assert.Equal(payload, ReadPayload(path, key));
        using var reader = PackageReader.Open(path, key);
        Assert.Equal("PARIS01", reader.Manifest.Origin);
        Assert.Equal(42, reader.Manifest.ToSequence);
        Assert.Equal(payload.Length, reader.Manifest.PayloadLength);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)), reader.Manifest.PayloadSha256, ignoreCase: true);
        Assert.True(new FileInfo(path).Length < payload.Length / 4, "the payload is compressed");
        Assert.DoesNotContain("Hélène", Encoding.Latin1.GetString(File.ReadAllBytes(path)));   // encrypted
    }

    [Fact]
    public void Empty_payload_round_trips()
    {
        using var key = SyncKey.Generate();
        Assert.Empty(ReadPayload(Write(key, Array.Empty<byte>()), key));
    }

    [Fact]
    public void Every_flipped_byte_is_refused_before_anything_is_decrypted()
    {
        using var key = SyncKey.Generate();
        var original = File.ReadAllBytes(Write(key, Encoding.UTF8.GetBytes("a small delta with some rows in it")));
        var damaged = _temp.File("flip.hzp");
        for (var offset = 0; offset < original.Length; offset++)
        {
            var copy = (byte[])original.Clone();
            copy[offset] ^= 0x01;
            File.WriteAllBytes(damaged, copy);
            var error = Assert.Throws<PackageRejectedException>(() => PackageReader.Open(damaged, key).Dispose());
            Assert.Equal(damaged, error.PackagePath);
            Assert.Contains(error.Reason, new[] { PackageRejectionReason.Tampered, PackageRejectionReason.NotAPackage, PackageRejectionReason.UnsupportedFormat, PackageRejectionReason.WrongKey, PackageRejectionReason.Truncated });
            if (offset >= 34 && offset < original.Length - 44) Assert.Equal(PackageRejectionReason.Tampered, error.Reason);
        }
    }

    [Fact]
    public void Truncated_or_extended_packages_are_refused()
    {
        using var key = SyncKey.Generate();
        var random = new byte[200_000];
        new Random(1).NextBytes(random);
        var original = File.ReadAllBytes(Write(key, random));
        var damaged = _temp.File("cut.hzp");
        foreach (var length in new[] { 0, 5, 20, 40, 100, original.Length / 2, original.Length - 33, original.Length - 1 })
        {
            File.WriteAllBytes(damaged, original.Take(length).ToArray());
            var error = Assert.Throws<PackageRejectedException>(() => PackageReader.Open(damaged, key).Dispose());
            Assert.Contains(error.Reason, new[] { PackageRejectionReason.Truncated, PackageRejectionReason.NotAPackage, PackageRejectionReason.Tampered });
        }
        File.WriteAllBytes(damaged, original.Concat(new byte[] { 1, 2, 3 }).ToArray());
        Assert.Throws<PackageRejectedException>(() => PackageReader.Open(damaged, key).Dispose());
    }

    [Fact]
    public void Another_group_key_is_told_apart_and_neither_key_is_shown()
    {
        using var ours = SyncKey.Generate();
        using var theirs = SyncKey.Generate();
        var path = Write(theirs, new byte[] { 1, 2, 3 });
        var error = Assert.Throws<PackageRejectedException>(() => PackageReader.Open(path, ours).Dispose());
        Assert.Equal(PackageRejectionReason.WrongKey, error.Reason);
        Assert.Contains(ours.KeyId, error.Message);
        Assert.Contains(theirs.KeyId, error.Message);
        Assert.DoesNotContain(ours.ToBase64(), error.Message);
        Assert.DoesNotContain(theirs.ToBase64(), error.Message);
        Assert.DoesNotContain(ours.ToBase64(), ours.ToString());
    }

    [Fact]
    public void A_writer_disposed_without_complete_leaves_nothing()
    {
        using var key = SyncKey.Generate();
        var path = _temp.File("abandoned.hzp");
        using (var writer = PackageWriter.Create(path, key))
        {
            writer.Payload.Write(new byte[1000], 0, 1000);
        }
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public void A_large_payload_streams_through_constant_memory()
    {
        using var key = SyncKey.Generate();
        var path = _temp.File("big.hzp");
        const int chunk = 1 << 20;
        var buffer = new byte[chunk];
        new Random(7).NextBytes(buffer);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        using (var writer = PackageWriter.Create(path, key))
        {
            for (var i = 0; i < 100; i++) writer.Payload.Write(buffer, 0, chunk);
            writer.Complete(Manifest());
        }
        long read = 0;
        using (var reader = PackageReader.Open(path, key))
        using (var payload = reader.OpenPayload())
        {
            int n;
            while ((n = payload.Read(buffer, 0, chunk)) > 0) read += n;
        }
        Assert.Equal(100L * chunk, read);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 60L * chunk, "100 MB through the package allocated as much as the payload");
    }

    [Fact]
    public void Names_are_built_from_codes_and_parsed_strictly()
    {
        var site = SiteCode.Parse("PARIS01");
        var cycle = CycleId.Parse("20261122T020000Z");
        var name = PackageNames.ForSiteDelta(site, cycle, 100, 250);
        Assert.Equal("PARIS01_20261122T020000Z_d_100-250.hzp", name);
        Assert.True(PackageNames.TryParse(name, out var parsed));
        Assert.Equal((site, cycle, "delta"), (parsed!.Site, parsed.Cycle, parsed.Kind));
        Assert.True(PackageNames.TryParse(PackageNames.ForSiegeDelta(site, cycle), out parsed));
        Assert.Equal("siege", parsed!.Kind);
        foreach (var bad in new[] { "../PARIS01_20261122T020000Z_s.hzp", "/etc/passwd", "PARIS01_20261122T020000Z_s.hzp/..", "paris01_20261122T020000Z_s.hzp", "PARIS01_20261122T020000Z_s.hzp.part", "PARİS01_20261122T020000Z_s.hzp" })
        {
            Assert.False(PackageNames.TryParse(bad, out _), bad);
        }
        Assert.Throws<FormatException>(() => SiteCode.Parse("../x"));
    }

    [Fact]
    public void Quarantine_keeps_both_files_when_the_same_name_comes_twice()
    {
        using var key = SyncKey.Generate();
        var folder = _temp.File("quarantine");
        var first = PackageQuarantine.Move(Write(key, new byte[] { 1 }, "same.hzp"), folder, new InvalidDataException("reason one"));
        var second = PackageQuarantine.Move(Write(key, new byte[] { 2 }, "same.hzp"), folder, new InvalidDataException("reason two"));
        Assert.NotEqual(first, second);
        Assert.True(File.Exists(first) && File.Exists(second));
        Assert.Contains("reason two", File.ReadAllText(second + ".reason.txt"));
    }

    [Fact]
    public void The_key_file_is_readable_by_its_owner_only_and_is_not_overwritten_by_accident()
    {
        using var key = SyncKey.Generate();
        var path = _temp.File("group.key");
        key.Save(path);
        var mode = Process.Start(new ProcessStartInfo("stat", $"-c %a {path}") { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd().Trim();
        Assert.Equal("600", mode);
        using var loaded = SyncKey.Load(path);
        Assert.Equal(key.KeyId, loaded.KeyId);
        Assert.Throws<IOException>(() => SyncKey.Generate().Save(path));
        var bad = Assert.Throws<FormatException>(() => SyncKey.FromBase64("bm90IGEga2V5"));
        Assert.DoesNotContain("bm90IGEga2V5", bad.Message);
    }

    public void Dispose() => _temp.Dispose();
}
