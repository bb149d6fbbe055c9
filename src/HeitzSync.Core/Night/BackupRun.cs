using HeitzSync.Core.Reports;

namespace HeitzSync.Core.Night;

/// <summary>What Start-HzBackup (and <c>hzsync backup --kind</c>) makes: the full safety backup, the delta package, or both.</summary>
[Flags]
public enum BackupKind
{
    /// <summary>The verified full gbak backup of the node's database (it stays on the node; kept by rotation).</summary>
    Safety = 1,

    /// <summary>The site's package of every change the Siège has not acknowledged, in the outgoing folder until sent.</summary>
    Delta = 2,

    Both = Safety | Delta,
}

/// <summary>One file a backup run made: a safety backup (<see cref="BackupKind.Safety"/>) or a delta package (<see cref="BackupKind.Delta"/>).</summary>
public sealed record BackupArtefact(BackupKind Kind, string Path, long SizeBytes, long Rows, DateTime CreatedUtc)
{
    /// <summary>The report of the run that made it.</summary>
    public string ReportId { get; init; } = "";
}

/// <summary>A backup run: its report, and the files it made (those made before a failure too).</summary>
public sealed record BackupRun(SyncReport Report, IReadOnlyList<BackupArtefact> Artefacts);
