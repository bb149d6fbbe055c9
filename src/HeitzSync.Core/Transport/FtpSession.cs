using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Transport;

/// <summary>An FTP reply: its code and text.</summary>
internal sealed class FtpReply
{
    public FtpReply(int code, string text)
    {
        Code = code;
        Text = text;
    }

    public int Code { get; }
    public string Text { get; }
    public bool IsPositive => Code is >= 100 and < 400;
    public override string ToString() => $"{Code} {Text}";
}

/// <summary>A reply that is not the one the command needs.</summary>
internal sealed class FtpReplyException : Exception
{
    public FtpReplyException(string command, FtpReply reply) : base($"{command}: {reply}") => Reply = reply;

    public FtpReply Reply { get; }
}

/// <summary>
/// One logged-in FTP session (RFC 959 with RFC 4217 explicit TLS): passive data connections, binary type. Written
/// for HeitzSync because FtpWebRequest closes a TLS data connection without the TLS close_notify: strict servers
/// (vsftpd) then lose the end of an upload. Here every TLS data connection of an upload ends with a TLS shutdown
/// followed by a graceful TCP close, and each connection validates its server's certificate itself.
/// </summary>
internal sealed class FtpSession : IDisposable
{
    private static readonly Regex PassiveReply = new(@"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", RegexOptions.CultureInvariant);
    private static readonly MethodInfo? ShutdownAsync = typeof(SslStream).GetMethod("ShutdownAsync", Type.EmptyTypes);

    private readonly FtpDropSettings _settings;
    private readonly TcpClient _control;
    private Stream _stream;
    private StreamReader _reader;

    private FtpSession(FtpDropSettings settings, TcpClient control)
    {
        _settings = settings;
        _control = control;
        _stream = control.GetStream();
        _reader = new StreamReader(_stream, Encoding.UTF8, false, 4096, leaveOpen: true);
    }

    /// <summary>The thumbprint (SHA-256) of the certificate the server presented, for messages.</summary>
    public static string? LastPresentedThumbprint { get; private set; }

    public static async Task<FtpSession> OpenAsync(FtpDropSettings settings, CancellationToken cancellationToken)
    {
        var control = new TcpClient();
        FtpSession? session = null;
        try
        {
            await WithTimeout(control.ConnectAsync(settings.Host, settings.Port), settings.Timeout, cancellationToken).ConfigureAwait(false);
            control.ReceiveTimeout = control.SendTimeout = (int)settings.Timeout.TotalMilliseconds;
            session = new FtpSession(settings, control);
            await session.Expect(null, 220, cancellationToken).ConfigureAwait(false);
            if (settings.Security == FtpSecurity.ExplicitTls)
            {
                var auth = await session.Command("AUTH TLS", cancellationToken).ConfigureAwait(false);
                if (auth.Code != 234)
                {
                    throw new DropTransportException(DropTransportErrorKind.LoginFailed,
                        $"{settings.Host}:{settings.Port} does not offer explicit TLS (AUTH TLS answered {auth}): HeitzSync never falls back to plain FTP; enable TLS on the server, or set drop.security to None on a trusted network.");
                }
                var tls = await session.SecureAsync(session._stream, cancellationToken).ConfigureAwait(false);
                session._stream = tls;
                session._reader = new StreamReader(tls, Encoding.UTF8, false, 4096, leaveOpen: true);
            }
            var user = await session.Command($"USER {settings.User}", cancellationToken).ConfigureAwait(false);
            if (user.Code == 331) await session.Expect("PASS " + (settings.Password ?? ""), 230, cancellationToken, logAs: "PASS").ConfigureAwait(false);
            else if (user.Code != 230) throw new FtpReplyException("USER", user);
            if (settings.Security == FtpSecurity.ExplicitTls)
            {
                await session.Expect("PBSZ 0", 200, cancellationToken).ConfigureAwait(false);
                await session.Expect("PROT P", 200, cancellationToken).ConfigureAwait(false);
            }
            await session.Expect("TYPE I", 200, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            session?.Dispose();
            control.Dispose();
            throw;
        }
    }

    public Task<FtpReply> Command(string command, CancellationToken cancellationToken) => Send(command, cancellationToken);

    public async Task<FtpReply> Expect(string? command, int code, CancellationToken cancellationToken, string? logAs = null)
    {
        var reply = command is null ? await ReadReply(cancellationToken).ConfigureAwait(false) : await Send(command, cancellationToken).ConfigureAwait(false);
        if (reply.Code != code) throw new FtpReplyException(logAs ?? command?.Split(' ')[0] ?? "greeting", reply);
        return reply;
    }

    /// <summary>SIZE of a file, or null when the server says it does not exist.</summary>
    public async Task<long?> SizeAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await Send("SIZE " + path, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 213) return long.Parse(reply.Text.Trim(), CultureInfo.InvariantCulture);
        if (reply.Code == 550) return null;
        throw new FtpReplyException("SIZE", reply);
    }

    /// <summary>Sends <paramref name="command"/> with a passive data connection and lets <paramref name="transfer"/> use it;
    /// an upload's TLS is shut down properly before the connection closes; then the transfer's final reply is checked.</summary>
    public async Task TransferAsync(string command, bool upload, Func<Stream, Task> transfer, CancellationToken cancellationToken)
    {
        var pasv = await Expect("PASV", 227, cancellationToken).ConfigureAwait(false);
        var match = PassiveReply.Match(pasv.Text);
        if (!match.Success) throw new FtpReplyException("PASV", pasv);
        var port = int.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture) * 256 + int.Parse(match.Groups[6].Value, CultureInfo.InvariantCulture);
        using var data = new TcpClient();
        // The address in the reply is ignored: data goes to the host we trust for control (no FTP bounce).
        await WithTimeout(data.ConnectAsync(_settings.Host, port), _settings.Timeout, cancellationToken).ConfigureAwait(false);
        data.ReceiveTimeout = data.SendTimeout = (int)_settings.Timeout.TotalMilliseconds;
        var start = await Send(command, cancellationToken).ConfigureAwait(false);
        if (start.Code is not (125 or 150)) throw new FtpReplyException(command.Split(' ')[0], start);
        Stream stream = data.GetStream();
        SslStream? tls = null;
        if (_settings.Security == FtpSecurity.ExplicitTls)
        {
            tls = await SecureAsync(stream, cancellationToken).ConfigureAwait(false);
            stream = tls;
        }
        using (cancellationToken.Register(() => data.Close()))
        {
            try
            {
                await transfer(stream).ConfigureAwait(false);
            }
            catch (IOException broken) when (!cancellationToken.IsCancellationRequested)
            {
                // The server may have dropped the data connection on purpose (disk full, quota): its reason is on the control connection.
                FtpReply? reason = null;
                try { reason = await ReadReply(cancellationToken).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or TimeoutException) { }
                if (reason is { IsPositive: false }) throw new FtpReplyException(command.Split(' ')[0], reason);
                throw new IOException(broken.Message, broken);
            }
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (upload)
            {
                if (tls is not null && ShutdownAsync?.Invoke(tls, null) is Task shutdown) await shutdown.ConfigureAwait(false);
                data.Client.Shutdown(SocketShutdown.Send);   // a graceful FIN after everything was sent, never a reset
            }
        }
        tls?.Dispose();
        data.Close();
        var done = await ReadReply(cancellationToken).ConfigureAwait(false);
        if (done.Code is not (226 or 250)) throw new FtpReplyException(command.Split(' ')[0], done);
    }

    private async Task<SslStream> SecureAsync(Stream inner, CancellationToken cancellationToken)
    {
        var tls = new SslStream(inner, leaveInnerStreamOpen: true, Validate);
        await WithTimeout(tls.AuthenticateAsClientAsync(_settings.Host, null, SslProtocols.Tls12, checkCertificateRevocation: false), _settings.Timeout, cancellationToken).ConfigureAwait(false);
        return tls;
    }

    /// <summary>Normal chain validation, or exactly the pinned certificate when one is configured.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        string sha256;
        using (var sha = SHA256.Create()) sha256 = BitConverter.ToString(sha.ComputeHash(certificate.GetRawCertData())).Replace("-", "");
        LastPresentedThumbprint = sha256;
        if (_settings.CertificateThumbprint is { } pin)
        {
            var wanted = new string(pin.Where(Uri.IsHexDigit).ToArray());
            return string.Equals(wanted, sha256, StringComparison.OrdinalIgnoreCase) || string.Equals(wanted, certificate.GetCertHashString(), StringComparison.OrdinalIgnoreCase);
        }
        return errors == SslPolicyErrors.None;
    }

    private async Task<FtpReply> Send(string command, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(command + "\r\n");
        await _stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await ReadReply(cancellationToken).ConfigureAwait(false);
    }

    private async Task<FtpReply> ReadReply(CancellationToken cancellationToken)
    {
        var first = await ReadLine(cancellationToken).ConfigureAwait(false);
        if (first.Length < 3 || !int.TryParse(first.Substring(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new IOException($"The FTP server sent an unreadable reply: {first}");
        }
        var text = new StringBuilder(first.Length > 4 ? first.Substring(4) : "");
        if (first.Length > 3 && first[3] == '-')
        {
            string line;
            do
            {
                line = await ReadLine(cancellationToken).ConfigureAwait(false);
                text.Append('\n').Append(line);
            }
            while (!(line.Length >= 4 && line.StartsWith(first.Substring(0, 3), StringComparison.Ordinal) && line[3] == ' '));
        }
        return new FtpReply(code, text.ToString());
    }

    private async Task<string> ReadLine(CancellationToken cancellationToken)
    {
        var line = await WithTimeout(_reader.ReadLineAsync(), _settings.Timeout, cancellationToken).ConfigureAwait(false);
        return line ?? throw new IOException("The FTP server closed the control connection.");
    }

    private static async Task WithTimeout(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var finished = await Task.WhenAny(task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (finished != task) throw new TimeoutException($"no answer within {timeout.TotalSeconds:0} s");
        await task.ConfigureAwait(false);
    }

    private static async Task<T> WithTimeout<T>(Task<T> task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await WithTimeout((Task)task, timeout, cancellationToken).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    public void Dispose()
    {
        try
        {
            if (_control.Connected)
            {
                var quit = Encoding.ASCII.GetBytes("QUIT\r\n");
                _stream.Write(quit, 0, quit.Length);
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        _reader.Dispose();
        _stream.Dispose();
        _control.Dispose();
    }
}
