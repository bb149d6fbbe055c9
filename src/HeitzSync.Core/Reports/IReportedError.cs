namespace HeitzSync.Core.Reports;

/// <summary>
/// An error that names its own stable error id (the report's ErrorId, and the cmdlets' ErrorRecord id) and keeps its
/// long detail (a tool's output) apart from its one-sentence message: the message goes to the console, the scheduled
/// script's line and the summary; the detail only into the report.
/// </summary>
public interface IReportedError
{
    string ErrorId { get; }

    /// <summary>What a reader of the report may need beyond the message (gbak's last lines); null when there is none.</summary>
    string? Detail { get; }
}
