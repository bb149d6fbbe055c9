using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using HeitzSync.Core.Transport;
using HeitzSync.Testing;
using HeitzSync.Testing.Ftp;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>What only the FTP drop does, against real vsftpd servers: cuts, stalls, refusals, certificates.</summary>
[Trait("Category", "Ftp")]
public class FtpDropTransportTests : IClassFixture<VsftpdFixture>, IDisposable
{
    private const int MB = 1024 * 1024;

    /// <summary>Retries enough to outlast a 1.5 s outage and the server's restart however busy the machine (76 s of
    /// back-off in all); a client that gets its file back uses only the first one or two.</summary>
    private const int OutlastTheOutage = 8;
    private readonly VsftpdFixture _servers;
    private readonly TempFolder _temp = new("hz-ftp");

    public FtpDropTransportTests(VsftpdFixture servers) => _servers = servers;

    private string LocalFile(string name, int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant();
    }

    [Fact]
    public async Task An_upload_cut_by_a_server_crash_resumes_by_appending_to_the_servers_partial_file()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings() with { MaxRetries = OutlastTheOutage });
        var file = LocalFile("big.hzp", 50 * MB, 5);
        Task? restart = null;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            if (restart is null && p.BytesDone > 20 * MB) restart = server.RestartAfter(TimeSpan.FromSeconds(1.5));   // the server dies mid-transfer, comes back
        });

        var result = await drop.UploadAsync(file, DropPath.Of("NICE02", "up", "big.hzp"), progress, CancellationToken.None);
        await restart!;

        var onServer = Path.Combine(server.Root, "NICE02", "up", "big.hzp");
        Assert.Equal(Sha256Of(file), Sha256Of(onServer));
        Assert.Equal(Sha256Of(file), result.Sha256);
        Assert.True(result.Attempts >= 2, "the cut was retried");
        Assert.Contains("APPE /NICE02/up/big.hzp.part", server.Log);
        var appended = server.Transfers().Last(t => t.Ok && t.Kind == "UPLOAD" && t.Path == "/NICE02/up/big.hzp.part");
        Assert.True(appended.Bytes < 40 * MB, $"the retry appended {appended.Bytes} bytes, not the whole file again");
        Assert.True(result.BytesTransferred < 60 * MB, $"{result.BytesTransferred} bytes sent in all for a 50 MB file");
    }

    [Fact]
    public async Task A_download_cut_by_a_server_crash_resumes_from_the_local_partial_file()
    {
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings() with { MaxRetries = OutlastTheOutage });
        var bytes = new byte[40 * MB];
        new Random(6).NextBytes(bytes);
        Directory.CreateDirectory(Path.Combine(server.Root, "NICE02", "down"));
        await File.WriteAllBytesAsync(Path.Combine(server.Root, "NICE02", "down", "pkg.hzp"), bytes);
        Task? restart = null;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            if (restart is null && p.BytesDone > 15 * MB) restart = server.RestartAfter(TimeSpan.FromSeconds(1.5));
        });

        var local = _temp.File("pkg.hzp");
        var result = await drop.DownloadAsync(DropPath.Of("NICE02", "down", "pkg.hzp"), local, progress, CancellationToken.None);
        await restart!;

        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), Sha256Of(local));
        Assert.True(result.Attempts >= 2);
        Assert.Matches(@"REST \d{7,}", server.Log);
        Assert.True(result.BytesTransferred < 50 * MB, $"{result.BytesTransferred} bytes received in all for a 40 MB file");
        Assert.False(File.Exists(local + ".part"));
    }

    [Fact]
    public async Task A_server_that_stops_answering_mid_transfer_times_out_and_the_retry_finishes_the_file()
    {
        // A download: vsftpd locks a file being uploaded (lock_upload_files) until the frozen session ends, which a
        // SIGSTOP/SIGCONT pair of its privilege-separated processes does not always let happen; reads share their lock.
        using var server = new VsftpdServer(tls: true);
        using var drop = new FtpDropTransport(server.Settings() with { ReadWriteTimeout = TimeSpan.FromSeconds(2), ConnectTimeout = TimeSpan.FromSeconds(30) });
        var bytes = new byte[30 * MB];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(Path.Combine(server.Root, "stall.hzp"), bytes);
        Task<bool>? resumed = null;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            if (resumed is null && p.BytesDone > 10 * MB)
            {
                var stalled = server.ClientPorts();
                server.Pause();   // sessions frozen, connections open: only a timeout notices
                // Back once the client has given the stalled attempt up and connected again (the kernel accepts for the
                // frozen listener; the greeting waits for the resume), however long the timeout took to fire.
                resumed = Task.Run(() =>
                {
                    var reconnected = server.WaitForNewClient(stalled, TimeSpan.FromSeconds(60));
                    server.Resume();
                    return reconnected;
                });
            }
        });

        var local = _temp.File("stall.hzp");
        var result = await drop.DownloadAsync(DropPath.Of("stall.hzp"), local, progress, CancellationToken.None);

        Assert.True(await resumed!, "the client never connected again after the server froze");
        Assert.True(result.Attempts >= 2, "the stalled attempt was given up");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), Sha256Of(local));
        Assert.True(result.BytesTransferred < 35 * MB, $"{result.BytesTransferred} bytes received in all: resumed, not restarted");
    }

    [Fact]
    public async Task A_server_that_never_greets_times_out_after_bounded_retries()
    {
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await silent.AcceptTcpClientAsync()); }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        });
        try
        {
            var port = ((IPEndPoint)silent.LocalEndpoint).Port;
            using var drop = new FtpDropTransport(new FtpDropSettings
            {
                Host = "127.0.0.1", Port = port, User = "x", Password = "y",
                ConnectTimeout = TimeSpan.FromSeconds(1), MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            });
            var watch = Stopwatch.StartNew();
            // The deadline only keeps a hung transport from hanging the suite (the configured timeouts end this in 2 s).
            var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(DropTransportErrorKind.Timeout, error.Kind);
            Assert.Contains($"127.0.0.1:{port}", error.Message);
            Assert.Contains("no answer within 1 s", error.Message);   // the configured connect timeout, not a default
            Assert.Contains("2 attempts", error.Message);
            // Each attempt waited out its timeout: never less than 2 s in all (a busy machine can only make it longer).
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {watch.Elapsed}");
        }
        finally
        {
            silent.Stop();
            accepted.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_wrong_password_fails_at_once_naming_user_and_server_but_not_the_password()
    {
        var server = _servers.Ftps;
        using var drop = new FtpDropTransport(server.Settings(password: "wrong-Secret-99"));
        var refusedBefore = server.Log.Split("FAIL LOGIN").Length;
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Of("LYON01"), CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.LoginFailed, error.Kind);
        Assert.DoesNotContain("attempts", error.Message);   // a refused login is not retried: one attempt only ...
        Assert.Equal(refusedBefore + 1, server.Log.Split("FAIL LOGIN").Length);   // ... and the server saw one
        Assert.Contains($"user {VsftpdServer.User} at 127.0.0.1:{server.Port}", error.Message);
        Assert.Contains("password", error.Message);
        Assert.DoesNotContain("wrong-Secret-99", error.ToString());
    }

    [Fact]
    public async Task A_certificate_that_is_not_the_pinned_one_is_refused_naming_both_thumbprints()
    {
        var server = _servers.Ftps;
        var other = new string('A', 64);
        using var drop = new FtpDropTransport(server.Settings(thumbprint: other));
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.CertificateRejected, error.Kind);
        Assert.Contains(other, error.Message);
        Assert.Contains(server.Thumbprint!, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("drop.certificateThumbprint", error.Message);
    }

    [Fact]
    public async Task Without_a_pin_a_self_signed_certificate_fails_validation_and_the_message_says_how_to_pin_it()
    {
        var server = _servers.Ftps;
        using var drop = new FtpDropTransport(server.Settings() with { ServerCertificateThumbprint = null });
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.CertificateRejected, error.Kind);
        Assert.Contains("RemoteCertificateChainErrors", error.Message);
        Assert.Contains(server.Thumbprint!, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("pin it", error.Message);
    }

    [Fact]
    public async Task A_sha1_pin_or_one_written_with_colons_is_accepted()
    {
        var server = _servers.Ftps;
        var colons = string.Join(":", server.Thumbprint!.Chunk(2).Select(c => new string(c))).ToLowerInvariant();
        foreach (var pin in new[] { server.Sha1Thumbprint!, colons })
        {
            using var drop = new FtpDropTransport(server.Settings(thumbprint: pin));
            Assert.Empty(await drop.ListAsync(DropPath.Of("NOWHERE"), CancellationToken.None));
        }
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(server.Settings(thumbprint: "12:34")));
    }

    [Fact]
    public async Task An_unreachable_server_fails_after_bounded_retries_in_bounded_time()
    {
        var port = FreePort();
        var settings = new FtpDropSettings { Host = "127.0.0.1", Port = port, User = "x", Password = "y", MaxRetries = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(100) };
        using var drop = new FtpDropTransport(settings);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(LocalFile("u.hzp", 10, 1), DropPath.Of("u.hzp"), null, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.Unreachable, error.Kind);
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("4 attempts", error.Message);
        // 100 + 200 + 400 ms of back-off (and up to a quarter more of jitter): never less, however fast the machine; a
        // busy machine only makes it longer. The upper bound is a guard ten times above that, which a back-off ignoring
        // its configured base (2 s by default: 14 s) would still cross.
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_folder_the_account_may_not_write_is_refused_and_nothing_is_left_behind()
    {
        var server = _servers.Ftps;
        var (onDisk, onServer) = server.NewDropFolder();
        var locked = server.MakeReadOnlyFolder(Path.Combine(Path.GetFileName(onDisk), "LOCKED"));
        using var drop = new FtpDropTransport(server.Settings(rootPath: onServer));
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(LocalFile("p.hzp", 1000, 2), DropPath.Of("LOCKED", "p.hzp"), null, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("may write", error.Message);
        var small = await Assert.ThrowsAsync<DropTransportException>(() => drop.WriteSmallFileAsync(DropPath.Of("LOCKED", "ack.json"), new byte[1], CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.PermissionDenied, small.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(locked));
    }

    [Fact]
    public async Task A_full_disk_on_the_server_is_told_as_such_and_nothing_truncated_is_put_in_place()
    {
        var server = _servers.Ftps;
        var (onDisk, onServer) = server.NewDropFolder();
        var small = Path.Combine(onDisk, "SMALL");
        Directory.CreateDirectory(small);
        Assert.True(Run("mount", $"-t tmpfs -o size=512k tmpfs {small}") == 0, "mounting a 512 KB tmpfs needs root (the tests run as root in CI)");
        try
        {
            Run("chown", $"{VsftpdServer.User} {small}");
            using var drop = new FtpDropTransport(server.Settings(rootPath: onServer) with { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(100) });
            var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(LocalFile("big.hzp", 3 * MB, 3), DropPath.Of("SMALL", "big.hzp"), null, CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.NoSpace, error.Kind);
            Assert.Contains("free space", error.Message);
            Assert.False(File.Exists(Path.Combine(small, "big.hzp")));   // never renamed into place
        }
        finally
        {
            Run("umount", small);
        }
    }

    [Fact]
    public async Task A_transfer_cut_for_good_is_never_renamed_into_place()
    {
        using var server = new VsftpdServer(tls: true);
        var settings = server.Settings() with { MaxRetries = 0 };
        using var drop = new FtpDropTransport(settings);
        var file = LocalFile("cut.hzp", 30 * MB, 4);
        var stopped = false;
        var cutUpload = new InlineProgress<TransferProgress>(p =>
        {
            if (!stopped && p.BytesDone > 10 * MB) { stopped = true; server.Stop(); }
        });
        var up = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(file, DropPath.Of("A1", "cut.hzp"), cutUpload, CancellationToken.None));
        Assert.True(up.IsTransient, up.Message);
        Assert.False(File.Exists(Path.Combine(server.Root, "A1", "cut.hzp")));
        Assert.InRange(new FileInfo(Path.Combine(server.Root, "A1", "cut.hzp.part")).Length, 1, 30 * MB - 1);

        server.Start();
        File.Copy(file, Path.Combine(server.Root, "A1", "whole.hzp"));
        stopped = false;
        var local = _temp.File("whole-back.hzp");
        var cutDownload = new InlineProgress<TransferProgress>(p =>
        {
            if (!stopped && p.BytesDone > 10 * MB) { stopped = true; server.Stop(); }
        });
        var down = await Assert.ThrowsAsync<DropTransportException>(() => drop.DownloadAsync(DropPath.Of("A1", "whole.hzp"), local, cutDownload, CancellationToken.None));
        Assert.True(down.IsTransient, down.Message);
        Assert.False(File.Exists(local));
        Assert.InRange(new FileInfo(local + ".part").Length, 1, 30 * MB - 1);
    }

    [Fact]
    public async Task Cancelling_aborts_the_transfer_at_once()
    {
        var server = _servers.Ftps;
        var (onDisk, onServer) = server.NewDropFolder();
        using var drop = new FtpDropTransport(server.Settings(rootPath: onServer));
        using var cts = new CancellationTokenSource();
        long cancelledAt = 0, lastReported = 0;
        var progress = new InlineProgress<TransferProgress>(p =>
        {
            lastReported = p.BytesDone;
            if (p.BytesDone > 5 * MB && !cts.IsCancellationRequested) { cancelledAt = p.BytesDone; cts.Cancel(); }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drop.UploadAsync(LocalFile("c.hzp", 50 * MB, 8), DropPath.Of("c.hzp"), progress, cts.Token));
        // At once: in bytes, not seconds. Not one more block went out after the cancellation, let alone the other 45 MB.
        Assert.Equal(cancelledAt, lastReported);
        Assert.False(File.Exists(Path.Combine(onDisk, "c.hzp")));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drop.ListAsync(DropPath.Root, cts.Token));   // an already cancelled token: nothing starts
    }

    [Fact]
    public async Task An_ftps_transport_never_falls_back_to_plain_ftp()
    {
        var plain = _servers.Plain;
        using var drop = new FtpDropTransport(plain.Settings() with { Security = FtpSecurity.ExplicitTls });
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.Protocol, error.Kind);
        Assert.Contains("does not offer explicit TLS", error.Message);
        Assert.DoesNotContain("attempts", error.Message);   // not retried: a retry would only meet the same server
        Assert.DoesNotContain("PASS", plain.Log.Split('\n').Where(l => l.Contains("FTP command")).LastOrDefault() ?? "");   // the password never left

        using var allowed = new FtpDropTransport(plain.Settings());   // plain FTP only when configured
        Assert.Empty(await allowed.ListAsync(DropPath.Of("NONE"), CancellationToken.None));
    }

    [Fact]
    public async Task A_plain_ftp_transport_is_told_when_the_server_accepts_only_tls_logins()
    {
        var server = _servers.Ftps;
        using var drop = new FtpDropTransport(server.Settings() with { Security = FtpSecurity.None, ServerCertificateThumbprint = null });
        var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.LoginFailed, error.Kind);
        Assert.Contains("ExplicitTls", error.Message);
    }

    [Fact]
    public async Task A_server_requiring_tls_session_reuse_works_when_reached_by_name()
    {
        using var server = new VsftpdServer(new VsftpdOptions { Tls = true, RequireSslReuse = true });
        using var drop = new FtpDropTransport(server.Settings());   // Host "localhost"
        await drop.UploadAsync(LocalFile("r.hzp", 200_000, 9), DropPath.Of("r.hzp"), null, CancellationToken.None);
        Assert.Single(await drop.ListAsync(DropPath.Root, CancellationToken.None));

        using var byAddress = new FtpDropTransport(server.Settings() with { Host = "127.0.0.1", MaxRetries = 0 });
        var error = await Assert.ThrowsAsync<DropTransportException>(() => byAddress.ListAsync(DropPath.Root, CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.Protocol, error.Kind);
        Assert.Contains("host name", error.Message);
    }

    [Fact]
    public async Task No_failure_ever_shows_the_password()
    {
        const string secret = "S3cret-Never-Shown-42";
        var server = _servers.Ftps;
        var (_, onServer) = server.NewDropFolder();
        server.MakeReadOnlyFolder(onServer.TrimStart('/') + "/RO");
        var failures = new List<Exception>();
        async Task Collect(Func<Task> action)
        {
            try { await action(); }
            catch (Exception ex) { failures.Add(ex); }
        }
        var good = server.Settings(rootPath: onServer);
        using (var wrong = new FtpDropTransport(good with { Password = secret })) await Collect(() => wrong.ListAsync(DropPath.Root, CancellationToken.None));
        using (var pin = new FtpDropTransport(good with { ServerCertificateThumbprint = new string('B', 64) })) await Collect(() => pin.ListAsync(DropPath.Root, CancellationToken.None));
        using (var noPin = new FtpDropTransport(good with { ServerCertificateThumbprint = null })) await Collect(() => noPin.ListAsync(DropPath.Root, CancellationToken.None));
        using (var closed = new FtpDropTransport(good with { Port = FreePort(), Password = secret, MaxRetries = 1, RetryBaseDelay = TimeSpan.Zero })) await Collect(() => closed.ListAsync(DropPath.Root, CancellationToken.None));
        using (var noTls = new FtpDropTransport(_servers.Plain.Settings(password: secret) with { Security = FtpSecurity.ExplicitTls })) await Collect(() => noTls.ListAsync(DropPath.Root, CancellationToken.None));
        using (var plainToTls = new FtpDropTransport(good with { Security = FtpSecurity.None, ServerCertificateThumbprint = null })) await Collect(() => plainToTls.ListAsync(DropPath.Root, CancellationToken.None));
        using (var drop = new FtpDropTransport(good))
        {
            await Collect(() => drop.UploadAsync(LocalFile("s.hzp", 100, 1), DropPath.Of("RO", "s.hzp"), null, CancellationToken.None));
            await Collect(() => drop.DownloadAsync(DropPath.Of("none.hzp"), _temp.File("none"), null, CancellationToken.None));
            await Collect(() => drop.MoveAsync(DropPath.Of("none.hzp"), DropPath.Of("b.hzp"), CancellationToken.None));
            await Collect(() => drop.UploadAsync(LocalFile("h.hzp", 100, 1), DropPath.Of("h.hzp"), new string('1', 64), null, CancellationToken.None));
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            await Collect(() => drop.ListAsync(DropPath.Root, cancelled.Token));
        }
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(good with { Password = secret + "\r\n" }));
        try { _ = new FtpDropTransport(good with { Password = secret + "\n" }); } catch (ArgumentException ex) { failures.Add(ex); }

        Assert.Equal(12, failures.Count);
        foreach (var failure in failures)
        {
            var text = failure.ToString() + string.Join(" ", failure.Data.Values.Cast<object>());
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain(VsftpdServer.Password, text);
        }
        Assert.DoesNotContain(secret, (good with { Password = secret }).ToString());
        Assert.DoesNotContain(VsftpdServer.Password, new FtpDropTransport(good).Description);
    }

    [Fact]
    public void A_vsftpd_listing_gives_plain_files_with_their_sizes_and_nothing_else()
    {
        var listing = string.Join("\r\n",
            "drwxr-xr-x    2 1001     1001         4096 Nov 22 13:11 up",
            "-rw-r--r--    1 1001     1001      3145745 Nov 22 13:11 PARIS01_20261101T020000Z.hzp",
            "-rw-r--r--    1 1001     1001           12 Jan 02  2025 ack.json",
            "-rw-r--r--    1 1001     1001          100 Nov 22 13:11 half.hzp.part",
            "-rw-r--r--    1 1001     1001            5 Nov 22 13:11 bad name.hzp",
            "lrwxrwxrwx    1 1001     1001            5 Nov 22 13:11 link.hzp -> ack.json",
            "-rw-r--r--    1 1001     1001            7 Nov 22 13:11 ..",
            "total 8",
            "");
        var entries = FtpDropTransport.ParseListing(listing);
        Assert.Equal(new[] { ("PARIS01_20261101T020000Z.hzp", 3145745L), ("ack.json", 12L) }, entries.Select(e => (e.Name, e.Length)));
    }

    [Fact]
    public void Settings_print_without_the_password_and_refuse_what_cannot_work()
    {
        var settings = new FtpDropSettings { Host = "siege.example", User = "lyon", Password = "Very-Secret", RootPath = "/drop/" };
        Assert.Equal("ftps://lyon@siege.example:21/drop", settings.ToString());
        Assert.Equal("ftps://lyon@siege.example:21/drop", new FtpDropTransport(settings).Description);
        Assert.DoesNotContain("Very-Secret", settings.ToString());
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(settings with { User = "lyon\r\nDELE x" }));
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(settings with { Host = "" }));
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(settings with { Port = 0 }));
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(settings with { ServerCertificateThumbprint = "not hex" }));
        Assert.Throws<ArgumentException>(() => new FtpDropTransport(settings with { RootPath = "/a\nb" }));
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static int Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose() => _temp.Dispose();
}
