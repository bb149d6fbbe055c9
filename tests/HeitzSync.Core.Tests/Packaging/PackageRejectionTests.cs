using System.Text;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

[Trait("Category", "Unit")]
public sealed class PackageRejectionTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-pkg");
    private readonly SyncKey _key = SyncKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private string SmallPackage(out byte[] bytes, int payloadLength = 700)
    {
        var path = _temp.File("PARIS01_20261122T020000Z_d_101-250.hzp");
        Write(path, _key, SomeBytes(payloadLength));
        bytes = File.ReadAllBytes(path);
        return path;
    }

    /// <summary>The reason a single changed byte at <paramref name="offset"/> must give.</summary>
    private static PackageRejectionReason ExpectedForFlipAt(int offset) => offset switch
    {
        < 8 => PackageRejectionReason.NotAPackage,
        < 10 => PackageRejectionReason.UnsupportedFormat,
        _ => PackageRejectionReason.Tampered,
    };

    [Fact]
    public void Every_single_bit_and_byte_change_in_a_small_package_is_refused()
    {
        var path = SmallPackage(out var original);
        var damaged = _temp.File("damaged.hzp");
        var failures = new List<string>();
        foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (var offset = 0; offset < original.Length; offset++)
            {
                var bytes = (byte[])original.Clone();
                bytes[offset] ^= mask;
                File.WriteAllBytes(damaged, bytes);
                var rejected = Rejected(damaged, _key);
                if (rejected.Reason != ExpectedForFlipAt(offset))
                {
                    failures.Add($"offset {offset} mask {mask:x2}: {rejected.Reason}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{original.Length} bytes; unexpected reasons: {string.Join("; ", failures.Take(20))}");
        Assert.Equal(SomeBytes(700), ReadAll(path, _key));
    }

    [Fact]
    public void Dense_sample_of_byte_changes_in_a_larger_package_is_refused_as_tampered()
    {
        var path = _temp.File("larger.hzp");
        Write(path, _key, SomeBytes(3_000_000));
        var original = File.ReadAllBytes(path);
        var random = new Random(20261122);
        var offsets = Enumerable.Range(10, 50).Concat(Enumerable.Range(original.Length - 120, 120))
            .Concat(Enumerable.Range(0, 400).Select(_ => random.Next(10, original.Length)));
        var damaged = _temp.File("damaged.hzp");
        foreach (var offset in offsets)
        {
            var bytes = (byte[])original.Clone();
            bytes[offset] ^= (byte)random.Next(1, 256);
            File.WriteAllBytes(damaged, bytes);
            var rejected = Rejected(damaged, _key);
            Assert.True(rejected.Reason == PackageRejectionReason.Tampered, $"offset {offset}: {rejected.Reason}");
        }
    }

    [Fact]
    public void Truncation_at_every_length_is_refused_as_truncated()
    {
        SmallPackage(out var original);
        var cut = _temp.File("cut.hzp");
        for (var length = 0; length < original.Length; length++)
        {
            File.WriteAllBytes(cut, original.AsSpan(0, length).ToArray());
            var rejected = Rejected(cut, _key);
            Assert.True(rejected.Reason == PackageRejectionReason.Truncated, $"cut at {length}: {rejected.Reason}: {rejected.Message}");
            Assert.Contains("cut.hzp", rejected.Message);
        }
    }

    [Fact]
    public void Truncation_of_a_larger_package_at_many_points_is_refused_as_truncated()
    {
        var path = _temp.File("larger.hzp");
        Write(path, _key, SomeBytes(2_000_000));
        var original = File.ReadAllBytes(path);
        var cut = _temp.File("cut.hzp");
        var random = new Random(7);
        foreach (var length in Enumerable.Range(0, 100).Select(_ => random.Next(0, original.Length)).Append(original.Length - 1).Append(original.Length / 2))
        {
            File.WriteAllBytes(cut, original.AsSpan(0, length).ToArray());
            Assert.Equal(PackageRejectionReason.Truncated, Rejected(cut, _key).Reason);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(4096)]
    public void Garbage_appended_is_refused_as_tampered(int extra)
    {
        var path = SmallPackage(out var original);
        var grown = original.Concat(Enumerable.Range(0, extra).Select(i => (byte)(i * 31))).ToArray();
        File.WriteAllBytes(path, grown);
        var rejected = Rejected(path, _key);
        Assert.Equal(PackageRejectionReason.Tampered, rejected.Reason);
        Assert.Contains($"{extra} bytes were added", rejected.Message);
    }

    [Fact]
    public void A_package_followed_by_another_whole_package_is_refused()
    {
        var path = SmallPackage(out var original);
        File.WriteAllBytes(path, original.Concat(original).ToArray());
        Assert.Equal(PackageRejectionReason.Tampered, Rejected(path, _key).Reason);
    }

    [Fact]
    public void Wrong_key_is_named_with_both_key_ids_and_no_key_material()
    {
        var path = SmallPackage(out _);
        using var other = SyncKey.Generate();
        var rejected = Rejected(path, other);
        Assert.Equal(PackageRejectionReason.WrongKey, rejected.Reason);
        Assert.Equal(_key.KeyId, rejected.PackageKeyId);
        Assert.Equal(other.KeyId, rejected.NodeKeyId);
        Assert.Contains(_key.KeyId, rejected.Message);
        Assert.Contains(other.KeyId, rejected.Message);
        Assert.Contains(Path.GetFileName(path), rejected.Message);
        Assert.Contains("New-HzSyncKey", rejected.Message);
        Assert.Equal(path, rejected.PackagePath);
        foreach (var key in new[] { _key, other })
        {
            var text = rejected.ToString();
            Assert.DoesNotContain(key.ToBase64(), text);
            Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(key.ToBase64())), text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_damaged_key_id_is_told_apart_from_another_key()
    {
        var path = SmallPackage(out var original);
        var bytes = (byte[])original.Clone();
        bytes[PackageFormat.KeyIdOffset + 3] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var rejected = Rejected(path, _key);
        Assert.Equal(PackageRejectionReason.Tampered, rejected.Reason);
        Assert.Contains("key id", rejected.Message);
    }

    [Fact]
    public void Other_files_are_not_packages()
    {
        var path = _temp.File("notes.hzp");
        File.WriteAllText(path, "Dear Siège, here are the changes of tonight.");
        var rejected = Rejected(path, _key);
        Assert.Equal(PackageRejectionReason.NotAPackage, rejected.Reason);
        Assert.Contains("notes.hzp", rejected.Message);

        File.WriteAllBytes(path, new byte[] { 0x1F, 0x8B });
        Assert.Equal(PackageRejectionReason.NotAPackage, Rejected(path, _key).Reason);
    }

    [Fact]
    public void An_empty_file_is_a_cut_transfer()
    {
        var path = _temp.File("empty.hzp");
        File.WriteAllBytes(path, Array.Empty<byte>());
        Assert.Equal(PackageRejectionReason.Truncated, Rejected(path, _key).Reason);
    }

    [Fact]
    public void Another_format_version_is_unsupported_and_says_so()
    {
        var path = SmallPackage(out var original);
        var bytes = (byte[])original.Clone();
        bytes[PackageFormat.VersionOffset] = 2;
        File.WriteAllBytes(path, bytes);
        var rejected = Rejected(path, _key);
        Assert.Equal(PackageRejectionReason.UnsupportedFormat, rejected.Reason);
        Assert.Contains("format 2", rejected.Message);
        Assert.Contains("same HeitzSync version", rejected.Message);
    }

    [Fact]
    public void Nothing_is_decrypted_when_the_mac_fails_the_reader_never_opens()
    {
        var path = SmallPackage(out var original);
        var bytes = (byte[])original.Clone();
        bytes[PackageFormat.HeaderLength + 5] ^= 1;
        File.WriteAllBytes(path, bytes);
        var caught = Assert.Throws<PackageRejectedException>(() => PackageReader.Open(path, _key));
        Assert.Equal(PackageRejectionReason.Tampered, caught.Reason);
        // Refused and released: the file can be moved to quarantine at once.
        File.Move(path, path + ".moved");
    }

    [Fact]
    public void Tampered_message_names_the_file_the_reason_and_the_fix()
    {
        var path = SmallPackage(out var original);
        var bytes = (byte[])original.Clone();
        bytes[^40] ^= 1;
        File.WriteAllBytes(path, bytes);
        var rejected = Rejected(path, _key);
        Assert.Contains(Path.GetFileName(path), rejected.Message);
        Assert.Contains("failed authentication", rejected.Message);
        Assert.Contains("sent again", rejected.Message);
        Assert.DoesNotContain(_key.ToBase64(), rejected.ToString());
    }

    [Fact]
    public void A_missing_file_is_an_io_error_not_a_rejection()
    {
        Assert.Throws<FileNotFoundException>(() => PackageReader.Open(_temp.File("absent.hzp"), _key));
    }

    [Fact]
    public void Payload_shortened_while_it_is_read_is_refused_not_half_read()
    {
        var path = _temp.File("shrinking.hzp");
        Write(path, _key, SomeBytes(2_000_000));
        using var reader = PackageReader.Open(path, _key);
        using var payload = reader.OpenPayload();
        var buffer = new byte[4096];
        payload.ReadExactly(buffer);
        // Someone cuts the file under the reader (a non-.NET process ignores our shared lock).
        using (var cutter = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            cutter.SetLength(PackageFormat.HeaderLength + 100_000);
        }
        var caught = Record.Exception(() => payload.CopyTo(Stream.Null));
        var rejected = Assert.IsType<PackageRejectedException>(caught);
        Assert.Contains(rejected.Reason, new[] { PackageRejectionReason.Truncated, PackageRejectionReason.PayloadMismatch });
    }

    [Fact]
    public void Messages_are_plain_text_without_the_payload()
    {
        var path = _temp.File("secret.hzp");
        Write(path, _key, Encoding.UTF8.GetBytes("IBAN FR76 3000 6000 0112 3456 7890 189"));
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.DoesNotContain("IBAN", Rejected(path, _key).ToString());
    }
}
