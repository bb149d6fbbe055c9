using System.Collections.Concurrent;

namespace HeitzSync.Core.Runs;

/// <summary>
/// A stop asked of this very process from outside: a signal (SIGTERM from <c>systemctl stop</c>, Docker or an RMM agent;
/// SIGINT from Ctrl+C) or the host (PowerShell's Ctrl+C). The front cancels <see cref="Token"/> with a reason; a night
/// run with that token stops as a stop request does: it rolls back what it was doing, writes its report as Stopped
/// with that reason and returns (exit code 2).
/// </summary>
public sealed class ProcessStop : IDisposable
{
    private static readonly ConcurrentDictionary<CancellationToken, ProcessStop> Active = new();
    private readonly CancellationTokenSource _source = new();
    private string? _reason;

    public ProcessStop() => Active[_source.Token] = this;

    public CancellationToken Token => _source.Token;

    /// <summary>Why the stop was asked (the first reason given), or null while none was.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Asks the run to stop; a second request keeps the first reason. Safe from a signal handler's thread.</summary>
    public void Request(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run is over: nothing left to stop.
        }
    }

    /// <summary>The reason of the <see cref="ProcessStop"/> behind <paramref name="token"/>, when one asked to stop.</summary>
    public static string? ReasonFor(CancellationToken token) =>
        token.IsCancellationRequested && Active.TryGetValue(token, out var stop) ? stop.Reason : null;

    public void Dispose()
    {
        Active.TryRemove(_source.Token, out _);
        _source.Dispose();
    }
}
