using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Transport;

/// <summary>
/// The drop on the Siège's FTP server (DESIGN.md §8): explicit TLS by default, passive, binary, through
/// <see cref="FtpSession"/> (FtpWebRequest's FTPS does not work on .NET 10; see there).
/// <list type="bullet">
/// <item>Upload: into <c>name.part</c>; after a cut, APPE from the server's <c>.part</c> size when its last 64 KB equal the
/// local file's bytes at that place (otherwise STOR from the start); then SIZE must equal the local size, and only then
/// RNFR/RNTO over the final name (deleting the old file first where the server refuses to overwrite).</item>
/// <item>Download: into the local <c>name.part</c>; after a cut, REST from 64 KB before its end, the overlap compared
/// with what is on disk; then the size must match, the file is flushed to disk and moved into place.</item>
/// <item>Both hash what they send or receive (SHA-256 of the whole file) and refuse to put in place a file that does
/// not match the hash the caller expects.</item>
/// <item>Transient failures (connection refused or cut, timeouts, 4xx replies) are retried with exponential back-off;
/// a refused login, a refused certificate, a missing right, a full disk fail at once.</item>
/// </list>
/// Each operation uses its own session, so a server restarted mid-night costs one retry. The password never appears in
/// a message.
/// </summary>
public sealed class FtpDropTransport : IDropTransport
{
    private const int BufferSize = 64 * 1024;
    private const int ResumeCheckLength = 64 * 1024;
    private const int SmallFileLimit = 16 * 1024 * 1024;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);
    private static readonly Regex ListLine = new(
        @"^(?<type>[-dl])[rwxsStT-]{9}\S*\s+\d+\s+\S+\s+\S+\s+(?<size>\d+)\s+\w{3}\s+\d{1,2}\s+(\d{1,2}:\d{2}|\d{4})\s(?<name>.+)$",
        RegexOptions.CultureInvariant);

    private readonly FtpDropSettings _settings;
    private readonly Random _jitter = new();

    /// <exception cref="ArgumentException">The settings cannot work (empty host, a line break in the user, a malformed thumbprint...).</exception>
    public FtpDropTransport(FtpDropSettings settings)
    {
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        settings.Validate();
        _settings = settings;
    }

    public string Description => _settings.ToString();

    /// <summary>Links and special files are the server's business over FTP (a listing shows them as such and they are
    /// not listed); names that are not valid drop names are left out of listings.</summary>
    public IReadOnlyList<string> Refused => Array.Empty<string>();

    private string Place => $"{_settings.User}@{_settings.Host}:{_settings.Port}";

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<DropEntry>>($"listing {folder}", async session =>
        {
            var text = new MemoryStream();
            try
            {
                await session.TransferAsync("LIST " + Remote(folder), upload: false, s => s.CopyToAsync(text, BufferSize)).ConfigureAwait(false);
            }
            catch (FtpReplyException ex) when (ex.Reply.Code == 550)
            {
                return Array.Empty<DropEntry>();   // no such folder yet
            }
            return ParseListing(Encoding.UTF8.GetString(text.ToArray()));
        }, cancellationToken);

    /// <summary>Plain files of a Unix-style listing (vsftpd's), except <c>.part</c> files and names that are not valid drop names.</summary>
    internal static IReadOnlyList<DropEntry> ParseListing(string listing)
    {
        var entries = new List<DropEntry>();
        foreach (var line in listing.Split('\n'))
        {
            var match = ListLine.Match(line.TrimEnd('\r'));
            if (!match.Success || match.Groups["type"].Value != "-") continue;
            var name = match.Groups["name"].Value;
            if (name.EndsWith(".part", StringComparison.Ordinal) || !DropPath.IsValidSegment(name)) continue;
            entries.Add(new DropEntry(name, long.Parse(match.Groups["size"].Value, CultureInfo.InvariantCulture), null));
        }
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken) =>
        Run($"creating the folder {folder}", async session =>
        {
            await CreateFolders(session, folder).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>MKD each level in turn; a level that already exists is fine, one that cannot be made is refused.</summary>
    private async Task CreateFolders(FtpSession session, DropPath folder)
    {
        var path = DropPath.Root;
        foreach (var segment in folder.Segments)
        {
            path = path.Append(segment);
            var reply = await session.CommandAsync("MKD " + Remote(path)).ConfigureAwait(false);
            if (reply.Code == 257) continue;
            var exists = await session.CommandAsync("CWD " + Remote(path)).ConfigureAwait(false);
            if (exists.Code != 250) throw new FtpReplyException("MKD", reply);
        }
    }

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        UploadAsync(localPath, remote, null, progress, cancellationToken);

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(localPath)) throw new FileNotFoundException($"{localPath} does not exist: nothing to upload.", localPath);
        var meter = new TransferMeter(remote.Name, new FileInfo(localPath).Length, expectedSha256, progress);
        return Transfer(meter, $"upload of {remote}", session => UploadOnce(session, localPath, remote, meter, cancellationToken), cancellationToken);
    }

    private async Task<TransferResult> UploadOnce(FtpSession session, string localPath, DropPath remote, TransferMeter meter, CancellationToken cancellationToken)
    {
        var part = Remote(remote.PartFile);
        using var source = Local(localPath, () => new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true));
        var total = source.Length;
        meter.BeginAttempt(total);
        var already = await session.SizeAsync(part).ConfigureAwait(false);
        var resumeAt = already is > 0 && already <= total && await RemoteTailMatches(session, part, already.Value, source, meter).ConfigureAwait(false)
            ? already.Value
            : 0;
        meter.HashPrefix(source, resumeAt, session.Touch);
        if (resumeAt < total || total == 0)
        {
            var command = (resumeAt > 0 ? "APPE " : "STOR ") + part;
            Task Send() => session.TransferAsync(command, upload: true, target => SendFile(source, resumeAt, target, meter, cancellationToken));
            try
            {
                await Send().ConfigureAwait(false);
            }
            catch (FtpReplyException ex) when (ex.Reply.Code is 550 or 553 && meter.Done == resumeAt)
            {
                // Refused before a byte was sent: the folder may be missing. Create it like the folder drop does, then try once more.
                await CreateFolders(session, remote.Parent).ConfigureAwait(false);
                await Send().ConfigureAwait(false);
            }
        }
        var size = await session.SizeAsync(part).ConfigureAwait(false);
        if (size != total)
        {
            throw new FtpRetryableException($"{remote} arrived with {size?.ToString(CultureInfo.InvariantCulture) ?? "no"} bytes of {total} on {Description}; it was not put in place and will be resumed.");
        }
        var sha256 = meter.FinishHash();
        if (!meter.Matches(sha256))
        {
            await session.CommandAsync("DELE " + part).ConfigureAwait(false);
            throw new DropTransportException(DropTransportErrorKind.IntegrityMismatch,
                $"{localPath} hashes to SHA-256 {sha256}, not the expected {meter.ExpectedSha256}: it was not published as {remote} on {Description}. Check that the file was not changed or damaged after it was made.");
        }
        await Rename(session, part, Remote(remote), remote.Parent).ConfigureAwait(false);
        return meter.Result(sha256);
    }

    /// <summary>Whether the server's partial file ends with the bytes the local file has at the same place (an earlier
    /// upload of this very file), read back with REST + RETR. A partial file of another content is not continued.</summary>
    private static async Task<bool> RemoteTailMatches(FtpSession session, string part, long remoteSize, FileStream source, TransferMeter meter)
    {
        var length = (int)Math.Min(ResumeCheckLength, remoteSize);
        var start = remoteSize - length;
        var expected = new byte[length];
        source.Position = start;
        if (ReadFully(source, expected, length) != length) return false;
        if (start > 0 && (await session.CommandAsync("REST " + start.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false)).Code != 350) return false;
        var actual = new MemoryStream(length);
        await session.TransferAsync("RETR " + part, upload: false, s => CopyAtMost(s, actual, length + 1)).ConfigureAwait(false);
        meter.AddMovedOnly((int)actual.Length);
        return actual.Length == length && actual.ToArray().SequenceEqual(expected);
    }

    private static async Task SendFile(FileStream source, long from, Stream target, TransferMeter meter, CancellationToken cancellationToken)
    {
        source.Position = from;
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await target.WriteAsync(buffer, 0, read).ConfigureAwait(false);
            meter.Add(buffer, 0, read);
            FaultPoints.Hit("upload.during");
        }
    }

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        DownloadAsync(remote, localPath, null, progress, cancellationToken);

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var meter = new TransferMeter(remote.Name, 0, expectedSha256, progress);
        var target = Path.GetFullPath(localPath);
        return Transfer(meter, $"download of {remote}", session => DownloadOnce(session, remote, target, meter, cancellationToken), cancellationToken);
    }

    private async Task<TransferResult> DownloadOnce(FtpSession session, DropPath remote, string localPath, TransferMeter meter, CancellationToken cancellationToken)
    {
        var path = Remote(remote);
        var total = await session.SizeAsync(path).ConfigureAwait(false)
            ?? throw new DropTransportException(DropTransportErrorKind.NotFound, $"{remote} is not on {Description}.");
        meter.BeginAttempt(total);
        var part = localPath + ".part";
        string sha256;
        using (var target = Local(part, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(part)!);
            return new FileStream(part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, useAsync: true);
        }))
        {
            var have = target.Length <= total ? target.Length : 0;
            var overlap = new byte[(int)Math.Min(ResumeCheckLength, have)];
            var start = have - overlap.Length;
            meter.HashPrefix(target, start, session.Touch);
            if (ReadFully(target, overlap, overlap.Length) != overlap.Length) throw new IOException($"{part} could not be read back.");
            if (start > 0 && (await session.CommandAsync("REST " + start.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false)).Code != 350)
            {
                throw new DropTransportException(DropTransportErrorKind.Protocol, $"{Place} does not resume downloads (REST): remove {part} to download {remote} from the start.");
            }
            try
            {
                await session.TransferAsync("RETR " + path, upload: false, source => ReceiveFile(source, target, part, have, overlap, meter)).ConfigureAwait(false);
            }
            catch (ResumeMismatchException)
            {
                Local(part, () => { target.SetLength(0); return true; });
                throw new FtpRetryableException($"The partial download {part} is not the beginning of {remote} on {Description}; starting again from the first byte.");
            }
            Local(part, () => { target.Flush(flushToDisk: true); return true; });
            if (target.Length != total)
            {
                throw new FtpRetryableException($"{remote} came with {target.Length} bytes of {total} from {Description}; the partial copy {part} is kept to resume.");
            }
            sha256 = meter.FinishHash();
        }
        if (!meter.Matches(sha256))
        {
            Local(part, () => { File.Delete(part); return true; });
            throw new DropTransportException(DropTransportErrorKind.IntegrityMismatch,
                $"{remote} from {Description} hashes to SHA-256 {sha256}, not the expected {meter.ExpectedSha256}: it was deleted, not put in place as {localPath}.");
        }
        Local(localPath, () => { FolderDropTransport.Publish(part, localPath); return true; });
        return meter.Result(sha256);
    }

    /// <summary>Writes what the server sends after the bytes already on disk; the first <paramref name="overlap"/> bytes
    /// (re-sent on purpose) must equal the end of the local partial copy.</summary>
    private static async Task ReceiveFile(Stream source, FileStream target, string part, long have, byte[] overlap, TransferMeter meter)
    {
        target.Position = have;
        // TLS hands over at most one 16 KB record per read: gather 128 KB before each write and hash.
        var buffer = new byte[2 * BufferSize];
        var compared = 0;
        var ended = false;
        while (!ended)
        {
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await source.ReadAsync(buffer, filled, buffer.Length - filled).ConfigureAwait(false);
                if (read == 0)
                {
                    ended = true;
                    break;
                }
                filled += read;
            }
            var offset = 0;
            if (compared < overlap.Length)
            {
                var count = Math.Min(filled, overlap.Length - compared);
                for (var i = 0; i < count; i++)
                {
                    if (buffer[i] != overlap[compared + i]) throw new ResumeMismatchException();
                }
                meter.Add(buffer, 0, count);
                compared += count;
                offset = count;
            }
            if (offset < filled)
            {
                try
                {
                    await target.WriteAsync(buffer, offset, filled - offset).ConfigureAwait(false);
                }
                catch (Exception ex) when (LocalFailure(ex, part) is { } failure)
                {
                    throw failure;
                }
                meter.Add(buffer, offset, filled - offset);
                FaultPoints.Hit("download.during");
            }
        }
    }

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run<byte[]?>($"reading {remote}", async session =>
        {
            var path = Remote(remote);
            if (await session.SizeAsync(path).ConfigureAwait(false) is not { } size) return null;
            if (size > SmallFileLimit) throw new DropTransportException(DropTransportErrorKind.Protocol, $"{remote} on {Description} is {size} bytes: too large for a small file.");
            var memory = new MemoryStream((int)size);
            await session.TransferAsync("RETR " + path, upload: false, s => CopyAtMost(s, memory, SmallFileLimit + 1)).ConfigureAwait(false);
            if (memory.Length != size) throw new FtpRetryableException($"{remote} came with {memory.Length} bytes of {size} from {Description}.");
            return memory.ToArray();
        }, cancellationToken);

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken) =>
        Run($"writing {remote}", async session =>
        {
            var part = Remote(remote.PartFile);
            Task Send() => session.TransferAsync("STOR " + part, upload: true, s => s.WriteAsync(content, 0, content.Length));
            try
            {
                await Send().ConfigureAwait(false);
            }
            catch (FtpReplyException ex) when (ex.Reply.Code is 550 or 553)
            {
                await CreateFolders(session, remote.Parent).ConfigureAwait(false);
                await Send().ConfigureAwait(false);
            }
            var size = await session.SizeAsync(part).ConfigureAwait(false);
            if (size != content.Length) throw new FtpRetryableException($"{remote} arrived with {size} bytes of {content.Length} on {Description}; it was not put in place.");
            await Rename(session, part, Remote(remote), remote.Parent).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task DeleteAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run($"deleting {remote}", async session =>
        {
            var reply = await session.CommandAsync("DELE " + Remote(remote)).ConfigureAwait(false);
            if (reply.Code == 250) return true;
            if (reply.Code == 550 && await session.SizeAsync(Remote(remote)).ConfigureAwait(false) is null) return true;   // already gone
            throw new FtpReplyException("DELE", reply);
        }, cancellationToken);

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run<DateTimeOffset?>($"reading the time of {remote}", async session =>
        {
            var reply = await session.CommandAsync("MDTM " + Remote(remote)).ConfigureAwait(false);
            if (reply.Code == 550) return null;
            var text = reply.Text.Trim();
            if (reply.Code != 213 || text.Length < 14 ||
                !DateTimeOffset.TryParseExact(text.Substring(0, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                throw new FtpReplyException("MDTM", reply);
            }
            return time;
        }, cancellationToken);

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken) =>
        Run($"moving {from}", async session =>
        {
            var source = Remote(from);
            if (await session.SizeAsync(source).ConfigureAwait(false) is null)
            {
                throw new DropTransportException(DropTransportErrorKind.NotFound, $"{from} is not on {Description}: nothing to move.");
            }
            await Rename(session, source, Remote(to), to.Parent).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>RNFR/RNTO; where the server refuses to rename over an existing file, removes it and renames again; where
    /// the target folder is missing, creates it.</summary>
    private async Task Rename(FtpSession session, string from, string to, DropPath targetFolder)
    {
        await session.ExpectAsync("RNFR " + from, 350).ConfigureAwait(false);
        var reply = await session.CommandAsync("RNTO " + to).ConfigureAwait(false);
        if (reply.Code == 250) return;
        if (await session.SizeAsync(to).ConfigureAwait(false) is not null) await session.CommandAsync("DELE " + to).ConfigureAwait(false);
        else await CreateFolders(session, targetFolder).ConfigureAwait(false);
        await session.ExpectAsync("RNFR " + from, 350).ConfigureAwait(false);
        await session.ExpectAsync("RNTO " + to, 250).ConfigureAwait(false);
    }

    /// <summary>The path on the server: the configured root, then validated segments only.</summary>
    private string Remote(DropPath path)
    {
        var root = _settings.NormalizedRoot;
        var relative = path.ToString();
        if (relative.Length == 0) return root;
        return root == "/" ? "/" + relative : root + "/" + relative;
    }

    private async Task<TransferResult> Transfer(TransferMeter meter, string what, Func<FtpSession, Task<TransferResult>> once, CancellationToken cancellationToken)
    {
        using (meter) return await Run(what, once, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a session, runs one operation, retries transient failures with exponential back-off, and turns
    /// every failure into a <see cref="DropTransportException"/> that names the server and the fix.</summary>
    private async Task<T> Run<T>(string what, Func<FtpSession, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FtpSession? session = null;
            try
            {
                session = await FtpSession.OpenAsync(_settings, cancellationToken).ConfigureAwait(false);
                var result = await operation(session).ConfigureAwait(false);
                await session.QuitAsync().ConfigureAwait(false);
                return result;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && Classify(ex, what) is { } classified)
            {
                var (failure, retry) = classified;
                if (!retry || attempt >= _settings.MaxRetries)
                {
                    if (attempt == 0) throw failure;
                    throw new DropTransportException(failure.Kind, $"{failure.Message} Gave up after {attempt + 1} attempts.", failure.InnerException ?? failure);
                }
            }
            finally
            {
                session?.Dispose();
            }
            await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    private Task Run(string what, Func<FtpSession, Task<bool>> operation, CancellationToken cancellationToken) => Run<bool>(what, operation, cancellationToken);

    private TimeSpan RetryDelay(int attempt)
    {
        var delay = _settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20));
        double jitter;
        lock (_jitter) jitter = _jitter.NextDouble() * 0.25;   // sites that lost the Siège together do not all come back at once
        return TimeSpan.FromMilliseconds(Math.Min(delay * (1 + jitter), MaxRetryDelay.TotalMilliseconds));
    }

    /// <summary>The failure to report and whether it is worth another attempt; null for exceptions that are not about
    /// the transfer (programming errors pass through unchanged).</summary>
    private (DropTransportException Failure, bool Retry)? Classify(Exception ex, string what)
    {
        var server = $"{_settings.Host}:{_settings.Port}";
        switch (ex)
        {
            case DropTransportException known:
                return (known, known.IsTransient);
            case FtpRetryableException retryable:
                return (new DropTransportException(DropTransportErrorKind.Protocol, retryable.Message, ex), true);
            case FtpCertificateException certificate:
                return (new DropTransportException(DropTransportErrorKind.CertificateRejected,
                    $"The TLS certificate of {server} was refused: {certificate.Problem}. " +
                    (_settings.PinnedThumbprint is null
                        ? "If this is the Siège's own self-signed certificate, pin it: set drop.certificateThumbprint to its SHA-256 thumbprint" +
                          (certificate.PresentedSha256 is { } seen ? $" ({seen}, after checking on the Siège that it is the same)" : "") + "."
                        : "If the Siège's certificate was renewed, check the new thumbprint on the Siège (openssl x509 -noout -fingerprint -sha256 -in <certificate>) and update drop.certificateThumbprint; otherwise something else answers at that address."),
                    ex), false);
            case FtpTlsRefusedException refused:
                return (new DropTransportException(DropTransportErrorKind.Protocol,
                    $"{server} does not offer explicit TLS (AUTH TLS answered {refused.Reply}): HeitzSync never falls back to plain FTP. Enable TLS on the Siège's FTP server (vsftpd: ssl_enable=YES), or, on a trusted network only, set drop.security to None.", ex), false);
            case FtpReplyException { Reply.Code: 530 } login:
                var needsTls = Regex.IsMatch(login.Reply.Text, "encrypt|TLS|SSL", RegexOptions.IgnoreCase);
                return (new DropTransportException(DropTransportErrorKind.LoginFailed, needsTls
                    ? $"Login refused for user {_settings.User} at {server} ({login.Reply}): the server accepts only TLS logins; set drop.security to ExplicitTls."
                    : $"Login failed for user {_settings.User} at {server} ({login.Reply}): check drop.user and the FTP password stored under drop.passwordSecret ({FrontCommands.StoreSecret("<name>")} stores it again).", ex), false);
            case FtpReplyException { Reply.Code: 534 or 431 or 522 } tls:
                return (new DropTransportException(DropTransportErrorKind.Protocol,
                    $"{what}: {server} refused the TLS protection ({tls.Reply}). " +
                    (tls.Reply.Text.IndexOf("reuse", StringComparison.OrdinalIgnoreCase) >= 0
                        ? "The server requires TLS session reuse on data connections: reach it by host name rather than by IP address, or set require_ssl_reuse=NO in vsftpd.conf."
                        : "HeitzSync never falls back to unprotected data connections."), ex), false);
            case FtpReplyException { Reply.Code: 550 or 553 } denied:
                return (new DropTransportException(DropTransportErrorKind.PermissionDenied,
                    $"{what} refused by {Place} ({denied.Verb}: {denied.Reply}): check that the folder exists and that this account may write it.", ex), false);
            case FtpReplyException { Reply.Code: 452 or 552 or 451 } full:
                return (new DropTransportException(DropTransportErrorKind.NoSpace,
                    $"{what}: {Place} could not store the file ({full.Reply}): check the free space (and quota) of the Siège's drop. Nothing incomplete was put in place.", ex), false);
            case FtpReplyException { Reply.Code: >= 400 and < 500 } transient:
                return (new DropTransportException(DropTransportErrorKind.Unreachable, $"{what}: {Place} answered {transient.Verb}: {transient.Reply}.", ex), true);
            case FtpReplyException reply:
                return (new DropTransportException(DropTransportErrorKind.Protocol, $"{what}: {Place} answered {reply.Verb}: {reply.Reply}.", ex), false);
            case TimeoutException:
                return (new DropTransportException(DropTransportErrorKind.Timeout, $"{what}: {server} gave {ex.Message}; check the link and that the Siège's FTP server is not stuck.", ex), true);
            case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } dns:
                return (new DropTransportException(DropTransportErrorKind.Unreachable, $"The name {_settings.Host} cannot be resolved ({dns.SocketErrorCode}): check drop.host and this computer's DNS.", ex), true);
            case SocketException socket:
                return (new DropTransportException(DropTransportErrorKind.Unreachable,
                    $"{what}: {server} cannot be reached ({socket.SocketErrorCode}): check the address, the port, the firewall and that the Siège's FTP server runs.", ex), true);
            case AuthenticationException handshake:
                return (new DropTransportException(DropTransportErrorKind.Protocol,
                    $"The TLS handshake with {server} failed ({handshake.Message}): the server must offer TLS 1.2.", ex), false);
            case IOException or ObjectDisposedException:
                return (new DropTransportException(DropTransportErrorKind.Unreachable, $"{what}: the connection to {server} broke ({ex.Message}).", ex), true);
            default:
                return null;
        }
    }

    /// <summary>Runs a step on a local file; its failure (no right, disk full) is told as such and not retried.</summary>
    private static T Local<T>(string path, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (LocalFailure(ex, path) is { } failure)
        {
            throw failure;
        }
    }

    private static DropTransportException? LocalFailure(Exception ex, string path) => ex switch
    {
        UnauthorizedAccessException => new DropTransportException(DropTransportErrorKind.PermissionDenied, $"No right to write {path} on this computer: give this account write access to the folder.", ex),
        IOException io when FolderDropTransport.IsReadOnlyVolume(io) => new DropTransportException(DropTransportErrorKind.PermissionDenied, $"No right to write {path} on this computer: its volume is read-only.", ex),
        IOException io when FolderDropTransport.IsDiskFull(io) => new DropTransportException(DropTransportErrorKind.NoSpace, $"The local disk holding {path} is full: free some space; the partial copy is kept to resume.", ex),
        IOException => new DropTransportException(DropTransportErrorKind.Protocol, $"The local file {path} could not be used: {ex.Message}", ex),
        _ => null,
    };

    private static async Task CopyAtMost(Stream source, Stream target, int limit)
    {
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await source.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
        {
            if (target.Length + read > limit) throw new FtpRetryableException($"The server sent more than the {limit} bytes expected.");
            await target.WriteAsync(buffer, 0, read).ConfigureAwait(false);
        }
    }

    private static int ReadFully(Stream stream, byte[] buffer, int count)
    {
        var total = 0;
        int read;
        while (total < count && (read = stream.Read(buffer, total, count - total)) > 0) total += read;
        return total;
    }

    public void Dispose() { }

    /// <summary>A failure that another attempt may not meet (a short transfer, a partial file that must be restarted).</summary>
    private sealed class FtpRetryableException : Exception
    {
        public FtpRetryableException(string message) : base(message) { }
    }

    /// <summary>The bytes re-sent for a resumed download differ from the local partial copy.</summary>
    private sealed class ResumeMismatchException : Exception { }
}
