using HeitzSync.Core.Reports;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Reports;

public class ReportBuilderTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-report-builder");

    [Fact]
    public void A_run_fills_its_report_and_completes_it_with_a_state_and_an_end()
    {
        var store = new ReportStore(_temp.Path);
        var run = store.Start("SIEGE", "Siege", "Consolidate", "20261101T020000Z");
        Assert.Equal(ReportState.Running, store.Get(run.Id)!.State);

        run.Update(r => { r.SitesExpected = 2; r.SitesDelivered = 1; r.RowsApplied += 30; });
        run.AddSite(new SiteReportLine("LYON01", "Delivered", "LYON01_x.hzp", 30, 1, 900, null));
        run.AddTable(new TableReportLine("LYON01", "MEMBERS", "Consolidated", 28, 2, 0, conflicts: 1));
        run.AddConflict(new ConflictLine("MEMBERS", "ID=7", "LYON01", DateTime.UtcNow, "SIEGE", DateTime.UtcNow.AddMinutes(-1), "LastWriterWins"));
        run.AddError("ANNECY03", "Consolidate", "SiteMissing", "ANNECY03 did not deliver within the reception time");
        run.AppendSummary("1 of 2 site(s) delivered");
        run.AppendSummary("30 row(s) consolidated");
        run.Checkpoint();
        var halfway = store.Get(run.Id)!;
        Assert.Equal(ReportState.Running, halfway.State);
        Assert.Equal(30, halfway.RowsApplied);

        var done = run.Complete(ReportState.Partial);

        var read = store.Get(run.Id)!;
        Assert.Equal(ReportState.Partial, read.State);
        Assert.NotNull(read.EndedUtc);
        Assert.Equal("1 of 2 site(s) delivered; 30 row(s) consolidated", read.Summary);
        Assert.Equal(1, read.Conflicts);
        Assert.Single(read.ConflictLines);
        Assert.Equal(1, read.ErrorCount);
        Assert.Equal(done.Id, read.Id);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.Complete(ReportState.Running));
    }

    [Fact]
    public void Stop_and_fail_say_why_in_the_summary_and_as_an_error_line()
    {
        var store = new ReportStore(_temp.Path);
        var stopped = store.Start("LYON01", "Site", "Sync", "20261101T020000Z").Stop("Sync", "stopped at the restart hour 06:30");
        var failed = store.Start("LYON01", "Site", "Send", "20261101T020000Z").Fail("Send", "DropUnreachable", new IOException("siege.example:21 did not answer"));

        Assert.Equal(ReportState.Stopped, stopped.State);
        Assert.Equal("stopped at the restart hour 06:30", stopped.Summary);
        Assert.Equal("Stopped", stopped.Errors.Single().ErrorId);
        Assert.Equal(ReportState.Failed, failed.State);
        Assert.Equal("siege.example:21 did not answer", failed.Errors.Single().Message);
        Assert.Equal("DropUnreachable", failed.Errors.Single().ErrorId);
    }

    [Fact]
    public async Task A_worker_can_report_while_another_thread_saves_checkpoints()
    {
        var store = new ReportStore(_temp.Path);
        var run = store.Start("SIEGE", "Siege", "Consolidate", "20261101T020000Z");
        using var stop = new CancellationTokenSource();
        var checkpoints = 0;
        void WaitForCheckpointAfter(int seen)
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (Volatile.Read(ref checkpoints) <= seen && DateTime.UtcNow < deadline) Thread.Yield();
        }
        var saver = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                run.Checkpoint();
                Assert.True(run.Snapshot().TableLines.Count >= 0);
                Interlocked.Increment(ref checkpoints);
            }
        });

        var worker = Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                run.AddTable(new TableReportLine("LYON01", "T" + i, "Consolidated", 1, 0, 0));
                run.Update(r => r.RowsApplied++);
                if (i % 100 == 0) run.AddConflict(new ConflictLine("T", "ID=" + i, "LYON01", DateTime.UtcNow, "SIEGE", DateTime.UtcNow, "LastWriterWins"));
                // Halfway, wait for a checkpoint saved after this point, so the two threads surely overlap however
                // the machine schedules them (the deadline only keeps a broken saver from hanging the suite).
                if (i == 1000) WaitForCheckpointAfter(Volatile.Read(ref checkpoints));
            }
        });
        await worker;
        stop.Cancel();
        await saver;

        var done = run.Complete(ReportState.OK);
        Assert.True(checkpoints > 0);
        Assert.Equal(2000, done.TableLines.Count);
        Assert.Equal(2000, done.RowsApplied);
        Assert.Equal(20, done.Conflicts);
        Assert.Equal(2000, store.Get(run.Id)!.TableLines.Count);
    }

    public void Dispose() => _temp.Dispose();
}
