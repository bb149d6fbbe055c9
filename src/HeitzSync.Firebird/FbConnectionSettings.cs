using System.Globalization;

namespace HeitzSync.Firebird;

/// <summary>Where and how to attach. <see cref="ToString"/> never shows the password.</summary>
public sealed record FbConnectionSettings
{
    /// <summary>A file path (embedded when <see cref="Server"/> is null) or a path/alias on the server.</summary>
    public required string Database { get; init; }

    /// <summary>Host name or address of a Firebird server; null attaches through the embedded engine.</summary>
    public string? Server { get; init; }

    public int Port { get; init; } = 3050;
    public string User { get; init; } = "SYSDBA";
    public string? Password { get; init; }
    public string? Role { get; init; }

    /// <summary>Connection character set (UTF8, NONE, WIN1252...). NONE moves text as the column's own bytes.</summary>
    public string Charset { get; init; } = "UTF8";

    /// <summary>Page size for <see cref="FbConnection.CreateDatabase"/>.</summary>
    public int PageSize { get; init; } = 8192;

    public bool IsEmbedded => Server is null;

    /// <summary>"path" for embedded, "host/port:path" for a server.</summary>
    public string AttachString => Server is null
        ? Database
        : string.Format(CultureInfo.InvariantCulture, "{0}/{1}:{2}", Server, Port, Database);

    public override string ToString() => (Server is null ? "embedded " : "") + AttachString + " as " + User;

    // Records print every property; this keeps the password out of any generated text.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(ToString());
        return true;
    }
}
