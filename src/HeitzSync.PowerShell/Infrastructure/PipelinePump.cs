using System.Collections.Concurrent;

namespace HeitzSync.PowerShell.Infrastructure;

/// <summary>
/// Runs asynchronous work on the thread pool while the calling (pipeline) thread executes what the work posts:
/// WriteProgress, WriteVerbose and the like may only be called from the pipeline thread, and Core reports from
/// whatever thread its awaits resume on. Posted actions run in order; the work's exception is rethrown as is.
/// Kept free of PowerShell types so it can be tested without a PowerShell host.
/// </summary>
internal sealed class PipelinePump
{
    private readonly ConcurrentQueue<Action> _pending = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly int _ownerThread = Environment.CurrentManagedThreadId;
    private int _running;

    /// <summary>
    /// Queues an action for the pipeline thread. On the pipeline thread itself it runs at once (keeping the order of
    /// what that thread does); from any other thread it runs the next time the pipeline thread pumps.
    /// </summary>
    public void Post(Action action)
    {
        if (action is null) throw new ArgumentNullException(nameof(action));
        if (Environment.CurrentManagedThreadId == _ownerThread && _pending.IsEmpty)
        {
            action();
            return;
        }
        _pending.Enqueue(action);
        _signal.Release();
    }

    /// <summary>Starts <paramref name="work"/> on the thread pool and pumps posted actions on this thread until it ends.</summary>
    public T Run<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        if (work is null) throw new ArgumentNullException(nameof(work));
        if (Environment.CurrentManagedThreadId != _ownerThread) throw new InvalidOperationException("The pump runs on the thread that created it (the pipeline thread).");
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException("The pump is already running.");
        try
        {
            // Task.Run: the work's continuations must never need this thread, which is busy pumping.
            var task = Task.Run(() => work(cancellationToken), CancellationToken.None);
            task.ContinueWith(_ => _signal.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            while (!task.IsCompleted)
            {
                _signal.Wait();
                Drain();
            }
            Drain();
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            Interlocked.Exchange(ref _running, 0);
        }
    }

    /// <summary>Runs work that returns nothing; see <see cref="Run{T}"/>.</summary>
    public void Run(Func<CancellationToken, Task> work, CancellationToken cancellationToken) =>
        Run<bool>(async token =>
        {
            await work(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// An <see cref="IProgress{T}"/> whose reports reach <paramref name="report"/> on the pipeline thread. Reports that
    /// arrive faster than the pipeline thread takes them are coalesced: only the latest one is shown.
    /// </summary>
    public IProgress<T> Progress<T>(Action<T> report) => new CoalescingProgress<T>(this, report ?? throw new ArgumentNullException(nameof(report)));

    private void Drain()
    {
        while (_pending.TryDequeue(out var action)) action();
    }

    private sealed class CoalescingProgress<T> : IProgress<T>
    {
        private readonly PipelinePump _pump;
        private readonly Action<T> _report;
        private readonly object _gate = new();
        private T _latest = default!;
        private bool _posted;

        public CoalescingProgress(PipelinePump pump, Action<T> report)
        {
            _pump = pump;
            _report = report;
        }

        public void Report(T value)
        {
            lock (_gate)
            {
                _latest = value;
                if (_posted) return;
                _posted = true;
            }
            _pump.Post(Flush);
        }

        private void Flush()
        {
            T value;
            lock (_gate)
            {
                value = _latest;
                _posted = false;
            }
            _report(value);
        }
    }
}
