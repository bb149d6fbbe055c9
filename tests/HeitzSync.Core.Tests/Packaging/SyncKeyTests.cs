using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using HeitzSync.Core.Packaging;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Packaging;

[Trait("Category", "Unit")]
public sealed class SyncKeyTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-key");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Generated_keys_are_32_random_bytes_with_a_short_public_id()
    {
        using var one = SyncKey.Generate();
        using var two = SyncKey.Generate();
        Assert.Equal(32, Convert.FromBase64String(one.ToBase64()).Length);
        Assert.NotEqual(one.ToBase64(), two.ToBase64());
        Assert.Matches("^[0-9a-f]{16}$", one.KeyId);
        Assert.NotEqual(one.KeyId, two.KeyId);
    }

    [Fact]
    public void Key_id_is_stable_for_the_same_key()
    {
        using var one = SyncKey.Generate();
        using var again = SyncKey.FromBase64(one.ToBase64());
        Assert.Equal(one.KeyId, again.KeyId);
        using var known = SyncKey.FromBase64(Convert.ToBase64String(new byte[32]));
        Assert.Equal(known.KeyId, SyncKey.FromBase64(Convert.ToBase64String(new byte[32])).KeyId);
    }

    [Fact]
    public void To_string_shows_the_id_never_the_key()
    {
        using var key = SyncKey.Generate();
        Assert.Equal("SyncKey " + key.KeyId, key.ToString());
        Assert.DoesNotContain(key.ToBase64(), key.ToString());
        Assert.DoesNotContain(key.ToBase64(), $"{key}");
    }

    [Theory]
    [InlineData("not base64 at all!!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("")]
    [InlineData("   ")]
    public void Wrong_text_is_refused_without_being_repeated(string text)
    {
        var caught = Assert.Throws<FormatException>(() => SyncKey.FromBase64(text));
        Assert.Contains("New-HzSyncKey", caught.Message);
        if (text.Trim().Length > 0) Assert.DoesNotContain(text.Trim(), caught.ToString());
    }

    [Fact]
    public void A_31_byte_key_says_how_long_it_is()
    {
        var caught = Assert.Throws<FormatException>(() => SyncKey.FromBase64(Convert.ToBase64String(new byte[31])));
        Assert.Contains("31 bytes instead of 32", caught.Message);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // Unix modes; on Windows the key file takes its folder's ACL.
    public void Save_creates_an_owner_only_file_and_load_reads_it_back()
    {
        using var key = SyncKey.Generate();
        var path = Path.Combine(_temp.Path, "conf", "hzsync.key");
        key.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.ToBase64() + "\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".part"));
        using var loaded = SyncKey.Load(path);
        Assert.Equal(key.KeyId, loaded.KeyId);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // Unix modes; on Windows the key file takes its folder's ACL.
    public void Save_is_owner_only_whatever_the_umask_would_have_given()
    {
        using var key = SyncKey.Generate();
        var path = _temp.File("hzsync.key");
        // An earlier, world-readable file is replaced by an owner-only one.
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
        key.Save(path, overwrite: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Save_refuses_to_overwrite_unless_asked()
    {
        using var first = SyncKey.Generate();
        using var second = SyncKey.Generate();
        var path = _temp.File("hzsync.key");
        first.Save(path);
        var caught = Assert.Throws<IOException>(() => second.Save(path));
        Assert.Contains("already exists", caught.Message);
        Assert.DoesNotContain(first.ToBase64(), caught.ToString());
        Assert.DoesNotContain(second.ToBase64(), caught.ToString());
        using (var kept = SyncKey.Load(path)) Assert.Equal(first.KeyId, kept.KeyId);

        second.Save(path, overwrite: true);
        using var replaced = SyncKey.Load(path);
        Assert.Equal(second.KeyId, replaced.KeyId);
    }

    [Fact]
    public void Load_of_a_damaged_file_names_the_file_not_the_content()
    {
        var path = _temp.File("broken.key");
        File.WriteAllText(path, "c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0");
        var caught = Assert.Throws<FormatException>(() => SyncKey.Load(path));
        Assert.Contains(path, caught.Message);
        Assert.DoesNotContain("c2VjcmV0", caught.ToString());

        var missing = Assert.Throws<FileNotFoundException>(() => SyncKey.Load(_temp.File("absent.key")));
        Assert.Contains("New-HzSyncKey", missing.Message);
    }

    [Fact]
    public void Load_accepts_the_file_with_a_windows_line_end_or_a_bom()
    {
        using var key = SyncKey.Generate();
        var path = _temp.File("edited.key");
        File.WriteAllText(path, key.ToBase64() + "\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        using var loaded = SyncKey.Load(path);
        Assert.Equal(key.KeyId, loaded.KeyId);
    }

    [Fact]
    public void A_disposed_key_cannot_be_used()
    {
        var key = SyncKey.Generate();
        var id = key.KeyId;
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.ToBase64());
        Assert.Throws<ObjectDisposedException>(() => key.Save(_temp.File("k")));
        Assert.Equal("SyncKey " + id, key.ToString());
        key.Dispose();
    }

    [Fact]
    public void Key_text_is_plain_base64_on_one_line()
    {
        using var key = SyncKey.Generate();
        Assert.Matches(new Regex("^[A-Za-z0-9+/]{43}=$"), key.ToBase64());
    }
}
