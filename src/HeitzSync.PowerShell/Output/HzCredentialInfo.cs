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

/// <summary>A credential Set-HzSyncCredential stored: its secret's name and where, never the password.</summary>
public sealed class HzCredentialInfo
{
    public HzCredentialInfo(string name, HzCredentialTarget? @for, string? userName, SecretScope scope, string secretsFolder, string? configPath)
    {
        Name = name;
        For = @for;
        UserName = userName;
        Scope = scope;
        SecretsFolder = secretsFolder;
        ConfigPath = configPath;
    }

    /// <summary>The secret's name, as the configuration's passwordSecret holds it.</summary>
    public string Name { get; }

    /// <summary>The login it is for; null when stored by name only.</summary>
    public HzCredentialTarget? For { get; }

    /// <summary>The user name written to the configuration; null when stored by name only.</summary>
    public string? UserName { get; }

    /// <summary>Who may read it on Windows (DPAPI scope); on other systems the file's owner only.</summary>
    public SecretScope Scope { get; }

    public string SecretsFolder { get; }

    /// <summary>The configuration whose secrets folder holds it (and that was updated when a target was given).</summary>
    public string? ConfigPath { get; }

    public override string ToString() => Name;
}
