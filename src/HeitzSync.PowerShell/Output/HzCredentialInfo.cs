using System.Runtime.InteropServices;
using HeitzSync.Core.Secrets;

namespace HeitzSync.PowerShell;

/// <summary>What a stored credential is for.</summary>
public enum HzCredentialTarget
{
    /// <summary>The Firebird server login (database.user, database.passwordSecret).</summary>
    Database,

    /// <summary>This site's login on the Siège's FTP server (drop.user, drop.passwordSecret).</summary>
    Ftp,

    /// <summary>The SMTP login for report emails (mail.user, mail.passwordSecret).</summary>
    Smtp,
}

/// <summary>
/// A stored credential, as Set-HzSyncCredential stored it or Get-HzSyncCredential found it: its secret's name, what
/// the configuration uses it for, and where, never the password. Pipes to Remove-HzSyncCredential by Name and ConfigPath.
/// </summary>
public sealed class HzCredentialInfo
{
    /// <summary>Scope on Linux and macOS: the secret is a file only its owner may read (mode 0600), whatever -Scope said.</summary>
    public const string FileOwnerScope = "FileOwner";

    public HzCredentialInfo(string name, HzCredentialTarget? @for, string? userName, string scope, string secretsFolder, string? configPath, DateTime? storedUtc)
    {
        Name = name;
        For = @for?.ToString() ?? "";
        UserName = userName ?? "";
        Scope = scope;
        SecretsFolder = secretsFolder;
        ConfigPath = configPath ?? "";
        StoredUtc = storedUtc;
    }

    /// <summary>What a secret stored with <paramref name="scope"/> is protected by here: the DPAPI scope on Windows, <see cref="FileOwnerScope"/> elsewhere.</summary>
    public static string ScopeOf(SecretScope scope) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? scope.ToString() : FileOwnerScope;

    /// <summary>The secret's name, as the configuration's passwordSecret holds it.</summary>
    public string Name { get; }

    /// <summary>The login it is for (Database, Ftp or Smtp: an HzCredentialTarget's name); empty when the configuration does not use it.</summary>
    public string For { get; }

    /// <summary>The user name of that login in the configuration; empty when none.</summary>
    public string UserName { get; }

    /// <summary>On Windows, the DPAPI scope it was stored with (LocalMachine or CurrentUser; empty from Get-HzSyncCredential,
    /// which cannot tell); on Linux and macOS, FileOwner.</summary>
    public string Scope { get; }

    public string SecretsFolder { get; }

    /// <summary>The configuration whose secrets folder holds it: binds -ConfigPath by property name.</summary>
    public string ConfigPath { get; }

    /// <summary>When the secret was last stored (UTC).</summary>
    public DateTime? StoredUtc { get; }

    public override string ToString() => Name;
}
