using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;
using static HeitzSync.Core.Tests.Packaging.PackageTestSupport;

namespace HeitzSync.Core.Tests.Packaging;

/// <summary>
/// Reads and re-seals packages with a second, independent implementation of docs/package-format.md (using the BCL's
/// one-shot APIs), so the documented layout is the one the writer makes, and the reader's last line of defence
/// (the payload checked against the manifest) can be reached with a package that is otherwise authentic.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PackageFormatTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-pkg");
    private readonly SyncKey _key = SyncKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private sealed record Decoded(byte[] Header, byte[] Body, byte[] ManifestJson, byte[] Payload);

    private Decoded Decode(byte[] file)
    {
        Assert.Equal("HZSYNCPK"u8.ToArray(), file[..8]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8)));
        Assert.Equal(Convert.FromHexString(_key.KeyId), file[10..18]);
        Assert.Equal((ulong)file.Length, BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(34)));
        Assert.Equal(HMACSHA256.HashData(_key.HeaderKey, file[..42])[..16], file[42..58]);

        var mac = HMACSHA256.HashData(_key.MacKey, file[..34].Concat(file[58..^32]).Concat(file[34..58]).ToArray());
        Assert.Equal(mac, file[^32..]);

        var bodyLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(file.Length - 44));
        var manifestLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 36));
        Assert.Equal(file.Length, 58 + bodyLength + 16 + manifestLength + 12 + 32);

        using var aes = Aes.Create();
        aes.Key = _key.EncryptionKey;
        var body = file[58..(58 + bodyLength)];
        var compressed = aes.DecryptCbc(body, file[18..34]);
        using var inflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var payload = new MemoryStream();
        inflate.CopyTo(payload);
        var manifestStart = 58 + bodyLength;
        var json = aes.DecryptCbc(file[(manifestStart + 16)..(manifestStart + 16 + manifestLength)], file[manifestStart..(manifestStart + 16)]);
        return new Decoded(file[..58], body, json, payload.ToArray());
    }

    /// <summary>Seals header + body + manifest JSON into a package exactly as documented.</summary>
    private byte[] Seal(byte[] header, byte[] body, byte[] manifestJson)
    {
        using var aes = Aes.Create();
        aes.Key = _key.EncryptionKey;
        var iv = RandomNumberGenerator.GetBytes(16);
        var encrypted = aes.EncryptCbc(manifestJson, iv);
        var lengths = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(lengths, (ulong)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(lengths.AsSpan(8), (uint)encrypted.Length);
        var file = header[..34].Concat(new byte[24]).Concat(body).Concat(iv).Concat(encrypted).Concat(lengths).Concat(new byte[32]).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(34), (ulong)file.Length);
        HMACSHA256.HashData(_key.HeaderKey, file[..42])[..16].CopyTo(file, 42);
        HMACSHA256.HashData(_key.MacKey, file[..34].Concat(file[58..^32]).Concat(file[34..58]).ToArray()).CopyTo(file, file.Length - 32);
        return file;
    }

    [Fact]
    public void The_file_is_laid_out_as_documented()
    {
        var path = _temp.File("doc.hzp");
        var payload = SomeBytes(123_457);
        var manifest = Write(path, _key, payload);
        var decoded = Decode(File.ReadAllBytes(path));
        Assert.Equal(payload, decoded.Payload);
        var json = JsonNode.Parse(decoded.ManifestJson)!.AsObject();
        Assert.Equal(1, (int)json["formatVersion"]!);
        Assert.Equal("PARIS01", (string)json["origin"]!);
        Assert.Equal("delta", (string)json["kind"]!);
        Assert.Equal(payload.Length, (long)json["payloadLength"]!);
        Assert.Equal(manifest.PayloadSha256, (string)json["payloadSha256"]!);
    }

    [Fact]
    public void Derived_keys_are_distinct_and_hkdf_expand_of_the_group_key()
    {
        var group = Convert.FromBase64String(_key.ToBase64());
        byte[] Expand(string label) => HMACSHA256.HashData(group, Encoding.ASCII.GetBytes(label).Append((byte)1).ToArray());
        Assert.Equal(Expand("HeitzSync package encryption v1"), _key.EncryptionKey);
        Assert.Equal(Expand("HeitzSync package mac v1"), _key.MacKey);
        Assert.Equal(Expand("HeitzSync package header v1"), _key.HeaderKey);
        Assert.Equal(Convert.ToHexString(Expand("HeitzSync key id")[..8]).ToLowerInvariant(), _key.KeyId);
        Assert.Equal(4, new[] { group, _key.EncryptionKey, _key.MacKey, _key.HeaderKey }.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public void Authentic_package_whose_payload_hash_differs_from_its_manifest_is_refused_at_the_end_of_the_payload()
    {
        var path = _temp.File("mismatch.hzp");
        Write(path, _key, SomeBytes(10_000));
        var decoded = Decode(File.ReadAllBytes(path));
        var json = JsonNode.Parse(decoded.ManifestJson)!.AsObject();
        json["payloadSha256"] = new string('0', 64);
        File.WriteAllBytes(path, Seal(decoded.Header, decoded.Body, Encoding.UTF8.GetBytes(json.ToJsonString())));

        using var reader = PackageReader.Open(path, _key);
        using var payload = reader.OpenPayload();
        var caught = Record.Exception(() => payload.CopyTo(Stream.Null));
        var rejected = Assert.IsType<PackageRejectedException>(caught);
        Assert.Equal(PackageRejectionReason.PayloadMismatch, rejected.Reason);
        Assert.Contains("mismatch.hzp", rejected.Message);
    }

    [Theory]
    [InlineData(9_999)]
    [InlineData(10_001)]
    public void Authentic_package_whose_payload_length_differs_from_its_manifest_is_refused(long announced)
    {
        var path = _temp.File("length.hzp");
        Write(path, _key, SomeBytes(10_000));
        var decoded = Decode(File.ReadAllBytes(path));
        var json = JsonNode.Parse(decoded.ManifestJson)!.AsObject();
        json["payloadLength"] = announced;
        File.WriteAllBytes(path, Seal(decoded.Header, decoded.Body, Encoding.UTF8.GetBytes(json.ToJsonString())));
        Assert.Equal(PackageRejectionReason.PayloadMismatch, Rejected(path, _key).Reason);
    }

    [Fact]
    public void Authentic_package_with_an_unreadable_manifest_is_unsupported_not_a_crash()
    {
        var path = _temp.File("manifest.hzp");
        Write(path, _key, SomeBytes(100));
        var decoded = Decode(File.ReadAllBytes(path));
        File.WriteAllBytes(path, Seal(decoded.Header, decoded.Body, "{\"formatVersion\":1, \"origin\": [1,2]}"u8.ToArray()));
        Assert.Equal(PackageRejectionReason.UnsupportedFormat, Rejected(path, _key).Reason);

        var json = JsonNode.Parse(decoded.ManifestJson)!.AsObject();
        json["formatVersion"] = 7;
        File.WriteAllBytes(path, Seal(decoded.Header, decoded.Body, Encoding.UTF8.GetBytes(json.ToJsonString())));
        var rejected = Rejected(path, _key);
        Assert.Equal(PackageRejectionReason.UnsupportedFormat, rejected.Reason);
        Assert.Contains("format 7", rejected.Message);
    }

    [Fact]
    public void Unknown_manifest_fields_from_a_newer_writer_are_ignored()
    {
        var path = _temp.File("newer.hzp");
        Write(path, _key, SomeBytes(100));
        var decoded = Decode(File.ReadAllBytes(path));
        var json = JsonNode.Parse(decoded.ManifestJson)!.AsObject();
        json["somethingNew"] = "later";
        File.WriteAllBytes(path, Seal(decoded.Header, decoded.Body, Encoding.UTF8.GetBytes(json.ToJsonString())));
        Assert.Equal(SomeBytes(100), ReadAll(path, _key));
    }
}
