namespace HeitzSync.Core.Runs;

/// <summary>
/// A stop asked of this very process from outside: a signal (SIGTERM from <c>systemctl stop</c>, Docker or an RMM agent;
/// SIGINT from Ctrl+C) or the host (PowerShell's Ctrl+C). The front cancels <see cref="Token"/> with a reason; a night
/// run with that token stops as a stop request does: it rolls back what it was doing, writes its report as Stopped
/// with that reason and returns (exit code 2).
/// </summary>
public sealed class ProcessStop : IDisposable
{
    private static string? _lastReason;
    private readonly CancellationTokenSource _source = new();
    private string? _reason;

    public CancellationToken Token => _source.Token;

    /// <summary>Why the stop was asked (the first reason given), or null while none was.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Asks the run to stop; a second request keeps the first reason. Safe from a signal handler's thread.</summary>
    public void Request(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        Record(reason);
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run is over: nothing left to stop.
        }
    }

    /// <summary>Records why this process is being stopped, for a front that cancels its own token (the cmdlets on SIGTERM).</summary>
    public static void Record(string reason) => Interlocked.CompareExchange(ref _lastReason, reason, null);

    /// <summary>Why this process was asked to stop, when <paramref name="token"/> (the run's, usually linked to the
    /// <see cref="Token"/> a front passed down) is cancelled and a stop was asked; null otherwise. One front runs per process.</summary>
    public static string? ReasonFor(CancellationToken token) => token.IsCancellationRequested ? Volatile.Read(ref _lastReason) : null;

    public void Dispose() => _source.Dispose();
}
