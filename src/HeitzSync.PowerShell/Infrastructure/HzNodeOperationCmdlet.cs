using System.Management.Automation;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Reports;
using HeitzSync.Core.Runs;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// A cmdlet that runs one of the node's operations (NodeRunner: init, backup, send, receive, consolidate, sync...):
/// -WhatIf/-Confirm on the node, Core's progress as Write-Progress and -Verbose lines, the report's errors as
/// ErrorRecords with the report's stable error id, and the run as one flat <see cref="HzSyncRun"/>.
/// </summary>
public abstract class HzNodeOperationCmdlet : HzConfigCmdlet
{
    /// <summary>
    /// Loads the configuration, asks ShouldProcess (<paramref name="action"/> on the node's database), runs the
    /// operation with progress and cancellation, writes its errors and outputs the run. Returns the report, or null
    /// when nothing ran (-WhatIf, declined, or a broken configuration, already written as an error).
    /// </summary>
    protected SyncReport? RunOperation(string action, Func<HzSyncConfig, IProgress<SyncProgress>, CancellationToken, Task<SyncReport>> operation)
    {
        if (!TryLoadConfig(out var config)) return null;
        var target = $"{config.Role} {config.Site.Code} ({config.ConfigPath})";
        if (!ShouldProcess(target, action)) return null;
        return RunOperation(config, operation);
    }

    /// <summary>Runs an operation whose ShouldProcess the caller already asked. With <paramref name="writeRun"/> false the
    /// cmdlet outputs its own objects (Start-HzBackup: the files made) instead of the run. Null when another run holds
    /// the node's lock: nothing ran, no report was written, and the RunInProgress error says which run holds it.</summary>
    protected SyncReport? RunOperation(HzSyncConfig config, Func<HzSyncConfig, IProgress<SyncProgress>, CancellationToken, Task<SyncReport>> operation, bool writeRun = true)
    {
        var verbose = VerboseFor();
        string? lastLine = null;
        var progress = ProgressFor<SyncProgress>(p =>
        {
            var line = $"[{p.Activity}] {p.Status}";
            if (line != lastLine) { lastLine = line; verbose(line); }
            return ProgressRecordOf(p);
        });
        WriteVerbose($"{config.Role} {config.Site.Code}: starting (configuration {config.ConfigPath}).");
        SyncReport report;
        try
        {
            report = RunAsync(ct => operation(config, progress, ct));
        }
        catch (RunLockedException refused)
        {
            WriteHzError(refused, ErrorIds.RunInProgress, ErrorCategory.ResourceBusy, config.ConfigPath);
            return null;
        }
        catch (ReportNotWrittenException ex)
        {
            // The reports folder is full or unusable: the run could not keep its record (nothing ran, or its outcome is in the message).
            ThrowHzTerminatingError(ex, ErrorIds.ReportNotWritten, ErrorCategory.WriteError, ex.Folder);
            return null;
        }
        finally
        {
            CompleteProgress();
        }
        WriteReport(report, config.ConfigPath, writeRun);
        return report;
    }

    /// <summary>True on a site; at the Siège writes the NotSite error (<paramref name="what"/> is a site's work) and returns false.</summary>
    protected bool IsSite(HzSyncConfig config, string what)
    {
        if (config.Role == NodeRole.Site) return true;
        WriteHzError(new InvalidOperationException(
                $"{config.ConfigPath} is the configuration of the Siège {config.Site.Code}: {what} is a site's work (the Siège publishes its packages when it consolidates: Invoke-HzConsolidation). Give -ConfigPath a site's configuration."),
            ErrorIds.NotSite, ErrorCategory.InvalidOperation, config.ConfigPath);
        return false;
    }

    /// <summary>Writes the report's errors as ErrorRecords (one per line, stable id from the report) and the run row.</summary>
    protected void WriteReport(SyncReport report, string? configPath, bool writeRun = true)
    {
        foreach (var error in report.Errors)
        {
            var category = CategoryOf(error.ErrorId);
            var message = error.Site is null ? $"{error.Step}: {error.Message}" : $"{error.Site} {error.Step}: {error.Message}";
            if (report.State is ReportState.OK or ReportState.Partial && category == ErrorCategory.NotSpecified)
            {
                WriteWarning(message); // notes such as a recovered stale lock: the run went on
                continue;
            }
            WriteHzError(new HzOperationException(message), string.IsNullOrEmpty(error.ErrorId) ? "OperationFailed" : error.ErrorId, category, report.Id);
        }
        WriteVerbose($"Report {report.Id} ({report.State}): {report.Summary}");
        if (writeRun) WriteObject(new HzSyncRun(report, configPath));
    }

    /// <summary>The PowerShell category of the report's stable error ids (NodeRunner.ErrorId and the engine's lines).</summary>
    internal static ErrorCategory CategoryOf(string errorId) => errorId switch
    {
        "ConfigInvalid" => ErrorCategory.InvalidData,
        "RunInProgress" => ErrorCategory.ResourceBusy,
        "CaptureNotReady" => ErrorCategory.NotInstalled,
        "SchemaMismatch" => ErrorCategory.InvalidData,
        "KeyRangeOverlap" => ErrorCategory.InvalidData,
        "IdentityMismatch" => ErrorCategory.InvalidOperation,
        "RegistrationRefused" => ErrorCategory.InvalidData,
        "PackageSetAside" => ErrorCategory.InvalidData,
        "PackageRejected" or "PackageRefused" => ErrorCategory.SecurityError,
        "DropUnreachable" or "DropNotFound" => ErrorCategory.ConnectionError,
        "DropNoRight" => ErrorCategory.PermissionDenied,
        "DropEntryRefused" or "TransferDamaged" or "KeyMismatch" => ErrorCategory.SecurityError,
        "DatabaseError" => ErrorCategory.ResourceUnavailable,
        "DatabaseNotFound" => ErrorCategory.ObjectNotFound,
        "DatabaseAccessDenied" or "BackupFolderNotWritable" => ErrorCategory.PermissionDenied,
        "DatabaseInUse" => ErrorCategory.ResourceBusy,
        "NotADatabase" => ErrorCategory.InvalidData,
        "DatabaseLoginFailed" => ErrorCategory.AuthenticationError,
        "DatabaseUnreachable" => ErrorCategory.ConnectionError,
        "DiskFull" => ErrorCategory.WriteError,
        "BackupNotVerified" => ErrorCategory.InvalidResult,
        "Stopped" => ErrorCategory.OperationStopped,
        "RowNotApplied" => ErrorCategory.WriteError,
        "MailNotSent" => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };
}

/// <summary>An error a node operation recorded in its report (the report keeps text only, never exception objects).</summary>
public sealed class HzOperationException : Exception
{
    public HzOperationException(string message) : base(message) { }
}
