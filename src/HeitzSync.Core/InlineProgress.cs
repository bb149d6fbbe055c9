namespace HeitzSync.Core;

/// <summary>An IProgress that reports on the caller's thread, in order (Progress&lt;T&gt; posts to a captured context or
/// the thread pool, which reorders console lines and reaches a cmdlet's pipeline from the wrong thread).</summary>
public sealed class InlineProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;

    public InlineProgress(Action<T> report) => _report = report ?? throw new ArgumentNullException(nameof(report));

    public void Report(T value) => _report(value);
}
