using System.Security.Cryptography;
using System.Text;
using HeitzSync.Core.Transport;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>
/// What every drop transport must do, run against a real folder and a real FTP(S) server alike. Each test gets a fresh,
/// empty drop; <see cref="DropOnDisk"/> is where its files lie on disk (the Siège's own view of the drop).
/// </summary>
public abstract class DropContract : IDisposable
{
    protected readonly TempFolder Local = new("hz-contract");
    private readonly CancellationToken _ct = CancellationToken.None;
    private IDropTransport? _drop;

    protected abstract string DropOnDisk { get; }

    protected abstract IDropTransport CreateDrop();

    /// <summary>Writes a file into the drop from the Siège's side, readable and writable by the transport's account.</summary>
    protected virtual void PlaceOnDisk(string relative, byte[] content)
    {
        var path = OnDisk(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>Bytes that the transport moves on top of the file itself when it resumes (the FTP upload reads back up to 64 KB to check).</summary>
    protected virtual long ResumeCheckBytes => 0;

    protected IDropTransport Drop => _drop ??= CreateDrop();

    protected string OnDisk(string relative) => Path.Combine(new[] { DropOnDisk }.Concat(relative.Split('/')).ToArray());

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    protected string LocalFile(string name, byte[] content)
    {
        var path = Local.File(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task An_upload_publishes_the_whole_file_under_its_name_and_reports_its_size_and_hash()
    {
        var bytes = RandomBytes(3 * 1024 * 1024 + 17, 1);
        var result = await Drop.UploadAsync(LocalFile("package.hzp", bytes), DropPath.Of("LYON01", "up", "package.hzp"), null, _ct);

        Assert.Equal(bytes, File.ReadAllBytes(OnDisk("LYON01/up/package.hzp")));
        Assert.False(File.Exists(OnDisk("LYON01/up/package.hzp.part")));
        Assert.Equal(("package.hzp", (long)bytes.Length, Sha256(bytes), (long)bytes.Length, 1),
            (result.Name, result.Length, result.Sha256, result.BytesTransferred, result.Attempts));
    }

    [Fact]
    public async Task A_download_brings_the_file_back_byte_for_byte_and_reports_its_hash()
    {
        var bytes = RandomBytes(2 * 1024 * 1024 + 5, 2);
        PlaceOnDisk("LYON01/down/pkg.hzp", bytes);
        var target = Local.File("sub/pkg.hzp");
        var result = await Drop.DownloadAsync(DropPath.Of("LYON01", "down", "pkg.hzp"), target, null, _ct);

        Assert.Equal(bytes, File.ReadAllBytes(target));
        Assert.False(File.Exists(target + ".part"));
        Assert.Equal(((long)bytes.Length, Sha256(bytes), (long)bytes.Length), (result.Length, result.Sha256, result.BytesTransferred));
    }

    [Fact]
    public async Task An_empty_file_travels_both_ways()
    {
        await Drop.UploadAsync(LocalFile("empty.hzp", Array.Empty<byte>()), DropPath.Of("A1", "empty.hzp"), null, _ct);
        Assert.Equal(0, new FileInfo(OnDisk("A1/empty.hzp")).Length);
        var back = await Drop.DownloadAsync(DropPath.Of("A1", "empty.hzp"), Local.File("empty-back"), null, _ct);
        Assert.Equal((0L, Sha256(Array.Empty<byte>())), (back.Length, back.Sha256));
        Assert.Empty(File.ReadAllBytes(Local.File("empty-back")));
    }

    [Fact]
    public async Task Uploading_over_an_existing_file_replaces_it()
    {
        PlaceOnDisk("A1/same.hzp", RandomBytes(5000, 3));
        var second = RandomBytes(1234, 4);
        await Drop.UploadAsync(LocalFile("same.hzp", second), DropPath.Of("A1", "same.hzp"), null, _ct);
        Assert.Equal(second, File.ReadAllBytes(OnDisk("A1/same.hzp")));
    }

    [Fact]
    public async Task Progress_comes_in_order_at_a_sane_rate_and_ends_at_the_total()
    {
        var bytes = RandomBytes(8 * 1024 * 1024, 5);
        var reports = new List<TransferProgress>();
        await Drop.UploadAsync(LocalFile("p.hzp", bytes), DropPath.Of("A1", "p.hzp"), new InlineProgress<TransferProgress>(reports.Add), _ct);
        var downloads = new List<TransferProgress>();
        await Drop.DownloadAsync(DropPath.Of("A1", "p.hzp"), Local.File("p-back"), new InlineProgress<TransferProgress>(downloads.Add), _ct);

        foreach (var series in new[] { reports, downloads })
        {
            Assert.InRange(series.Count, 2, 120);   // every 1 % or half a second, not every buffer
            Assert.Equal(series.Select(r => r.BytesDone).OrderBy(b => b), series.Select(r => r.BytesDone));
            Assert.All(series, r => Assert.Equal(("p.hzp", (long)bytes.Length), (r.Name, r.TotalBytes)));
            Assert.Equal(bytes.Length, series.Last().BytesDone);
        }
    }

    [Fact]
    public async Task A_missing_folder_lists_empty_and_part_files_and_foreign_names_are_not_listed()
    {
        Assert.Empty(await Drop.ListAsync(DropPath.Of("NOWHERE", "up"), _ct));
        PlaceOnDisk("LYON01/up/b.hzp", new byte[10]);
        PlaceOnDisk("LYON01/up/a.hzp", new byte[20]);
        PlaceOnDisk("LYON01/up/half.hzp.part", new byte[5]);
        PlaceOnDisk("LYON01/up/bad name.hzp", new byte[5]);
        Directory.CreateDirectory(OnDisk("LYON01/up/folder"));

        var listed = await Drop.ListAsync(DropPath.Of("LYON01", "up"), _ct);
        Assert.Equal(new[] { ("a.hzp", 20L), ("b.hzp", 10L) }, listed.Select(e => (e.Name, e.Length)));
    }

    [Fact]
    public async Task Folders_are_created_with_their_parents_and_creating_one_twice_is_fine()
    {
        await Drop.CreateFolderAsync(DropPath.Of("PARIS01", "up", "deep"), _ct);
        await Drop.CreateFolderAsync(DropPath.Of("PARIS01", "up", "deep"), _ct);
        Assert.True(Directory.Exists(OnDisk("PARIS01/up/deep")));
        Assert.Empty(await Drop.ListAsync(DropPath.Of("PARIS01", "up", "deep"), _ct));
    }

    [Fact]
    public async Task Small_files_are_written_whole_replaced_atomically_and_read_back()
    {
        var ack = DropPath.Of("LYON01", "ack.json");
        Assert.Null(await Drop.ReadSmallFileAsync(ack, _ct));
        await Drop.WriteSmallFileAsync(ack, Encoding.UTF8.GetBytes("{\"sequence\": 1}"), _ct);
        await Drop.WriteSmallFileAsync(ack, Encoding.UTF8.GetBytes("{\"sequence\": 2}"), _ct);
        Assert.Equal("{\"sequence\": 2}", Encoding.UTF8.GetString((await Drop.ReadSmallFileAsync(ack, _ct))!));
        Assert.False(File.Exists(OnDisk("LYON01/ack.json.part")));
        await Drop.WriteSmallFileAsync(DropPath.Of("siege.json"), Array.Empty<byte>(), _ct);
        Assert.Empty((await Drop.ReadSmallFileAsync(DropPath.Of("siege.json"), _ct))!);
    }

    [Fact]
    public async Task Move_renames_over_an_existing_target_and_a_missing_source_is_not_found()
    {
        PlaceOnDisk("LYON01/up/p.hzp", new byte[] { 1, 2, 3 });
        PlaceOnDisk("LYON01/quarantine/p.hzp", new byte[] { 9 });
        await Drop.MoveAsync(DropPath.Of("LYON01", "up", "p.hzp"), DropPath.Of("LYON01", "quarantine", "p.hzp"), _ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(OnDisk("LYON01/quarantine/p.hzp")));
        Assert.False(File.Exists(OnDisk("LYON01/up/p.hzp")));

        await Drop.MoveAsync(DropPath.Of("LYON01", "quarantine", "p.hzp"), DropPath.Of("LYON01", "archive", "p.hzp"), _ct);   // target folder made
        Assert.True(File.Exists(OnDisk("LYON01/archive/p.hzp")));

        var error = await Assert.ThrowsAsync<DropTransportException>(() => Drop.MoveAsync(DropPath.Of("LYON01", "up", "p.hzp"), DropPath.Of("LYON01", "x.hzp"), _ct));
        Assert.Equal(DropTransportErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Delete_removes_a_file_and_deleting_a_missing_one_is_no_error()
    {
        PlaceOnDisk("A1/old.hzp", new byte[3]);
        await Drop.DeleteAsync(DropPath.Of("A1", "old.hzp"), _ct);
        await Drop.DeleteAsync(DropPath.Of("A1", "old.hzp"), _ct);
        await Drop.DeleteAsync(DropPath.Of("NOWHERE", "old.hzp"), _ct);
        Assert.False(File.Exists(OnDisk("A1/old.hzp")));
    }

    [Fact]
    public async Task Downloading_a_missing_file_is_not_found_and_leaves_nothing()
    {
        var target = Local.File("never.hzp");
        var error = await Assert.ThrowsAsync<DropTransportException>(() => Drop.DownloadAsync(DropPath.Of("A1", "never.hzp"), target, null, _ct));
        Assert.Equal(DropTransportErrorKind.NotFound, error.Kind);
        Assert.Contains("never.hzp", error.Message);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".part"));
    }

    [Fact]
    public async Task A_partial_upload_of_the_same_file_is_resumed_and_one_of_other_bytes_is_started_again()
    {
        var bytes = RandomBytes(2_000_000, 6);
        var file = LocalFile("big.bin", bytes);
        PlaceOnDisk("A1/big.bin.part", bytes.Take(1_500_000).ToArray());
        var resumed = await Drop.UploadAsync(file, DropPath.Of("A1", "big.bin"), null, _ct);
        Assert.Equal(bytes, File.ReadAllBytes(OnDisk("A1/big.bin")));
        Assert.Equal(500_000 + ResumeCheckBytes, resumed.BytesTransferred);
        Assert.Equal(Sha256(bytes), resumed.Sha256);   // the hash covers the resumed prefix too

        var other = bytes.Take(1_000_000).ToArray();
        other[999_000] ^= 1;   // same length and start, another end: not a prefix of the file
        PlaceOnDisk("A1/again.bin.part", other);
        var restarted = await Drop.UploadAsync(file, DropPath.Of("A1", "again.bin"), null, _ct);
        Assert.Equal(bytes, File.ReadAllBytes(OnDisk("A1/again.bin")));
        Assert.Equal(bytes.Length + ResumeCheckBytes, restarted.BytesTransferred);
    }

    [Fact]
    public async Task A_partial_download_is_resumed_when_its_bytes_match_and_started_again_when_not()
    {
        var bytes = RandomBytes(2_000_000, 7);
        PlaceOnDisk("A1/down.bin", bytes);
        var target = Local.File("down.bin");
        File.WriteAllBytes(target + ".part", bytes.Take(1_200_000).ToArray());
        var resumed = await Drop.DownloadAsync(DropPath.Of("A1", "down.bin"), target, null, _ct);
        Assert.Equal(bytes, File.ReadAllBytes(target));
        Assert.True(resumed.BytesTransferred < 900_000, $"resumed from the partial copy ({resumed.BytesTransferred} bytes moved)");
        Assert.Equal(Sha256(bytes), resumed.Sha256);

        var wrong = bytes.Take(1_200_000).ToArray();
        wrong[1_199_999] ^= 0xFF;
        File.Delete(target);
        File.WriteAllBytes(target + ".part", wrong);
        var restarted = await Drop.DownloadAsync(DropPath.Of("A1", "down.bin"), target, null, _ct);
        Assert.Equal(bytes, File.ReadAllBytes(target));
        Assert.True(restarted.BytesTransferred >= bytes.Length);
    }

    [Fact]
    public async Task A_file_that_does_not_hash_as_expected_is_never_put_in_place()
    {
        var bytes = RandomBytes(300_000, 8);
        var file = LocalFile("x.hzp", bytes);
        var wrong = new string('0', 64);
        var up = await Assert.ThrowsAsync<DropTransportException>(() => Drop.UploadAsync(file, DropPath.Of("A1", "x.hzp"), wrong, null, _ct));
        Assert.Equal(DropTransportErrorKind.IntegrityMismatch, up.Kind);
        Assert.Contains(wrong, up.Message);
        Assert.False(File.Exists(OnDisk("A1/x.hzp")));
        Assert.False(File.Exists(OnDisk("A1/x.hzp.part")));

        var ok = await Drop.UploadAsync(file, DropPath.Of("A1", "x.hzp"), Sha256(bytes).ToUpperInvariant(), null, _ct);
        Assert.Equal(Sha256(bytes), ok.Sha256);

        var target = Local.File("x-back.hzp");
        var down = await Assert.ThrowsAsync<DropTransportException>(() => Drop.DownloadAsync(DropPath.Of("A1", "x.hzp"), target, wrong, null, _ct));
        Assert.Equal(DropTransportErrorKind.IntegrityMismatch, down.Kind);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".part"));
        await Drop.DownloadAsync(DropPath.Of("A1", "x.hzp"), target, Sha256(bytes), null, _ct);
        Assert.Equal(bytes, File.ReadAllBytes(target));

        await Assert.ThrowsAsync<ArgumentException>(() => Drop.UploadAsync(file, DropPath.Of("A1", "y.hzp"), "not-a-hash", null, _ct));
    }

    [Fact]
    public async Task A_cancelled_upload_stops_promptly_and_leaves_nothing_in_place()
    {
        var bytes = RandomBytes(40 * 1024 * 1024, 9);
        var file = LocalFile("c.hzp", bytes);
        using var cts = new CancellationTokenSource();
        long cancelledAt = 0, lastReported = 0;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            lastReported = p.BytesDone;
            if (p.BytesDone > 4 * 1024 * 1024 && !cts.IsCancellationRequested)
            {
                cancelledAt = p.BytesDone;
                cts.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Drop.UploadAsync(file, DropPath.Of("A1", "c.hzp"), progress, cts.Token));
        // Promptly: in bytes, not seconds. At most the block in flight moved after the cancellation, not the rest of the file.
        Assert.True(lastReported - cancelledAt <= 1024 * 1024, $"{lastReported - cancelledAt} bytes moved after the cancellation at {cancelledAt}");
        Assert.False(File.Exists(OnDisk("A1/c.hzp")));

        var resumed = await Drop.UploadAsync(file, DropPath.Of("A1", "c.hzp"), null, _ct);   // the partial upload is kept and continued
        Assert.Equal(bytes, File.ReadAllBytes(OnDisk("A1/c.hzp")));
        Assert.True(resumed.BytesTransferred < bytes.Length, $"resumed ({resumed.BytesTransferred} bytes moved)");
    }

    [Fact]
    public async Task The_time_of_a_file_is_the_drop_clock_and_a_missing_file_has_none()
    {
        var writing = DateTimeOffset.UtcNow;
        await Drop.WriteSmallFileAsync(DropPath.Of("probe.json"), new byte[] { 1 }, _ct);
        var time = await Drop.GetLastModifiedAsync(DropPath.Of("probe.json"), _ct);
        var read = DateTimeOffset.UtcNow;
        Assert.NotNull(time);
        // Between the write and the read, whatever they took; a second either way for a server's whole-second times
        // (MDTM) and the file system's coarser clock.
        Assert.InRange(time!.Value, writing.AddSeconds(-1), read.AddSeconds(1));
        Assert.Null(await Drop.GetLastModifiedAsync(DropPath.Of("none.json"), _ct));
    }

    [Fact]
    public void Its_description_names_the_drop_and_no_secret()
    {
        Assert.False(string.IsNullOrWhiteSpace(Drop.Description));
        Assert.DoesNotContain(Testing.Ftp.VsftpdServer.Password, Drop.Description);
    }

    public void Dispose()
    {
        _drop?.Dispose();
        Local.Dispose();
    }
}
