using HeitzSync.Core.Night;

namespace HeitzSync.PowerShell;

/// <summary>
/// One file Start-HzBackup made: the verified safety backup (Kind Safety, it stays on the node) or the delta package
/// (Kind Delta, in the outgoing folder until Send-HzBackup uploads it). Pipes to Send-HzBackup by its Path.
/// </summary>
public sealed class HzBackupInfo
{
    public HzBackupInfo(string node, BackupArtefact artefact, string? configPath)
    {
        if (artefact is null) throw new ArgumentNullException(nameof(artefact));
        Node = node;
        Kind = artefact.Kind.ToString();
        ConfigPath = configPath ?? "";
        Path = artefact.Path;
        Name = System.IO.Path.GetFileName(artefact.Path);
        SizeBytes = artefact.SizeBytes;
        Rows = artefact.Rows;
        CreatedUtc = artefact.CreatedUtc;
        ReportId = artefact.ReportId;
    }

    /// <summary>The node's site code.</summary>
    public string Node { get; }

    /// <summary>Safety (full verified gbak backup) or Delta (the package of changes for the Siège): a BackupKind's name.</summary>
    public string Kind { get; }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The file's name.</summary>
    public string Name { get; }

    public long SizeBytes { get; }

    /// <summary>Delta: the changes the package carries; Safety: 0.</summary>
    public long Rows { get; }

    public DateTime CreatedUtc { get; }

    /// <summary>The run that made it: give it to Get-HzSyncReport -Id.</summary>
    public string ReportId { get; }

    /// <summary>The node's configuration file: Send-HzBackup binds it by property name, so the package goes with its own node's settings.</summary>
    public string ConfigPath { get; }

    public override string ToString() => Path;
}
