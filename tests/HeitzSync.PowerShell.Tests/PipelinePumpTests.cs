using HeitzSync.PowerShell.Infrastructure;

namespace HeitzSync.PowerShell.Tests;

/// <summary>The pump that lets Core's async work report progress through the pipeline thread only.</summary>
public class PipelinePumpTests
{
    [Fact]
    public void Actions_posted_from_worker_threads_run_on_the_calling_thread_in_order()
    {
        var pump = new PipelinePump();
        var pipelineThread = Environment.CurrentManagedThreadId;
        var seen = new List<(int Value, int Thread)>();
        var result = pump.Run(async token =>
        {
            for (var i = 0; i < 50; i++)
            {
                var value = i;
                await Task.Yield();
                pump.Post(() => seen.Add((value, Environment.CurrentManagedThreadId)));
            }
            return "done";
        }, CancellationToken.None);

        Assert.Equal("done", result);
        Assert.Equal(Enumerable.Range(0, 50), seen.Select(s => s.Value));
        Assert.All(seen, s => Assert.Equal(pipelineThread, s.Thread));
    }

    [Fact]
    public void Actions_posted_just_before_the_work_ends_still_run_before_Run_returns()
    {
        var pump = new PipelinePump();
        var ran = false;
        pump.Run(_ =>
        {
            pump.Post(() => ran = true);
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.True(ran);
    }

    [Fact]
    public void Progress_reaches_the_pipeline_thread_and_the_last_report_is_never_lost()
    {
        var pump = new PipelinePump();
        var pipelineThread = Environment.CurrentManagedThreadId;
        var shown = new List<int>();
        var threads = new HashSet<int>();
        var progress = pump.Progress<int>(percent =>
        {
            shown.Add(percent);
            threads.Add(Environment.CurrentManagedThreadId);
        });
        pump.Run(async _ =>
        {
            for (var percent = 0; percent <= 100; percent++)
            {
                progress.Report(percent);
                if (percent % 10 == 0) await Task.Delay(1);
            }
        }, CancellationToken.None);

        Assert.Equal(new[] { pipelineThread }, threads);
        Assert.Equal(100, shown.Last());
        Assert.True(shown.SequenceEqual(shown.OrderBy(p => p)), "progress went backwards: " + string.Join(",", shown));
    }

    [Fact]
    public void The_works_exception_comes_back_as_is_after_the_posted_actions_ran()
    {
        var pump = new PipelinePump();
        var ran = false;
        var error = Assert.Throws<InvalidDataException>(() => pump.Run<int>(async _ =>
        {
            await Task.Yield();
            pump.Post(() => ran = true);
            throw new InvalidDataException("broken package");
        }, CancellationToken.None));
        Assert.Equal("broken package", error.Message);
        Assert.True(ran);
    }

    [Fact]
    public async Task Cancellation_reaches_the_work_and_ends_the_pump()
    {
        var pump = new PipelinePump();
        using var stop = new CancellationTokenSource();
        var started = new ManualResetEventSlim();
        var worker = Task.Run(() =>
        {
            started.Wait();
            stop.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => pump.Run<int>(async token =>
        {
            started.Set();
            await Task.Delay(Timeout.Infinite, token);
            return 0;
        }, stop.Token));
        await worker;
    }

    [Fact]
    public void Posting_on_the_pipeline_thread_outside_a_run_runs_at_once()
    {
        var pump = new PipelinePump();
        var ran = false;
        pump.Post(() => ran = true);
        Assert.True(ran);
    }

    [Fact]
    public void Run_refuses_another_thread()
    {
        var pump = new PipelinePump();
        Exception? error = null;
        // A thread of its own: a thread-pool task could run on this very thread.
        var other = new Thread(() => error = Record.Exception(() => pump.Run(_ => Task.FromResult(1), CancellationToken.None)));
        other.Start();
        other.Join();
        Assert.IsType<InvalidOperationException>(error);
    }
}
