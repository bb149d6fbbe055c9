using System.Diagnostics;
using System.Globalization;
using System.Net;
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
    public override string ToString() => $"{Code} {Text.Trim()}";
}

/// <summary>A reply that is not the one the command needs. The command is named by its verb only (never "PASS secret").</summary>
internal sealed class FtpReplyException : Exception
{
    public FtpReplyException(string verb, FtpReply reply) : base($"{verb}: {reply}")
    {
        Verb = verb;
        Reply = reply;
    }

    public string Verb { get; }
    public FtpReply Reply { get; }
}

/// <summary>The server answered AUTH TLS with a refusal: it offers no explicit TLS, and we never fall back to plain FTP.</summary>
internal sealed class FtpTlsRefusedException : Exception
{
    public FtpTlsRefusedException(FtpReply reply) : base($"AUTH TLS: {reply}") => Reply = reply;

    public FtpReply Reply { get; }
}

/// <summary>Our own validation refused the server's certificate (a handshake failure for another reason is not this).</summary>
internal sealed class FtpCertificateException : Exception
{
    public FtpCertificateException(string problem, string? presentedSha256, Exception inner) : base(problem, inner)
    {
        Problem = problem;
        PresentedSha256 = presentedSha256;
    }

    public string Problem { get; }
    public string? PresentedSha256 { get; }
}

/// <summary>
/// One logged-in FTP session (RFC 959, explicit TLS per RFC 4217, EPSV/EPRT per RFC 2428), binary type. Written for
/// HeitzSync instead of FtpWebRequest: on .NET 10 FtpWebRequest's FTPS data connections are broken (dotnet/runtime#123135:
/// vsftpd sees non-TLS bytes on the protected data connection, uploads fail, downloads hang), and on every runtime it
/// closes a TLS data connection without close_notify, which vsftpd reports as a failed upload; its certificate check is
/// the process-wide ServicePointManager callback. Here:
/// <list type="bullet">
/// <item>every connection validates the server certificate itself (a pinned thumbprint, or normal chain validation),
/// without touching any process-wide setting;</item>
/// <item>an upload's TLS data connection ends with close_notify, then a graceful TCP close after the server's own;</item>
/// <item>one watchdog aborts the session (closes its sockets) after <see cref="FtpDropSettings.ConnectTimeout"/> or
/// <see cref="FtpDropSettings.ReadWriteTimeout"/> of silence, or when the caller cancels: socket timeouts do not apply
/// to asynchronous calls, and .NET Framework ignores cancellation tokens on sockets and TLS streams.</item>
/// </list>
/// </summary>
internal sealed class FtpSession : IDisposable
{
    private static readonly Regex PassiveReply = new(@"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", RegexOptions.CultureInvariant);
    private static readonly Regex ExtendedPassiveReply = new(@"\(([\x21-\x7e])\1\1(\d+)\1\)", RegexOptions.CultureInvariant);
    private static readonly MethodInfo? ShutdownAsyncMethod = typeof(SslStream).GetMethod("ShutdownAsync", Type.EmptyTypes);

    private readonly FtpDropSettings _settings;
    private readonly CancellationToken _cancellationToken;
    private readonly Timer _watchdog;
    private TcpClient? _control;
    private CancellationTokenRegistration _cancellation;
    private Stream _stream;
    private StreamReader _reader;
    private SslStream? _controlTls;
    private Socket? _dataSocket;
    private TcpListener? _listener;
    private long _lastActivity;
    private long _limitTicks;
    private TimeSpan _limit;
    private volatile bool _timedOut;
    private volatile bool _disposed;
    private volatile bool _dataBroken;
    private string? _presentedSha256;
    private string? _certificateProblem;

    private FtpSession(FtpDropSettings settings, CancellationToken cancellationToken)
    {
        _settings = settings;
        _cancellationToken = cancellationToken;
        _stream = Stream.Null;
        _reader = StreamReader.Null;
        SetLimit(settings.ConnectTimeout);
        _watchdog = new Timer(_ => CheckIdle(), null, 250, 250);
        _cancellation = cancellationToken.Register(Abort);
    }

    /// <summary>SHA-256 of the certificate the server presented (upper-case hex), for messages.</summary>
    public string? PresentedSha256 => _presentedSha256;

    /// <summary>Connects, secures (explicit TLS unless the settings say None), logs in, and sets binary type.</summary>
    public static async Task<FtpSession> OpenAsync(FtpDropSettings settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = new FtpSession(settings, cancellationToken);
        try
        {
            await session.Guard(session.LoginAsync).ConfigureAwait(false);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private async Task<bool> LoginAsync()
    {
        Touch();
        var control = await ConnectAsync().ConfigureAwait(false);
        _stream = control.GetStream();
        _reader = new StreamReader(_stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        await Expect(null, 220).ConfigureAwait(false);
        if (_settings.Security == FtpSecurity.ExplicitTls)
        {
            var auth = await Send("AUTH TLS").ConfigureAwait(false);
            if (auth.Code != 234) throw new FtpTlsRefusedException(auth);
            _controlTls = await SecureAsync(_stream).ConfigureAwait(false);
            _stream = _controlTls;
            _reader = new StreamReader(_controlTls, Encoding.UTF8, false, 4096, leaveOpen: true);
        }
        SetLimit(_settings.ReadWriteTimeout);
        var user = await Send("USER " + _settings.User).ConfigureAwait(false);
        if (user.Code == 331) await Expect("PASS " + (_settings.Password ?? ""), 230, verb: "PASS").ConfigureAwait(false);
        else if (user.Code != 230) throw new FtpReplyException("USER", user);
        if (_settings.Security == FtpSecurity.ExplicitTls)
        {
            await Expect("PBSZ 0", 200).ConfigureAwait(false);
            await Expect("PROT P", 200).ConfigureAwait(false);
        }
        await Expect("TYPE I", 200).ConfigureAwait(false);
        return true;
    }

    /// <summary>Tries each address of the host in turn (a name may resolve to ::1 and 127.0.0.1, the server listen on one).</summary>
    private async Task<TcpClient> ConnectAsync()
    {
        var addresses = await Dns.GetHostAddressesAsync(_settings.Host).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var client = new TcpClient(address.AddressFamily) { NoDelay = true };
            _control = client;
            try
            {
                await client.ConnectAsync(address, _settings.Port).ConfigureAwait(false);
                return client;
            }
            catch (SocketException ex) when (!_timedOut && !_cancellationToken.IsCancellationRequested)
            {
                last = ex;
                client.Dispose();
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    public Task<FtpReply> CommandAsync(string command) => Guard(() => Send(command));

    public Task<FtpReply> ExpectAsync(string command, int code) => Guard(() => Expect(command, code));

    /// <summary>SIZE of a file, or null when the server says there is none (550).</summary>
    public Task<long?> SizeAsync(string path) => Guard(async () =>
    {
        var reply = await Send("SIZE " + path).ConfigureAwait(false);
        if (reply.Code == 213 && long.TryParse(reply.Text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size)) return size;
        if (reply.Code == 550) return (long?)null;
        throw new FtpReplyException("SIZE", reply);
    });

    /// <summary>Keeps the watchdog quiet during long local work (hashing the part of a file that is not sent again).</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());

    /// <summary>
    /// Opens a data connection (passive or active), sends <paramref name="command"/>, secures the connection when the
    /// session is TLS, and lets <paramref name="transfer"/> use it. An upload ends with the TLS close_notify and a
    /// graceful close once the server has closed its side. When the connection breaks, the server's reason (disk full,
    /// quota, aborted) is read from the control connection. Finally the transfer's own reply must be 226/250.
    /// </summary>
    public Task TransferAsync(string command, bool upload, Func<Stream, Task> transfer) => Guard(async () =>
    {
        var verb = command.Split(' ')[0];
        _dataBroken = false;
        using var data = await OpenDataConnectionAsync(command, verb).ConfigureAwait(false);
        var raw = data.GetStream();
        Stream stream = new ActivityStream(raw, this);
        SslStream? tls = null;
        try
        {
            if (_settings.Security == FtpSecurity.ExplicitTls)
            {
                tls = await SecureAsync(stream).ConfigureAwait(false);
                stream = tls;
            }
            await transfer(stream).ConfigureAwait(false);
            if (upload)
            {
                await stream.FlushAsync().ConfigureAwait(false);
                if (tls is not null && ShutdownAsyncMethod?.Invoke(tls, null) is Task shutdown) await shutdown.ConfigureAwait(false);
                data.Client.Shutdown(SocketShutdown.Send);   // a FIN after everything, never a reset...
                var drained = DrainAsync(raw);                 // ...then the server's own close, for a few seconds at most;
                _ = drained.ContinueWith(t => t.Exception, TaskScheduler.Default);   // a reset there is no failure: the reply tells
                await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not FtpCertificateException && _dataBroken && !_timedOut && !_cancellationToken.IsCancellationRequested)
        {
            // The server may have dropped the data connection on purpose (disk full, quota): its reason is on the control connection.
            data.Close();
            FtpReply? reason = null;
            try { reason = await ReadReply().ConfigureAwait(false); }
            catch (Exception unread) when (unread is IOException or SocketException or ObjectDisposedException) { }
            if (reason is { IsPositive: false }) throw new FtpReplyException(verb, reason);
            throw;
        }
        finally
        {
            tls?.Dispose();
            data.Close();
            _dataSocket = null;
        }
        var done = await ReadReply().ConfigureAwait(false);
        if (done.Code is not (226 or 250)) throw new FtpReplyException(verb, done);
        return true;
    });

    private async Task DrainAsync(Stream raw)
    {
        var sink = new byte[4096];
        while (await raw.ReadAsync(sink, 0, sink.Length).ConfigureAwait(false) > 0) Touch();
    }

    private async Task<TcpClient> OpenDataConnectionAsync(string command, string verb)
    {
        var control = _control ?? throw new InvalidOperationException("The FTP session is not connected.");
        var server = ((IPEndPoint)control.Client.RemoteEndPoint!).Address;
        var previous = _limit;
        SetLimit(_settings.ConnectTimeout);
        try
        {
            if (_settings.Passive)
            {
                var port = await EnterPassiveAsync(server).ConfigureAwait(false);
                var data = new TcpClient(server.AddressFamily) { NoDelay = true };
                _dataSocket = data.Client;
                try
                {
                    // The address in a PASV reply is ignored: data goes to the server we trust for control (no FTP bounce).
                    await data.ConnectAsync(server, port).ConfigureAwait(false);
                    var start = await Send(command).ConfigureAwait(false);
                    if (start.Code is not (125 or 150)) throw new FtpReplyException(verb, start);
                    return data;
                }
                catch
                {
                    data.Dispose();
                    throw;
                }
            }
            var local = ((IPEndPoint)control.Client.LocalEndPoint!).Address;
            var listener = new TcpListener(local, 0);
            _listener = listener;
            listener.Start(1);
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                var plain = local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
                var portCommand = plain.AddressFamily == AddressFamily.InterNetwork
                    ? $"PORT {plain.ToString().Replace('.', ',')},{port >> 8},{port & 255}"
                    : $"EPRT |2|{plain}|{port}|";
                await Expect(portCommand, 200).ConfigureAwait(false);
                var start = await Send(command).ConfigureAwait(false);
                if (start.Code is not (125 or 150)) throw new FtpReplyException(verb, start);
                var data = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                _dataSocket = data.Client;
                var from = ((IPEndPoint)data.Client.RemoteEndPoint!).Address;
                if (!Same(from, server))
                {
                    data.Dispose();
                    throw new IOException($"A data connection came from {from}, not from the FTP server {server}: refused.");
                }
                return data;
            }
            finally
            {
                listener.Stop();
                _listener = null;
            }
        }
        finally
        {
            SetLimit(previous);
        }
    }

    private async Task<int> EnterPassiveAsync(IPAddress server)
    {
        var ipv6 = !server.IsIPv4MappedToIPv6 && server.AddressFamily == AddressFamily.InterNetworkV6;
        if (!ipv6)
        {
            var pasv = await Send("PASV").ConfigureAwait(false);
            var match = PassiveReply.Match(pasv.Text);
            if (pasv.Code == 227 && match.Success)
            {
                return int.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture) * 256 + int.Parse(match.Groups[6].Value, CultureInfo.InvariantCulture);
            }
            if (pasv.Code != 227 && pasv.Code < 500) throw new FtpReplyException("PASV", pasv);
        }
        var epsv = await Send("EPSV").ConfigureAwait(false);
        var extended = ExtendedPassiveReply.Match(epsv.Text);
        if (epsv.Code != 229 || !extended.Success) throw new FtpReplyException("EPSV", epsv);
        return int.Parse(extended.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    private static bool Same(IPAddress a, IPAddress b) =>
        (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(b.IsIPv4MappedToIPv6 ? b.MapToIPv4() : b);

    private async Task<SslStream> SecureAsync(Stream inner)
    {
        var previous = _limit;
        SetLimit(_settings.ConnectTimeout);
        var tls = new SslStream(inner, leaveInnerStreamOpen: true, Validate);
        try
        {
            // TLS 1.2: vsftpd 3.0.x loses uploads over TLS 1.3, and .NET Framework 4.7.2 does not negotiate 1.2 unless asked.
            await tls.AuthenticateAsClientAsync(_settings.Host, null, SslProtocols.Tls12, checkCertificateRevocation: false).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex) when (_certificateProblem is { } problem && ex is AuthenticationException or IOException)
        {
            tls.Dispose();
            throw new FtpCertificateException(problem, _presentedSha256, ex);
        }
        catch
        {
            tls.Dispose();
            throw;
        }
        finally
        {
            SetLimit(previous);
        }
    }

    /// <summary>Exactly the pinned certificate when a thumbprint is configured, otherwise normal chain and name validation.
    /// Runs for this session's connections only: no process-wide callback is involved.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            _certificateProblem = "it presented no certificate";
            return false;
        }
        string sha256;
        using (var sha = SHA256.Create()) sha256 = TransferMeter.Hex(sha.ComputeHash(certificate.GetRawCertData())).ToUpperInvariant();
        _presentedSha256 = sha256;
        if (_settings.PinnedThumbprint is { } pin)
        {
            if (pin == sha256 || pin == certificate.GetCertHashString().ToUpperInvariant()) return true;
            _certificateProblem = $"it presented the certificate with SHA-256 {sha256}, but the configuration pins {pin}";
            return false;
        }
        if (errors == SslPolicyErrors.None) return true;
        _certificateProblem = $"its certificate (SHA-256 {sha256}, subject {certificate.Subject}) does not pass validation ({errors})";
        return false;
    }

    private async Task<FtpReply> Expect(string? command, int code, string? verb = null)
    {
        var reply = command is null ? await ReadReply().ConfigureAwait(false) : await Send(command).ConfigureAwait(false);
        if (reply.Code != code) throw new FtpReplyException(verb ?? command?.Split(' ')[0] ?? "greeting", reply);
        return reply;
    }

    private async Task<FtpReply> Send(string command)
    {
        if (command.IndexOf('\r') >= 0 || command.IndexOf('\n') >= 0) throw new ArgumentException("An FTP command cannot contain a line break.");
        Touch();
        var bytes = Encoding.UTF8.GetBytes(command + "\r\n");
        await _stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
        return await ReadReply().ConfigureAwait(false);
    }

    private async Task<FtpReply> ReadReply()
    {
        var first = await ReadLine().ConfigureAwait(false);
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
                line = await ReadLine().ConfigureAwait(false);
                text.Append('\n').Append(line);
            }
            while (!(line.Length >= 4 && line.StartsWith(first.Substring(0, 3), StringComparison.Ordinal) && line[3] == ' '));
        }
        return new FtpReply(code, text.ToString());
    }

    private async Task<string> ReadLine()
    {
        var line = await _reader.ReadLineAsync().ConfigureAwait(false) ?? throw new IOException("The FTP server closed the control connection.");
        Touch();
        return line;
    }

    /// <summary>Runs a step; after the watchdog or the caller aborted the session, says so instead of "socket closed".</summary>
    private async Task<T> Guard<T>(Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (_cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            throw new OperationCanceledException("The FTP operation was cancelled.", ex, _cancellationToken);
        }
        catch (Exception ex) when (_timedOut && ex is not TimeoutException)
        {
            throw new TimeoutException($"no answer within {_limit.TotalSeconds:0.#} s", ex);
        }
    }

    private void SetLimit(TimeSpan limit)
    {
        _limit = limit;
        Volatile.Write(ref _limitTicks, (long)(limit.TotalSeconds * Stopwatch.Frequency));
        Touch();
    }

    private void CheckIdle()
    {
        if (_disposed || _timedOut) return;
        if (Stopwatch.GetTimestamp() - Volatile.Read(ref _lastActivity) > Volatile.Read(ref _limitTicks))
        {
            _timedOut = true;
            Abort();
        }
    }

    /// <summary>Closes every socket of the session: whatever waits on one fails at once (timeout, cancellation).</summary>
    private void Abort()
    {
        try { _dataSocket?.Dispose(); } catch (ObjectDisposedException) { }
        try { _listener?.Stop(); } catch (SocketException) { }
        try { _control?.Client?.Dispose(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Says goodbye politely (QUIT, then the TLS close_notify on the control connection); failures are ignored.</summary>
    public async Task QuitAsync()
    {
        if (_disposed || _timedOut || _control is not { Connected: true }) return;
        SetLimit(TimeSpan.FromSeconds(Math.Min(5, _settings.ReadWriteTimeout.TotalSeconds)));
        try
        {
            await Send("QUIT").ConfigureAwait(false);
            if (_controlTls is not null && ShutdownAsyncMethod?.Invoke(_controlTls, null) is Task shutdown) await shutdown.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException) { }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _watchdog.Dispose();
        _cancellation.Dispose();
        Abort();
        _reader.Dispose();
        _stream.Dispose();
        _control?.Dispose();
    }

    /// <summary>The data connection as seen by a transfer: every read and write that completes feeds the watchdog.</summary>
    private sealed class ActivityStream : Stream
    {
        private readonly Stream _inner;
        private readonly FtpSession _session;

        public ActivityStream(Stream inner, FtpSession session)
        {
            _inner = inner;
            _session = session;
        }

        public override bool CanRead => _inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => _inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                var read = _inner.Read(buffer, offset, count);
                _session.Touch();
                return read;
            }
            catch (Exception ex) when (Broken(ex)) { throw; }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            try
            {
                _inner.Write(buffer, offset, count);
                _session.Touch();
            }
            catch (Exception ex) when (Broken(ex)) { throw; }
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            try
            {
                var read = await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
                _session.Touch();
                return read;
            }
            catch (Exception ex) when (Broken(ex)) { throw; }
        }

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            try
            {
                await _inner.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
                _session.Touch();
            }
            catch (Exception ex) when (Broken(ex)) { throw; }
        }

        /// <summary>Notes that the data connection itself failed (not the local file), then lets the exception pass.</summary>
        private bool Broken(Exception ex)
        {
            if (ex is IOException or SocketException or ObjectDisposedException) _session._dataBroken = true;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
