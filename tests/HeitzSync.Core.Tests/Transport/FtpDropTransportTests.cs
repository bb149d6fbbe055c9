using System.Diagnostics;
using System.Security.Cryptography;
using HeitzSync.Core.Transport;
using HeitzSync.Testing;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Transport;

[Trait("Category", "Ftp")]
public class FtpDropTransportTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-ftp");

    [Fact]
    public async Task The_ftps_drop_keeps_the_transport_contract()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings());
        await DropContract.Verify(drop, server.Root, _temp);
    }

    [Fact]
    public async Task An_upload_cut_by_a_server_crash_resumes_where_it_stopped_and_arrives_intact()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings());
        var file = _temp.File("big.hzp");
        var bytes = new byte[50 * 1024 * 1024];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(file, bytes);
        await drop.CreateFolderAsync(DropPath.Of("NICE02", "up"), CancellationToken.None);
        var reports = new List<long>();
        var cut = false;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            reports.Add(p.BytesDone);
            if (!cut && p.BytesDone > 20 * 1024 * 1024)
            {
                cut = true;
                server.Stop();                                      // the server dies mid-transfer...
                Task.Delay(1500).ContinueWith(_ => server.Start());  // ...and comes back
            }
        });
        await drop.UploadAsync(file, DropPath.Of("NICE02", "up", "big.hzp"), progress, CancellationToken.None);
        Assert.True(cut);
        var afterCut = reports.SkipWhile(r => r <= 20 * 1024 * 1024).Skip(1).ToList();
        Assert.True(afterCut.Count > 0 && afterCut.Min() > 10 * 1024 * 1024, "the retry resumed from the server's partial file instead of starting over");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(server.Root, "NICE02", "up", "big.hzp"))));
        Assert.Contains("APPE", server.Log);
    }

    [Fact]
    public async Task A_download_cut_by_a_server_crash_resumes_and_arrives_intact()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings());
        var bytes = new byte[40 * 1024 * 1024];
        new Random(6).NextBytes(bytes);
        Directory.CreateDirectory(Path.Combine(server.Root, "NICE02", "down"));
        await File.WriteAllBytesAsync(Path.Combine(server.Root, "NICE02", "down", "pkg.hzp"), bytes);
        var cut = false;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            if (!cut && p.BytesDone > 15 * 1024 * 1024)
            {
                cut = true;
                server.Stop();
                Task.Delay(1500).ContinueWith(_ => server.Start());
            }
        });
        var local = _temp.File("pkg.hzp");
        await drop.DownloadAsync(DropPath.Of("NICE02", "down", "pkg.hzp"), local, progress, CancellationToken.None);
        Assert.True(cut);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(local)));
        Assert.Contains("REST", server.Log);
    }

    [Fact]
    public async Task A_wrong_password_fails_at_once_naming_user_and_server_but_not_the_password()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings(password: "wrong-Secret-99"));
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Of("LYON01"), CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.LoginFailed, error.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "a refused login is not retried");
        Assert.Contains($"hzftp@127.0.0.1:{server.Port}", error.Message);
        Assert.DoesNotContain("wrong-Secret-99", error.ToString());
    }

    [Fact]
    public async Task A_certificate_that_is_not_the_pinned_one_is_refused_and_both_are_named()
    {
        using var server = new VsftpdServer(tls: true);
        var other = new string('A', 64);
        using var drop = new FtpDropTransport(server.Settings(thumbprint: other));
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.CertificateRejected, error.Kind);
        Assert.Contains(other, error.Message);
        Assert.Contains(server.Thumbprint!, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unreachable_server_fails_after_bounded_retries()
    {
        var settings = new FtpDropSettings { Host = "127.0.0.1", Port = 1, User = "x", Password = "y", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(5) };
        using var drop = new FtpDropTransport(settings);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.Unreachable, error.Kind);
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_folder_the_account_may_not_write_is_refused_and_nothing_is_left_behind()
    {
        using var server = new VsftpdServer(tls: true);
        var locked = Path.Combine(server.Root, "LOCKED");
        Directory.CreateDirectory(locked);   // owned by root, 755: the FTP account cannot write it
        using var drop = new FtpDropTransport(server.Settings());
        var file = _temp.File("p.hzp");
        await File.WriteAllBytesAsync(file, new byte[1000]);
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(file, DropPath.Of("LOCKED", "p.hzp"), null, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.PermissionDenied, error.Kind);
        Assert.Empty(Directory.GetFiles(locked));
    }

    [Fact]
    public async Task A_full_disk_on_the_server_is_told_as_such_and_nothing_truncated_is_put_in_place()
    {
        using var server = new VsftpdServer(tls: true);
        var small = Path.Combine(server.Root, "SMALL");
        Directory.CreateDirectory(small);
        Assert.Equal(0, Run("mount", $"-t tmpfs -o size=512k tmpfs {small}"));   // a disk with 512 KB of room
        try
        {
            Run("chown", $"{VsftpdServer.User} {small}");
            using var drop = new FtpDropTransport(server.Settings() with { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(100) });
            var file = _temp.File("big.hzp");
            await File.WriteAllBytesAsync(file, new byte[3 * 1024 * 1024]);
            var error = await Assert.ThrowsAnyAsync<DropTransportException>(() => drop.UploadAsync(file, DropPath.Of("SMALL", "big.hzp"), null, CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.NoSpace, error.Kind);
            Assert.Contains("free space", error.Message);
            Assert.False(File.Exists(Path.Combine(small, "big.hzp")));   // never renamed into place
        }
        finally
        {
            Run("umount", small);
        }
    }

    private static int Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    [Fact]
    public async Task A_tls_transport_does_not_fall_back_to_plain_ftp()
    {
        using var plain = new VsftpdServer(tls: false);
        using var drop = new FtpDropTransport(plain.Settings() with { Security = FtpSecurity.ExplicitTls, MaxRetries = 0 });
        await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        using var allowed = new FtpDropTransport(plain.Settings());   // plain FTP only when configured
        Assert.Empty(await allowed.ListAsync(DropPath.Of("NONE"), CancellationToken.None));
    }

    public void Dispose() => _temp.Dispose();
}
