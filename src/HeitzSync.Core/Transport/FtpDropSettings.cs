namespace HeitzSync.Core.Transport;

public enum FtpSecurity { ExplicitTls, None }

/// <summary>Where and how to reach the Siège's FTP server. <see cref="ToString"/> never shows the password.</summary>
public sealed record FtpDropSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 21;
    public required string User { get; init; }
    public string? Password { get; init; }

    /// <summary>The folder on the server that is the drop root ("/" by default).</summary>
    public string RootPath { get; init; } = "/";

    /// <summary>Explicit TLS (AUTH TLS) by default; plain FTP only when the configuration says so.</summary>
    public FtpSecurity Security { get; init; } = FtpSecurity.ExplicitTls;

    /// <summary>SHA-1 or SHA-256 thumbprint (hex) of a self-signed Siège certificate to accept; null: normal chain validation.</summary>
    public string? CertificateThumbprint { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public int MaxRetries { get; init; } = 5;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    public override string ToString() => $"{(Security == FtpSecurity.ExplicitTls ? "ftps" : "ftp")}://{User}@{Host}:{Port}{RootPath}";

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(ToString());
        return true;
    }
}
