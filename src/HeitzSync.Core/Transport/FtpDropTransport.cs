using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Transport;

/// <summary>
/// The drop on the Siège's FTP server (DESIGN.md §8): explicit TLS by default, passive, binary, through
/// <see cref="FtpSession"/>. Uploads go to <c>name.part</c>, resume from the server's <c>.part</c> size after a cut
/// (APPE), are checked by size and only then renamed into place; downloads resume from the local <c>.part</c> (REST).
/// Transient failures are retried with exponential back-off; a refused login, a refused certificate or a permission
/// error fail at once. Each operation uses its own session, so a server restarted mid-night costs one retry.
/// The password never appears in a message.
/// </summary>
public sealed class FtpDropTransport : IDropTransport
{
    private const int BufferSize = 64 * 1024;
    private static readonly Regex ListLine = new(
        @"^(?<type>[-dl])[rwxsStT-]{9}\S*\s+\d+\s+\S+\s+\S+\s+(?<size>\d+)\s+\w{3}\s+\d{1,2}\s+(\d{1,2}:\d{2}|\d{4})\s+(?<name>.+)$",
        RegexOptions.CultureInvariant);

    private readonly FtpDropSettings _settings;

    public FtpDropTransport(FtpDropSettings settings) => _settings = settings;

    public string Description => _settings.ToString();

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<DropEntry>>($"list {folder}", async session =>
        {
            var text = new MemoryStream();
            try
            {
                await session.TransferAsync("LIST " + Remote(folder), upload: false, s => s.CopyToAsync(text, BufferSize, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (FtpReplyException ex) when (ex.Reply.Code == 550)
            {
                return Array.Empty<DropEntry>();   // no such folder yet
            }
            var entries = new List<DropEntry>();
            foreach (var line in Encoding.UTF8.GetString(text.ToArray()).Split('\n'))
            {
                var match = ListLine.Match(line.TrimEnd('\r'));
                if (!match.Success || match.Groups["type"].Value != "-") continue;
                var name = match.Groups["name"].Value;
                if (name.EndsWith(".part", StringComparison.Ordinal) || !DropPath.IsValidSegment(name)) continue;
                entries.Add(new DropEntry(name, long.Parse(match.Groups["size"].Value, CultureInfo.InvariantCulture), null));
            }
            return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken);

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken) =>
        Run($"create folder {folder}", async session =>
        {
            var path = DropPath.Root;
            foreach (var segment in folder.Segments)
            {
                path = path.Append(segment);
                var reply = await session.Command("MKD " + Remote(path), cancellationToken).ConfigureAwait(false);
                if (reply.Code == 257) continue;
                var exists = await session.Command("CWD " + Remote(path), cancellationToken).ConfigureAwait(false);
                if (exists.Code != 250) throw new FtpReplyException("MKD", reply);   // refused, not already there
            }
            return true;
        }, cancellationToken);

    public Task UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Run($"upload {remote}", async session =>
        {
            var part = Remote(remote.PartFile);
            var total = new FileInfo(localPath).Length;
            var already = await session.SizeAsync(part, cancellationToken).ConfigureAwait(false) ?? 0;
            if (already > total) already = 0;   // not ours: start again
            if (already < total || total == 0)
            {
                using var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
                source.Position = already;
                await session.TransferAsync((already > 0 ? "APPE " : "STOR ") + part, upload: true,
                    target => Copy(source, target, remote.Name, already, total, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            var size = await session.SizeAsync(part, cancellationToken).ConfigureAwait(false) ?? 0;
            if (size != total)
            {
                throw new DropTransportException(DropTransportErrorKind.Protocol, $"{remote} arrived with {size} bytes of {total} on {Description}; it was not put in place and will be resumed.");
            }
            await Rename(session, part, Remote(remote), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Run($"download {remote}", async session =>
        {
            var total = await session.SizeAsync(Remote(remote), cancellationToken).ConfigureAwait(false)
                ?? throw new DropTransportException(DropTransportErrorKind.NotFound, $"{remote} is not on {Description}.");
            var part = localPath + ".part";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(localPath))!);
            using (var target = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, BufferSize))
            {
                var already = target.Length <= total ? target.Length : 0;
                target.SetLength(already);
                target.Position = already;
                if (already < total)
                {
                    if (already > 0) await session.Expect("REST " + already.ToString(CultureInfo.InvariantCulture), 350, cancellationToken).ConfigureAwait(false);
                    await session.TransferAsync("RETR " + Remote(remote), upload: false,
                        source => Copy(source, target, remote.Name, already, total, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (target.Length != total)
                {
                    throw new DropTransportException(DropTransportErrorKind.Protocol, $"{remote} came with {target.Length} bytes of {total} from {Description}; the partial copy is kept to resume.");
                }
            }
            if (File.Exists(localPath)) File.Delete(localPath);
            File.Move(part, localPath);
            return true;
        }, cancellationToken);

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run<byte[]?>($"read {remote}", async session =>
        {
            if (await session.SizeAsync(Remote(remote), cancellationToken).ConfigureAwait(false) is null) return null;
            var memory = new MemoryStream();
            await session.TransferAsync("RETR " + Remote(remote), upload: false, s => s.CopyToAsync(memory, BufferSize, cancellationToken), cancellationToken).ConfigureAwait(false);
            return memory.ToArray();
        }, cancellationToken);

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken) =>
        Run($"write {remote}", async session =>
        {
            await session.TransferAsync("STOR " + Remote(remote.PartFile), upload: true, s => s.WriteAsync(content, 0, content.Length, cancellationToken), cancellationToken).ConfigureAwait(false);
            var size = await session.SizeAsync(Remote(remote.PartFile), cancellationToken).ConfigureAwait(false);
            if (size != content.Length) throw new DropTransportException(DropTransportErrorKind.Protocol, $"{remote} arrived with {size} bytes of {content.Length}; not put in place.");
            await Rename(session, Remote(remote.PartFile), Remote(remote), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task DeleteAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run($"delete {remote}", async session =>
        {
            var reply = await session.Command("DELE " + Remote(remote), cancellationToken).ConfigureAwait(false);
            if (reply.Code == 250) return true;
            if (reply.Code == 550 && await session.SizeAsync(Remote(remote), cancellationToken).ConfigureAwait(false) is null) return true;   // already gone
            throw new FtpReplyException("DELE", reply);
        }, cancellationToken);

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken) =>
        Run<DateTimeOffset?>($"time of {remote}", async session =>
        {
            var reply = await session.Command("MDTM " + Remote(remote), cancellationToken).ConfigureAwait(false);
            if (reply.Code == 550) return null;
            if (reply.Code != 213) throw new FtpReplyException("MDTM", reply);
            return DateTimeOffset.ParseExact(reply.Text.Trim().Substring(0, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }, cancellationToken);

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken) =>
        Run($"move {from}", async session =>
        {
            await Rename(session, Remote(from), Remote(to), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private static async Task Rename(FtpSession session, string from, string to, CancellationToken cancellationToken)
    {
        await session.Expect("RNFR " + from, 350, cancellationToken).ConfigureAwait(false);
        var reply = await session.Command("RNTO " + to, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 250) return;
        // Some servers refuse to rename over an existing file: remove it, then rename again.
        await session.Command("DELE " + to, cancellationToken).ConfigureAwait(false);
        await session.Expect("RNFR " + from, 350, cancellationToken).ConfigureAwait(false);
        await session.Expect("RNTO " + to, 250, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The path on the server: the configured root, then validated segments only.</summary>
    private string Remote(DropPath path)
    {
        var root = "/" + _settings.RootPath.Trim('/');
        var relative = path.ToString();
        return root == "/" ? "/" + relative : root + (relative.Length > 0 ? "/" + relative : "");
    }

    private static async Task Copy(Stream source, Stream target, string name, long done, long total, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var reported = done;
        int read;
        while ((read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await target.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
            done += read;
            if (done - reported >= 1024 * 1024 || done == total)
            {
                progress?.Report(new TransferProgress(name, done, total));
                reported = done;
            }
        }
    }

    /// <summary>Opens a session, runs one operation, retries transient failures with exponential back-off, and maps
    /// every failure to a <see cref="DropTransportException"/> that names the server and the fix.</summary>
    private async Task<T> Run<T>(string what, Func<FtpSession, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var session = await FtpSession.OpenAsync(_settings, cancellationToken).ConfigureAwait(false);
                return await operation(session).ConfigureAwait(false);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                throw new OperationCanceledException($"{what} on {Description} was cancelled.", ex, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or AuthenticationException or FtpReplyException or DropTransportException)
            {
                var failure = ex as DropTransportException ?? Translate(ex, what);
                var retryable = failure.IsTransient || failure.Kind == DropTransportErrorKind.Protocol;
                if (!retryable || attempt >= _settings.MaxRetries) throw failure;
                await Task.Delay(TimeSpan.FromMilliseconds(_settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task Run(string what, Func<FtpSession, Task<bool>> operation, CancellationToken cancellationToken) => Run<bool>(what, operation, cancellationToken);

    private DropTransportException Translate(Exception ex, string what)
    {
        var place = $"{_settings.User}@{_settings.Host}:{_settings.Port}";
        switch (ex)
        {
            case AuthenticationException:
                return new DropTransportException(DropTransportErrorKind.CertificateRejected,
                    $"The certificate of {_settings.Host}:{_settings.Port} was refused" +
                    (FtpSession.LastPresentedThumbprint is { } seen ? $" (it presents SHA-256 {seen})" : "") +
                    (_settings.CertificateThumbprint is { } pin ? $"; the configuration pins {pin}" : "") +
                    ". For a self-signed Siège certificate, set drop.certificateThumbprint to its SHA-256 thumbprint.", ex);
            case FtpReplyException { Reply.Code: 530 } reply:
                return new DropTransportException(DropTransportErrorKind.LoginFailed, $"Login refused for {place} ({reply.Reply.Text.Trim()}): check drop.user and the stored FTP password (Set-HzSyncCredential).", ex);
            case FtpReplyException { Reply.Code: 534 or 431 } reply:
                return new DropTransportException(DropTransportErrorKind.Protocol, $"{place} refuses TLS ({reply.Reply}): HeitzSync never falls back to plain FTP unless drop.security is None.", ex);
            case FtpReplyException { Reply.Code: 550 or 553 } reply:
                return new DropTransportException(DropTransportErrorKind.PermissionDenied, $"{what} refused by {place} ({reply.Message}): check that the account may write its folder.", ex);
            case FtpReplyException { Reply.Code: 452 or 552 or 451 } reply:
                return new DropTransportException(DropTransportErrorKind.NoSpace, $"{what}: {place} could not store the file ({reply.Reply}): check the free space (and quota) of the Siège's drop. Nothing incomplete was put in place.", ex);
            case FtpReplyException { Reply.Code: 421 or 425 or 426 or 450 } reply:
                return new DropTransportException(DropTransportErrorKind.Unreachable, $"{what}: {place} answered {reply.Reply}; will retry.", ex);
            case FtpReplyException reply:
                return new DropTransportException(DropTransportErrorKind.Protocol, $"{what}: {place} answered {reply.Reply}.", ex);
            case TimeoutException:
                return new DropTransportException(DropTransportErrorKind.Timeout, $"{what}: {place} did not answer within {_settings.Timeout.TotalSeconds:0} s.", ex);
            case SocketException socket when socket.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable:
                return new DropTransportException(DropTransportErrorKind.Unreachable, $"{_settings.Host}:{_settings.Port} cannot be reached ({socket.SocketErrorCode}): check the address, the port and that the Siège's FTP server runs.", ex);
            default:
                return new DropTransportException(DropTransportErrorKind.Unreachable, $"{what}: the connection to {place} broke ({ex.Message}); will retry.", ex);
        }
    }

    public void Dispose() { }
}
