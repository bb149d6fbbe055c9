using System.Management.Automation;
using System.Runtime.InteropServices;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Stores a password in the node's secret store (DPAPI on Windows, an owner-only file elsewhere) for unattended runs.
/// With -For, also writes the user name and the secret's name into the configuration (database, FTP or SMTP login).
/// </summary>
/// <remarks>
/// One parameter set, -For or -Name or both: two sets sharing -Name could not be told apart by PowerShell when only
/// -Name is given.
/// </remarks>
[Cmdlet(VerbsCommon.Set, "HzSyncCredential", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzCredentialInfo))]
public sealed class SetHzSyncCredentialCommand : HzConfigCmdlet
{
    /// <summary>Which login of the configuration this credential is; without it, -Name stores the password alone.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public HzCredentialTarget? For { get; set; }

    /// <summary>The secret's name. With -For, default: the name the configuration already uses, else database, ftp or smtp.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [Credential]
    public PSCredential Credential { get; set; } = PSCredential.Empty;

    /// <summary>Windows only: who may read the secret (default LocalMachine, so the scheduled task's account can).</summary>
    [Parameter]
    public SecretScope Scope { get; set; } = SecretScope.LocalMachine;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Scope == SecretScope.CurrentUser && !RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            // DPAPI scopes exist on Windows only: say what happens here rather than pretend.
            WriteWarning("-Scope CurrentUser applies on Windows only (DPAPI). Here the secret is stored as with LocalMachine: in a file " +
                         "readable by its owner only (mode 0600, in a 0700 folder), not encrypted. Run the night as that owner (or root).");
        }
    }

    protected override void ProcessRecord()
    {
        var password = Credential.GetNetworkCredential().Password;
        if (string.IsNullOrEmpty(password))
        {
            WriteHzError(new ArgumentException($"The credential of {Credential.UserName} has an empty password: give the real password (nothing was stored)."),
                ErrorIds.CredentialPasswordEmpty, ErrorCategory.InvalidArgument, Credential.UserName);
            return;
        }
        if (Name is not null && !SecretStore.IsValidName(Name))
        {
            WriteHzError(new ArgumentException($"'{Name}' is not a valid secret name: use 1 to 64 letters, digits, '.', '_' or '-'."),
                ErrorIds.SecretNameInvalid, ErrorCategory.InvalidArgument, Name);
            return;
        }

        if (For is null && Name is null)
        {
            WriteHzError(new ArgumentException("Say what the credential is for: -For Database, Ftp or Smtp (the configuration is updated), or -Name to store the password alone."),
                ErrorIds.CredentialTargetMissing, ErrorCategory.InvalidArgument, Credential.UserName);
            return;
        }
        if (For is null)
        {
            // A secret by name only: the configuration is not changed, and need not be valid yet, only its folder is used.
            var configPath = ResolvedConfigPath;
            var store = new SecretStore(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(configPath)!, SecretStore.FolderName), Scope);
            if (!ShouldProcess($"secret '{Name}' in {store.Folder}", "Store a password")) return;
            if (Store(store, Name!, password))
            {
                if (PassThru) WriteObject(new HzCredentialInfo(Name!, null, null, HzCredentialInfo.ScopeOf(Scope), store.Folder, File.Exists(configPath) ? configPath : null, store.StoredUtc(Name!)));
            }
            return;
        }

        if (!TryReadConfig(out var config, out _)) return;
        var path = config.ConfigPath!;
        HzSyncConfig changed;
        string name;
        var target = For.Value;
        switch (target)
        {
            case HzCredentialTarget.Database:
                name = Name ?? config.Database?.PasswordSecret ?? NewHzSyncConfigCommand.DatabaseSecret;
                changed = config with { Database = (config.Database ?? new DatabaseConfig()) with { User = Credential.UserName, PasswordSecret = name } };
                break;
            case HzCredentialTarget.Ftp:
                name = Name ?? config.Drop?.PasswordSecret ?? NewHzSyncConfigCommand.FtpSecret;
                changed = config with { Drop = (config.Drop ?? new DropConfig()) with { User = Credential.UserName, PasswordSecret = name } };
                break;
            default:
                if (config.Mail is not { } mail)
                {
                    WriteHzError(new InvalidOperationException($"{path} has no mail section: set mail.smtpHost, mail.from and mail.to first with Set-HzSyncConfig, then store the SMTP login."),
                        ErrorIds.MailNotConfigured, ErrorCategory.InvalidOperation, path);
                    return;
                }
                name = Name ?? mail.PasswordSecret ?? "smtp";
                changed = config with { Mail = mail with { User = Credential.UserName, PasswordSecret = name } };
                break;
        }
        var problems = HzSyncConfigStore.Validate(changed);
        if (problems.Count > 0)
        {
            WriteHzError(new HzConfigException(path, problems), ErrorIds.ConfigInvalid, ErrorCategory.InvalidData, path);
            return;
        }

        var secrets = SecretStore.ForConfig(config, Scope);
        if (!ShouldProcess($"secret '{name}' in {secrets.Folder}, and the {target} login in {path}", $"Store the {target} credential of {Credential.UserName}")) return;
        if (!Store(secrets, name, password)) return;
        if (changed != config)
        {
            try
            {
                HzSyncConfigStore.Save(changed, path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HzConfigException)
            {
                WriteHzError(ex, ErrorIds.ConfigWriteFailed, ErrorCategory.WriteError, path);
                return;
            }
        }
        if (PassThru) WriteObject(new HzCredentialInfo(name, target, Credential.UserName, HzCredentialInfo.ScopeOf(Scope), secrets.Folder, path, secrets.StoredUtc(name)));
    }

    private bool Store(SecretStore store, string name, string password)
    {
        try
        {
            store.Set(name, password);
            WriteVerbose($"Stored secret '{name}' in {store.Folder}.");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            WriteHzError(ex, ErrorIds.SecretWriteFailed, ErrorCategory.WriteError, store.Folder);
            return false;
        }
    }
}
