using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>A cmdlet that works on a node's configuration file: the shared -ConfigPath parameter and the ways to load it.</summary>
public abstract class HzConfigCmdlet : HzCmdlet
{
    /// <summary>One activity id for the whole module's progress, so nested steps replace each other cleanly.</summary>
    protected const int ProgressActivityId = 0x487A; // "Hz"

    /// <summary>Core's progress of a node's work (night steps, checks, comparison) as the module's progress record.</summary>
    protected static ProgressRecord ProgressRecordOf(SyncProgress progress) =>
        new(ProgressActivityId, $"HeitzSync {progress.Activity}", string.IsNullOrEmpty(progress.Status) ? progress.Activity : progress.Status)
        {
            PercentComplete = progress.PercentComplete is >= 0 and <= 100 ? progress.PercentComplete : -1,
        };

    /// <summary>Clears the module's progress bar once the work is over, however it ended.</summary>
    protected void CompleteProgress() =>
        WriteProgress(new ProgressRecord(ProgressActivityId, "HeitzSync", "Done") { RecordType = ProgressRecordType.Completed });

    /// <summary>
    /// The node's configuration file; default: HEITZSYNC_CONFIG, else the platform's default path. Binds by property
    /// name, per pipeline record: the ConfigPath of the module's objects, or the PSPath of files piped in
    /// (Get-ChildItem */heitzsync.json). Virtual for a cmdlet whose piped files are its own input (Send-HzBackup).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    [ValidateNotNullOrEmpty]
    public virtual string? ConfigPath { get; set; }

    /// <summary>The configuration file's full path: -ConfigPath resolved against the current location, or Core's default path.</summary>
    protected string ResolvedConfigPath => ResolvePath(string.IsNullOrEmpty(ConfigPath) ? HzSyncConfigStore.DefaultPath : ConfigPath!);

    /// <summary>Loads and validates the configuration, or writes the error (ConfigNotFound, ConfigInvalid) and returns false.</summary>
    protected bool TryLoadConfig(out HzSyncConfig config) => TryLoad(ResolvedConfigPath, validate: true, out config, out _);

    /// <summary>Loads and validates the configuration file <paramref name="path"/> (full), or writes the error and returns false.</summary>
    protected bool TryLoadConfig(string path, out HzSyncConfig config) => TryLoad(path, validate: true, out config, out _);

    /// <summary>Reads the configuration without validating it (to change it), or writes the error and returns false.</summary>
    protected bool TryReadConfig(out HzSyncConfig config, out IReadOnlyList<string> unknownProperties) =>
        TryLoad(ResolvedConfigPath, validate: false, out config, out unknownProperties);

    /// <summary>Loads and validates the configuration, or stops the cmdlet: for cmdlets that cannot do anything without it.</summary>
    protected HzSyncConfig LoadConfig()
    {
        var path = ResolvedConfigPath;
        if (!File.Exists(path)) ThrowHzTerminatingError(NotFound(path), ErrorIds.ConfigNotFound, ErrorCategory.ObjectNotFound, path);
        try
        {
            return HzSyncConfigStore.Load(path);
        }
        catch (HzConfigException ex)
        {
            ThrowHzTerminatingError(ex, ErrorIds.ConfigInvalid, ErrorCategory.InvalidData, path);
            return null!;
        }
    }

    private bool TryLoad(string path, bool validate, out HzSyncConfig config, out IReadOnlyList<string> unknownProperties)
    {
        config = null!;
        unknownProperties = Array.Empty<string>();
        if (!File.Exists(path))
        {
            WriteHzError(NotFound(path), ErrorIds.ConfigNotFound, ErrorCategory.ObjectNotFound, path);
            return false;
        }
        try
        {
            config = validate ? HzSyncConfigStore.Load(path) : HzSyncConfigStore.Read(path, out unknownProperties);
            return true;
        }
        catch (HzConfigException ex)
        {
            WriteHzError(ex, ErrorIds.ConfigInvalid, ErrorCategory.InvalidData, path);
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteHzError(ex, ErrorIds.ConfigReadFailed, ErrorCategory.ReadError, path);
            return false;
        }
    }

    private static FileNotFoundException NotFound(string path) =>
        new($"The configuration file {path} does not exist: create it with New-HzSyncConfig, or give -ConfigPath (or set HEITZSYNC_CONFIG).", path);
}
