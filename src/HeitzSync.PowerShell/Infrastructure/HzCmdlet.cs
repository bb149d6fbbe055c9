using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// Base of every HeitzSync cmdlet: a cancellation token that Ctrl+C (StopProcessing) cancels, errors with a stable
/// id, category and target, paths resolved against PowerShell's current location, and a pump that runs Core's async
/// work while progress and verbose messages are written from the pipeline thread.
/// </summary>
public abstract class HzCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private PipelinePump? _pump;
    private bool _disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken CancellationToken => _stopping.Token;

    protected override void StopProcessing()
    {
        _stopping.Cancel();
        base.StopProcessing();
    }

    /// <summary>
    /// Runs Core's async work to completion while writing, on this (the pipeline) thread, whatever it reports through
    /// <see cref="Post"/>, <see cref="ProgressFor{T}"/> or <see cref="VerboseFor"/>. Must be called from
    /// BeginProcessing/ProcessRecord/EndProcessing.
    /// </summary>
    protected T RunAsync<T>(Func<CancellationToken, Task<T>> work)
    {
        // SIGTERM (systemctl stop, an RMM agent) stops the work as Ctrl+C does: the night rolls back, its report says
        // Stopped, and the scheduled script prints its line and exits 2 (pwsh would otherwise die at once).
        using var terminate = Core.Runs.TerminationSignal.OnTerminate(reason =>
        {
            Core.Runs.ProcessStop.Record(reason);
            _stopping.Cancel();
        });
        return Pump.Run(work, CancellationToken);
    }

    protected void RunAsync(Func<CancellationToken, Task> work) => Pump.Run(work, CancellationToken);

    /// <summary>Queues an action for the pipeline thread (runs at once when called on it).</summary>
    protected void Post(Action action) => Pump.Post(action);

    /// <summary>An IProgress for Core that becomes Write-Progress records on the pipeline thread (latest value wins when reports come fast).</summary>
    protected IProgress<T> ProgressFor<T>(Func<T, ProgressRecord> toRecord) => Pump.Progress<T>(value => WriteProgress(toRecord(value)));

    /// <summary>A message callback for Core that becomes Write-Verbose on the pipeline thread.</summary>
    protected Action<string> VerboseFor()
    {
        var pump = Pump; // created here, on the pipeline thread, never lazily on a worker thread
        return message => pump.Post(() => WriteVerbose(message));
    }

    /// <summary>Resolves a path (relative, ~, PSDrive, provider-qualified) the way PowerShell users expect: against the current location.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Writes a non-terminating error: the pipeline goes on with the next item.</summary>
    protected void WriteHzError(Exception exception, string errorId, ErrorCategory category, object? target) =>
        WriteError(new ErrorRecord(exception, errorId, category, target));

    /// <summary>Stops the cmdlet with an error: for a broken setup, not for one failed item.</summary>
    [DoesNotReturn]
    protected void ThrowHzTerminatingError(Exception exception, string errorId, ErrorCategory category, object? target)
    {
        ThrowTerminatingError(new ErrorRecord(exception, errorId, category, target));
        throw new InvalidOperationException("ThrowTerminatingError returned."); // never reached: keeps the compiler's flow analysis honest
    }

    private PipelinePump Pump => _pump ??= new PipelinePump();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
