using System.Text;

namespace HeitzSync.Core.Transport;

public enum FtpSecurity { ExplicitTls, None }

/// <summary>Where and how to reach the Siège's FTP server. <see cref="ToString"/> never shows the password.</summary>
public sealed record FtpDropSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 21;
    public required string User { get; init; }

    /// <summary>Never printed: not by <see cref="ToString"/>, not in a message.</summary>
    public string? Password { get; init; }

    /// <summary>The folder on the server that is the drop root ("/" by default).</summary>
    public string RootPath { get; init; } = "/";

    /// <summary>Explicit TLS (AUTH TLS) by default; plain FTP only when the configuration says so.</summary>
    public FtpSecurity Security { get; init; } = FtpSecurity.ExplicitTls;

    /// <summary>SHA-256 (64 hex digits) or SHA-1 (40) thumbprint of a self-signed Siège certificate: when set, exactly that
    /// certificate is accepted and nothing else; when null, the certificate must pass normal chain and name validation.
    /// Colons and spaces are ignored.</summary>
    public string? ServerCertificateThumbprint { get; init; }

    /// <summary>Passive data connections (the client connects; works through NAT). False: active mode (PORT/EPRT).</summary>
    public bool Passive { get; init; } = true;

    /// <summary>Longest wait for a connection and its TLS handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest silence while waiting for a reply or for the next bytes of a transfer.</summary>
    public TimeSpan ReadWriteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for transient failures (connection refused or cut, timeouts, 4xx replies).</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First back-off delay; each retry waits twice as long as the one before (capped at 5 minutes).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>"ftps://user@host:port/root"; no password.</summary>
    public override string ToString() => $"{(Security == FtpSecurity.ExplicitTls ? "ftps" : "ftp")}://{User}@{Host}:{Port}{NormalizedRoot}";

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(ToString());
        return true;
    }

    /// <summary>The root as an absolute server path without a trailing slash ("/" for the server's root).</summary>
    internal string NormalizedRoot => "/" + RootPath.Trim('/');

    /// <summary>The configured thumbprint as bare upper-case hex, or null.</summary>
    internal string? PinnedThumbprint => ServerCertificateThumbprint is null
        ? null
        : new string(ServerCertificateThumbprint.Where(c => c != ':' && c != ' ' && c != '-').ToArray()).ToUpperInvariant();

    /// <summary>Refuses settings that cannot work or could inject FTP commands; messages never contain the password.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host) || Host.Any(char.IsWhiteSpace)) throw new ArgumentException("The FTP host is empty or contains spaces: set drop.host to the Siège's name or address.");
        if (Port is < 1 or > 65535) throw new ArgumentException($"The FTP port {Port} is not between 1 and 65535: set drop.port (21 by default).");
        if (string.IsNullOrEmpty(User) || HasLineBreak(User)) throw new ArgumentException("The FTP user is empty or contains a line break: set drop.user.");
        if (Password is not null && HasLineBreak(Password)) throw new ArgumentException($"The stored FTP password of {User} contains a line break, which FTP cannot carry: store it again.");
        if (RootPath is null || HasLineBreak(RootPath)) throw new ArgumentException("The FTP root path contains a line break: set drop.path to a folder such as / or /drop.");
        if (PinnedThumbprint is { } pin && (pin.Length is not (40 or 64) || !pin.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"The certificate thumbprint '{ServerCertificateThumbprint}' is not a SHA-256 (64 hex digits) or SHA-1 (40 hex digits) thumbprint: copy it from the message of a refused connection, or run `openssl x509 -noout -fingerprint -sha256 -in <certificate>` on the Siège.");
        }
        if (ConnectTimeout <= TimeSpan.Zero || ReadWriteTimeout <= TimeSpan.Zero) throw new ArgumentException("The FTP timeouts must be positive.");
        if (MaxRetries < 0 || RetryBaseDelay < TimeSpan.Zero) throw new ArgumentException("The FTP retries and their delay cannot be negative.");
    }

    private static bool HasLineBreak(string value) => value.IndexOf('\r') >= 0 || value.IndexOf('\n') >= 0 || value.IndexOf('\0') >= 0;
}
