using System.Management.Automation;
using HeitzSync.Core.Packaging;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Creates the group key file that encrypts and authenticates every package (once, at the Siège; then copied to
/// every node). Outputs the path and the key id, never the key.
/// </summary>
[Cmdlet(VerbsCommon.New, "HzSyncKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HzSyncKeyInfo))]
public sealed class NewHzSyncKeyCommand : HzConfigCmdlet
{
    /// <summary>Where to write the key file; default: the keyFile of the configuration (-ConfigPath).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Replaces an existing key file: every node then needs the new one.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string path;
        if (!string.IsNullOrEmpty(Path))
        {
            path = ResolvePath(Path!);
        }
        else
        {
            if (!TryLoadConfig(out var config)) return;
            path = config.Resolve(config.KeyFile);
            WriteVerbose($"No -Path: writing the key file of {config.ConfigPath} (keyFile).");
        }

        var exists = File.Exists(path);
        if (exists && !Force)
        {
            WriteHzError(
                new IOException($"The key file {path} already exists: replacing it would lock out every node that holds the old key. Add -Force to replace it, then copy the new file to every node."),
                ErrorIds.KeyFileExists, ErrorCategory.ResourceExists, path);
            return;
        }
        if (!ShouldProcess(path, exists ? "Replace the group key (every node must get the new file)" : "Create a group key")) return;

        try
        {
            using var key = SyncKey.Generate();
            key.Save(path, overwrite: Force);
            WriteObject(new HzSyncKeyInfo(path, key.KeyId));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteHzError(ex, ErrorIds.KeyFileWriteFailed, ErrorCategory.WriteError, path);
        }
    }
}
