using System.Collections;
using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Commands;

/// <summary>
/// Changes named settings of a node's configuration file, validates the result and saves it only when it is
/// usable. Any setting can be changed by its JSON path with -Setting; the common ones also have a parameter. Or, like
/// Set-ADUser -Instance, takes a whole configuration changed in PowerShell (-InputObject, from Get-HzSyncConfig) and
/// writes what differs.
/// </summary>
[Cmdlet(VerbsCommon.Set, "HzSyncConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SettingsSet)]
[OutputType(typeof(HzSyncConfig))]
public sealed class SetHzSyncConfigCommand : HzConfigCmdlet
{
    private const string SettingsSet = "Settings";
    private const string InputObjectSet = "InputObject";

    /// <summary>A configuration from Get-HzSyncConfig, changed in PowerShell ($c.Backup.Keep = 7): saved to its ConfigPath (or -ConfigPath).</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public HzSyncConfig? InputObject { get; set; }

    /// <summary>Settings by JSON property path: @{ 'schedule.restartHour' = '06:00'; 'backup.keep' = 14 }.</summary>
    [Parameter(Position = 0, ParameterSetName = SettingsSet)]
    [ValidateNotNull]
    public Hashtable? Setting { get; set; }

    [Parameter(ParameterSetName = SettingsSet)]
    public NodeRole? Role { get; set; }

    [Parameter(ParameterSetName = SettingsSet)]
    [ValidateNotNullOrEmpty]
    public string? SiteCode { get; set; }

    [Parameter(ParameterSetName = SettingsSet)]
    [ValidateRange(1, 999)]
    public int? SiteNumber { get; set; }

    /// <summary>A local database file (made absolute from the current location) or, with database.server, the server's path or alias.</summary>
    [Parameter(ParameterSetName = SettingsSet)]
    [ValidateNotNullOrEmpty]
    public string? DatabasePath { get; set; }

    /// <summary>A folder drop's folder (made absolute from the current location) or an FTP drop's root on the server.</summary>
    [Parameter(ParameterSetName = SettingsSet)]
    [ValidateNotNullOrEmpty]
    public string? DropPath { get; set; }

    [Parameter(ParameterSetName = SettingsSet)]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>The deadline (HH:mm) past which a run stops cleanly.</summary>
    [Parameter(ParameterSetName = SettingsSet)]
    [ValidatePattern(@"^\d{1,2}:\d{2}$")]
    public string? RestartHour { get; set; }

    /// <summary>Outputs the saved configuration.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryReadConfig(out var config, out var unknown)) return;
        var path = config.ConfigPath!;
        if (ParameterSetName == InputObjectSet)
        {
            Replace(config, unknown, InputObject!);
            return;
        }

        var settings = new List<KeyValuePair<string, object?>>();
        if (Role is { } role) settings.Add(Named("role", role.ToString()));
        if (SiteCode is not null) settings.Add(Named("site.code", SiteCode));
        if (SiteNumber is { } number) settings.Add(Named("site.number", number));
        if (DatabasePath is not null) settings.Add(Named("database.path", config.Database?.Server is null ? ResolvePath(DatabasePath) : DatabasePath));
        if (DropPath is not null) settings.Add(Named("drop.path", config.Drop?.Kind == DropKind.Ftp ? DropPath : ResolvePath(DropPath)));
        if (KeyFile is not null) settings.Add(Named("keyFile", ResolvePath(KeyFile)));
        if (RestartHour is not null) settings.Add(Named("schedule.restartHour", RestartHour));
        if (Setting is not null)
        {
            foreach (DictionaryEntry entry in Setting)
            {
                settings.Add(Named(Convert.ToString(PSValues.Unwrap(entry.Key), System.Globalization.CultureInfo.InvariantCulture) ?? "", PSValues.Unwrap(entry.Value)));
            }
        }
        if (settings.Count == 0)
        {
            WriteHzError(new ArgumentException("No setting to change: give -Setting @{ 'name' = value } or one of the setting parameters (-SiteCode, -DropPath, ...)."),
                ErrorIds.NoSettingGiven, ErrorCategory.InvalidArgument, path);
            return;
        }

        HzSyncConfig changed;
        try
        {
            changed = HzSyncConfigStore.WithSettings(config, settings);
        }
        catch (HzConfigException ex)
        {
            WriteHzError(ex, ErrorIds.SettingInvalid, ErrorCategory.InvalidArgument, path);
            return;
        }
        var problems = HzSyncConfigStore.Validate(changed);
        if (problems.Count > 0)
        {
            WriteHzError(new HzConfigException(path, problems), ErrorIds.ConfigInvalid, ErrorCategory.InvalidData, path);
            return;
        }

        var names = string.Join(", ", settings.Select(s => s.Key));
        if (!ShouldProcess(path, $"Set {names}")) return;
        foreach (var property in unknown)
        {
            WriteWarning($"Dropped from the file: {property}");
        }
        try
        {
            HzSyncConfigStore.Save(changed, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HzConfigException)
        {
            WriteHzError(ex, ErrorIds.ConfigWriteFailed, ErrorCategory.WriteError, path);
            return;
        }
        WriteVerbose($"Saved {path}: {names}.");
        if (PassThru) WriteObject(HzSyncConfigStore.Load(path));
    }

    /// <summary>Writes <paramref name="changed"/> over the file <paramref name="current"/> was read from, when it is usable and differs.</summary>
    private void Replace(HzSyncConfig current, IReadOnlyList<string> unknown, HzSyncConfig changed)
    {
        var path = current.ConfigPath!;
        // Relative paths stay relative to the file's own folder, whatever folder the object was read from.
        changed = changed with { BaseFolder = current.BaseFolder, ConfigPath = path };
        var problems = HzSyncConfigStore.Validate(changed);
        if (problems.Count > 0)
        {
            WriteHzError(new HzConfigException(path, problems), ErrorIds.ConfigInvalid, ErrorCategory.InvalidData, path);
            return;
        }
        var differences = ConfigDifferences.Between(current, changed);
        if (differences.Count == 0)
        {
            WriteVerbose($"{path}: the configuration given holds the same settings as the file; nothing to write.");
            if (PassThru) WriteObject(current);
            return;
        }
        foreach (var difference in differences) WriteVerbose($"{path}: {difference}");
        if (!ShouldProcess(path, "Set " + string.Join(", ", differences.Select(d => $"{d.Setting} ({d.Before} -> {d.After})")))) return;
        foreach (var property in unknown) WriteWarning($"Dropped from the file: {property}");
        try
        {
            HzSyncConfigStore.Save(changed, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HzConfigException)
        {
            WriteHzError(ex, ErrorIds.ConfigWriteFailed, ErrorCategory.WriteError, path);
            return;
        }
        WriteVerbose($"Saved {path}: {string.Join(", ", differences.Select(d => d.Setting))}.");
        if (PassThru) WriteObject(HzSyncConfigStore.Load(path));
    }

    private static KeyValuePair<string, object?> Named(string name, object? value) => new(name, value);
}
