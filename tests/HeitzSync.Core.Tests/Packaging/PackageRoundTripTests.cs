using System.Text;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

[Trait("Category", "Unit")]
public sealed class PackageRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-pkg");
    private readonly SyncKey _key = SyncKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Payload_and_manifest_come_back_as_written()
    {
        var path = _temp.File("PARIS01_20261122T020000Z_d_101-250.hzp");
        var payload = SomeBytes(300_000);
        var written = Write(path, _key, payload);

        Assert.Equal(payload.Length, written.PayloadLength);
        Assert.Equal(Sha256Hex(payload), written.PayloadSha256);
        Assert.Equal(1, written.FormatVersion);

        using var reader = PackageReader.Open(path, _key);
        var read = reader.Manifest;
        Assert.Equal(written.ModuleVersion, read.ModuleVersion);
        Assert.Equal("PARIS01", read.Origin);
        Assert.Null(read.Target);
        Assert.Equal("20261122T020000Z", read.CycleId);
        Assert.Equal(PackageKind.Delta, read.Kind);
        Assert.Equal(101, read.FromSequence);
        Assert.Equal(250, read.ToSequence);
        Assert.Equal("sha256:0123abcd", read.SchemaFingerprint);
        Assert.Equal(written.CreatedUtc, read.CreatedUtc);
        Assert.Equal(written.TableCounts.OrderBy(p => p.Key, StringComparer.Ordinal), read.TableCounts.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(payload.Length, read.PayloadLength);
        Assert.Equal(written.PayloadSha256, read.PayloadSha256);

        using var stream = reader.OpenPayload();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(payload, copy.ToArray());
    }

    [Fact]
    public void Every_manifest_field_survives_including_the_engines_own()
    {
        var path = _temp.File("full.hzp");
        var manifest = SampleManifest("SIEGE") with
        {
            Target = "LYON02",
            Kind = PackageKind.Full,
            FromSequence = 0,
            ToSequence = 0,
            ResendFromTx = 77,
            AcknowledgedSequence = 66,
            AcknowledgedResendFromTx = 55,
            SiteNumber = 3,
            KeyLow = 3_000_000_000,
            KeyHigh = 3_999_999_999,
            SchemaFingerprint = "Hélène Lefèvre \u00e9\u4e2d \"quotes\" \\ back",
            TableCounts = new Dictionary<string, long> { ["Z"] = long.MaxValue, ["a"] = 0 },
        };
        var written = Write(path, _key, Array.Empty<byte>(), manifest);
        using var reader = PackageReader.Open(path, _key);
        var read = reader.Manifest;
        Assert.Equal(written with { TableCounts = read.TableCounts }, read);
        Assert.Equal(new[] { "Z", "a" }, read.TableCounts.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(long.MaxValue, read.TableCounts["Z"]);
    }

    [Fact]
    public void Manifest_json_is_camel_case_and_the_same_for_the_same_content()
    {
        var first = Write(_temp.File("a.hzp"), _key, Encoding.ASCII.GetBytes("x"),
            SampleManifest() with { TableCounts = new Dictionary<string, long> { ["B"] = 2, ["A"] = 1 } });
        var second = Write(_temp.File("b.hzp"), _key, Encoding.ASCII.GetBytes("x"),
            SampleManifest() with { TableCounts = new Dictionary<string, long> { ["A"] = 1, ["B"] = 2 } });
        var json1 = System.Text.Json.JsonSerializer.Serialize(first, PackageFormat.Json);
        var json2 = System.Text.Json.JsonSerializer.Serialize(second, PackageFormat.Json);
        Assert.Equal(json1, json2);
        Assert.Contains("\"moduleVersion\":", json1);
        Assert.Contains("\"kind\":\"delta\"", json1);
        Assert.Contains("\"tableCounts\":{\"A\":1,\"B\":2}", json1);
    }

    [Fact]
    public void Writes_and_reads_of_every_size_from_single_bytes_to_large_blocks_round_trip()
    {
        var payload = SomeBytes(1_500_000, seed: 5);
        var random = new Random(11);
        var path = _temp.File("sizes.hzp");
        using (var writer = PackageWriter.Create(path, _key))
        {
            var at = 0;
            while (at < payload.Length)
            {
                var size = Math.Min(payload.Length - at, random.Next(4) switch { 0 => 1, 1 => random.Next(2, 64), 2 => random.Next(64, 70_000), _ => random.Next(60_000, 300_000) });
                if (size == 1) writer.Payload.WriteByte(payload[at]);
                else writer.Payload.Write(payload, at, size);
                if (random.Next(10) == 0) writer.Payload.Write(payload, at, 0);
                at += size;
            }
            Assert.Equal(payload.Length, writer.Complete(SampleManifest()).PayloadLength);
        }

        using var reader = PackageReader.Open(path, _key);
        using var stream = reader.OpenPayload();
        var back = new byte[payload.Length];
        var done = 0;
        while (true)
        {
            var size = random.Next(4) switch { 0 => 1, 1 => random.Next(2, 64), 2 => random.Next(64, 70_000), _ => random.Next(60_000, 300_000) };
            if (size == 1)
            {
                var value = stream.ReadByte();
                if (value < 0) break;
                back[done++] = (byte)value;
                continue;
            }
            var read = stream.Read(back, done, Math.Min(size, back.Length - done));
            if (read == 0)
            {
                if (done < back.Length) Assert.Fail($"The payload ended after {done} bytes.");
                break;
            }
            done += read;
        }
        Assert.Equal(payload.Length, done);
        Assert.Equal(payload, back);
        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public void A_binary_writer_and_reader_value_by_value_round_trip()
    {
        var path = _temp.File("binary.hzp");
        using (var writer = PackageWriter.Create(path, _key))
        {
            using var binary = new BinaryWriter(writer.Payload, Encoding.UTF8, leaveOpen: true);
            for (var i = 0; i < 100_000; i++)
            {
                binary.Write((byte)(i % 7));
                binary.Write(i);
                binary.Write("Hélène " + i);
            }
            binary.Flush();
            writer.Complete(SampleManifest());
        }
        using var reader = PackageReader.Open(path, _key);
        using var stream = reader.OpenPayload();
        using var back = new BinaryReader(stream, Encoding.UTF8);
        for (var i = 0; i < 100_000; i++)
        {
            Assert.Equal((byte)(i % 7), back.ReadByte());
            Assert.Equal(i, back.ReadInt32());
            Assert.Equal("Hélène " + i, back.ReadString());
        }
        Assert.Equal(0, stream.Read(new byte[1], 0, 1));
    }

    [Fact]
    public void Empty_payload_round_trips()
    {
        var path = _temp.File("empty.hzp");
        var written = Write(path, _key, Array.Empty<byte>());
        Assert.Equal(0, written.PayloadLength);
        Assert.Equal(Sha256Hex(Array.Empty<byte>()), written.PayloadSha256);
        Assert.Empty(ReadAll(path, _key));
    }

    [Fact]
    public void Same_payload_twice_gives_different_ciphertext()
    {
        var payload = SomeBytes(5000);
        Write(_temp.File("one.hzp"), _key, payload);
        Write(_temp.File("two.hzp"), _key, payload);
        var one = File.ReadAllBytes(_temp.File("one.hzp"));
        var two = File.ReadAllBytes(_temp.File("two.hzp"));
        Assert.NotEqual(one.AsSpan(PackageFormat.PayloadIvOffset, 16).ToArray(), two.AsSpan(PackageFormat.PayloadIvOffset, 16).ToArray());
        Assert.NotEqual(one.AsSpan(PackageFormat.HeaderLength, 64).ToArray(), two.AsSpan(PackageFormat.HeaderLength, 64).ToArray());
    }

    [Fact]
    public void Payload_is_not_in_the_file_in_clear()
    {
        var marker = Encoding.ASCII.GetBytes("Hélène Lefèvre CONFIDENTIAL-IBAN FR76 3000 6000 0112 3456 7890 189");
        var payload = Enumerable.Repeat(marker, 500).SelectMany(b => b).ToArray();
        var path = _temp.File("clear.hzp");
        Write(path, _key, payload, SampleManifest() with { SchemaFingerprint = "SECRET-FINGERPRINT-TEXT" });
        var file = File.ReadAllBytes(path);
        Assert.Equal(-1, file.AsSpan().IndexOf("CONFIDENTIAL"u8));
        Assert.Equal(-1, file.AsSpan().IndexOf("SECRET-FINGERPRINT"u8));
        Assert.Equal(-1, file.AsSpan().IndexOf("PARIS01"u8));
        Assert.True(file.Length < payload.Length / 5, "the repetitive payload is compressed before it is encrypted");
    }

    [Fact]
    public void Writes_through_a_part_file_and_renames_on_complete()
    {
        var path = _temp.File("p.hzp");
        using (var writer = PackageWriter.Create(path, _key))
        {
            writer.Payload.Write(SomeBytes(1000), 0, 1000);
            Assert.True(File.Exists(path + ".part"));
            Assert.False(File.Exists(path));
            writer.Complete(SampleManifest());
            Assert.True(File.Exists(path));
            Assert.False(File.Exists(path + ".part"));
            Assert.Throws<InvalidOperationException>(() => writer.Complete(SampleManifest()));
            Assert.Throws<InvalidOperationException>(() => writer.Payload.Write(new byte[1], 0, 1));
        }
        Assert.True(File.Exists(path));
        Assert.Equal(SomeBytes(1000), ReadAll(path, _key));
    }

    [Fact]
    public void Dispose_without_complete_leaves_nothing()
    {
        var path = _temp.File("abandoned.hzp");
        using (var writer = PackageWriter.Create(path, _key))
        {
            writer.Payload.Write(SomeBytes(200_000), 0, 200_000);
        }
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void Complete_replaces_an_older_package_of_the_same_name()
    {
        var path = _temp.File("same.hzp");
        Write(path, _key, Encoding.ASCII.GetBytes("old"));
        Write(path, _key, Encoding.ASCII.GetBytes("new"));
        Assert.Equal("new", Encoding.ASCII.GetString(ReadAll(path, _key)));
    }

    [Fact]
    public void A_caller_disposing_or_flushing_the_payload_does_not_break_the_package()
    {
        var path = _temp.File("disposed.hzp");
        using (var writer = PackageWriter.Create(path, _key))
        {
            using (var text = new StreamWriter(writer.Payload, new UTF8Encoding(false)))
            {
                text.Write("first line\n");
                text.Flush();
                text.Write("second line\n");
            }
            writer.Complete(SampleManifest());
        }
        Assert.Equal("first line\nsecond line\n", Encoding.UTF8.GetString(ReadAll(path, _key)));
    }

    [Fact]
    public void Payload_can_be_opened_again_after_the_first_stream_is_disposed_but_not_twice_at_once()
    {
        var path = _temp.File("twice.hzp");
        var payload = SomeBytes(100_000);
        Write(path, _key, payload);
        using var reader = PackageReader.Open(path, _key);
        using (var first = reader.OpenPayload())
        {
            var some = new byte[10];
            first.ReadExactly(some);
            Assert.Throws<InvalidOperationException>(() => reader.OpenPayload());
        }
        using var second = reader.OpenPayload();
        using var copy = new MemoryStream();
        second.CopyTo(copy);
        Assert.Equal(payload, copy.ToArray());
    }

    [Fact]
    public void Payload_comes_from_the_authenticated_file_even_if_the_path_is_replaced_after_open()
    {
        var path = _temp.File("swap.hzp");
        var original = SomeBytes(50_000, seed: 1);
        Write(path, _key, original);
        var other = _temp.File("other.hzp");
        Write(other, _key, SomeBytes(50_000, seed: 2));

        using var reader = PackageReader.Open(path, _key);
        File.Move(other, path, overwrite: true);
        using var stream = reader.OpenPayload();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(original, copy.ToArray());
    }

    [Fact]
    public void Open_honours_cancellation_during_the_mac_pass()
    {
        var path = _temp.File("cancel.hzp");
        Write(path, _key, SomeBytes(1_000_000));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => PackageReader.Open(path, _key, cancelled.Token));
        // The file was not left locked.
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
    }

    [Fact]
    public void A_disposed_key_is_refused_rather_than_used_as_zeros()
    {
        var key = SyncKey.Generate();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => PackageWriter.Create(_temp.File("zero.hzp"), key));
        Assert.False(File.Exists(_temp.File("zero.hzp.part")));
    }
}
