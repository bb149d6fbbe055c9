using System.Management.Automation;
using System.Runtime.InteropServices;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Lists the secrets stored for a node (the secrets folder beside its configuration): their names, what the
/// configuration uses each for and when it was stored; never a value. Warns of a secret the configuration names but
/// the store does not hold (the night would fail to log in).
/// </summary>
[Cmdlet(VerbsCommon.Get, "HzSyncCredential")]
[OutputType(typeof(HzCredentialInfo))]
public sealed class GetHzSyncCredentialCommand : HzConfigCmdlet
{
    /// <summary>Only these secrets (wildcards allowed); default: all of them.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvedConfigPath;
        HzSyncConfig? config = null;
        if (File.Exists(path) || !Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, SecretStore.FolderName)))
        {
            if (!TryReadConfig(out var read, out _)) return;
            config = read;
        }
        var store = StoreOf(path, config);
        var stored = store.Names();
        var uses = Uses(config);
        foreach (var (setting, secret, _, _) in uses.Where(u => !stored.Contains(u.Secret, StringComparer.Ordinal)))
        {
            WriteWarning($"{path}: {setting} names the secret '{secret}', which is not stored in {store.Folder}: store it with Set-HzSyncCredential, or the night cannot log in.");
        }

        var patterns = Name?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var name in stored.Where(n => patterns is null || patterns.Any(p => p.IsMatch(n))))
        {
            var use = uses.FirstOrDefault(u => string.Equals(u.Secret, name, StringComparison.Ordinal));
            WriteObject(new HzCredentialInfo(name, use.Target, use.UserName,
                RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "" : HzCredentialInfo.FileOwnerScope,
                store.Folder, config?.ConfigPath ?? path, store.StoredUtc(name)));
        }
        foreach (var missing in Name?.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !stored.Contains(n, StringComparer.OrdinalIgnoreCase)) ?? Enumerable.Empty<string>())
        {
            WriteHzError(new ItemNotFoundException($"No secret '{missing}' is stored in {store.Folder}: Get-HzSyncCredential lists the stored ones; Set-HzSyncCredential -Name {missing} stores it."),
                ErrorIds.SecretNotFound, ErrorCategory.ObjectNotFound, missing);
        }
    }

    /// <summary>The secret store of a node: beside its configuration, which need not exist yet (Set-HzSyncCredential -Name stores without one).</summary>
    internal static SecretStore StoreOf(string configPath, HzSyncConfig? config) =>
        config is null ? new SecretStore(Path.Combine(Path.GetDirectoryName(configPath)!, SecretStore.FolderName)) : SecretStore.ForConfig(config);

    /// <summary>The logins of the configuration that name a secret: the setting, the secret, what for and the user.</summary>
    internal static IReadOnlyList<(string Setting, string Secret, HzCredentialTarget? Target, string? UserName)> Uses(HzSyncConfig? config)
    {
        var uses = new List<(string, string, HzCredentialTarget?, string?)>();
        if (config is null) return uses;
        if (config.Database?.PasswordSecret is { Length: > 0 } database) uses.Add(("database.passwordSecret", database, HzCredentialTarget.Database, config.Database.User));
        if (config.Drop?.PasswordSecret is { Length: > 0 } ftp) uses.Add(("drop.passwordSecret", ftp, HzCredentialTarget.Ftp, config.Drop.User));
        if (config.Mail?.PasswordSecret is { Length: > 0 } smtp) uses.Add(("mail.passwordSecret", smtp, HzCredentialTarget.Smtp, config.Mail.User));
        return uses;
    }
}
