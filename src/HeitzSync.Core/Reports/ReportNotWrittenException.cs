namespace HeitzSync.Core.Reports;

/// <summary>
/// The node's reports folder cannot take a report (full, read-only, not a folder, no right): before a run starts nothing is
/// run; after it ended, the run's outcome is in <see cref="Report"/> and in the message, since no file holds it.
/// </summary>
public sealed class ReportNotWrittenException : IOException
{
    public ReportNotWrittenException(string folder, Exception cause, SyncReport? report)
        : base(Describe(folder, cause, report), cause)
    {
        Folder = folder;
        Report = report;
    }

    public string Folder { get; }

    /// <summary>The run whose final report could not be written; null when the run could not start.</summary>
    public SyncReport? Report { get; }

    /// <summary>The failures of a reports folder: a night that meets one cannot keep its record.</summary>
    public static bool IsWriteFailure(Exception ex) => ex is IOException or UnauthorizedAccessException && ex is not ReportNotWrittenException;

    private static string Describe(string folder, Exception cause, SyncReport? report)
    {
        var why = File.Exists(folder) ? "it is a file, not a folder"
            : cause is IOException io && Transport.FolderDropTransport.IsDiskFull(io) ? "the disk is full"
            : cause is UnauthorizedAccessException ? "no right to write there"
            : cause.Message;
        var fix = "free some space there, or set reports.folder to a folder this account can write";
        return report is null
            ? $"No report can be written in {folder} ({why}): nothing was run; {fix}."
            : $"The report of this {report.Operation} could not be written in {folder} ({why}): {fix}. The run ended {report.State}: {report.Summary}";
    }
}
