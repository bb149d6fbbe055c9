using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Secrets;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Deletes stored secrets of a node by name. A secret the configuration still uses (database, FTP or SMTP login) is
/// kept unless -Force: without it the night could no longer log in.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HzSyncCredential", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzCredentialInfo))]
public sealed class RemoveHzSyncCredentialCommand : HzConfigCmdlet
{
    /// <summary>The secrets to delete, by exact name (Get-HzSyncCredential's Name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Deletes a secret even when the configuration still names it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs what was deleted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvedConfigPath;
        HzSyncConfig? config = null;
        if (File.Exists(path))
        {
            if (!TryReadConfig(out var read, out _)) return;
            config = read;
        }
        var store = GetHzSyncCredentialCommand.StoreOf(path, config);
        var uses = GetHzSyncCredentialCommand.Uses(config);
        foreach (var name in Name)
        {
            if (!SecretStore.IsValidName(name) || !store.Contains(name))
            {
                WriteHzError(new ItemNotFoundException($"No secret '{name}' is stored in {store.Folder}: Get-HzSyncCredential lists the stored ones."),
                    ErrorIds.SecretNotFound, ErrorCategory.ObjectNotFound, name);
                continue;
            }
            var use = uses.FirstOrDefault(u => string.Equals(u.Secret, name, StringComparison.Ordinal));
            if (use.Setting is not null && !Force)
            {
                WriteHzError(new InvalidOperationException(
                        $"{path}: {use.Setting} names the secret '{name}' ({use.Target} login): without it the night cannot log in. " +
                        $"Store the new one first (Set-HzSyncCredential -For {use.Target}), or add -Force to delete it anyway."),
                    ErrorIds.SecretInUse, ErrorCategory.InvalidOperation, name);
                continue;
            }
            if (!ShouldProcess($"secret '{name}' in {store.Folder}", use.Setting is null ? "Delete the stored password" : $"Delete the stored password that {use.Setting} names")) continue;
            var info = new HzCredentialInfo(name, use.Target, use.UserName, "", store.Folder, config?.ConfigPath ?? path, store.StoredUtc(name));
            try
            {
                store.Remove(name);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                WriteHzError(ex, ErrorIds.SecretRemoveFailed, ErrorCategory.WriteError, name);
                continue;
            }
            WriteVerbose($"Deleted secret '{name}' from {store.Folder}.");
            if (PassThru) WriteObject(info);
        }
    }
}
