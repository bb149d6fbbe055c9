using System.Collections.Concurrent;
using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>A sale and its lines as a till wrote it: what must be found at every node in the end.</summary>
public sealed record WrittenSale(string Node, long Id, int Lines);

/// <summary>
/// A till at work through the Firebird server: one attachment of its own that inserts a sale with its lines (one
/// transaction each, keys from the node's generator) again and again until stopped, as the business software does
/// while the night runs. Every committed sale goes into <see cref="Written"/>. <see cref="Pause"/> returns once no
/// transaction of the till is open (it waits for the one in progress to commit), so a test can measure a night with
/// this node quiet; <see cref="Stop"/> ends it and fails the test if the till met an error.
/// </summary>
public sealed class BusinessWriter : IDisposable
{
    private readonly FbConnectionSettings _database;
    private readonly string _node;
    private readonly ManualResetEventSlim _running = new(true);
    private readonly ManualResetEventSlim _idle = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private Exception? _failure;

    public BusinessWriter(string node, FbConnectionSettings database)
    {
        _node = node;
        _database = database;
        _loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    public ConcurrentQueue<WrittenSale> Written { get; } = new();

    /// <summary>Stops writing after the sale in progress commits; returns when none is open.</summary>
    public void Pause()
    {
        _running.Reset();
        WaitIdle();
    }

    public void Resume() => _running.Set();

    /// <summary>Ends the till (after its sale in progress) and reports what went wrong there, if anything.</summary>
    public void Stop()
    {
        _stop.Cancel();
        _running.Set();
        _loop.Wait(TimeSpan.FromSeconds(60));
        if (_failure is not null) throw new InvalidOperationException($"The till at {_node} failed: {_failure.Message}", _failure);
    }

    /// <summary>Waits for <paramref name="count"/> more sales than now (so a night surely runs while users work).</summary>
    public void WaitForSales(int count)
    {
        var target = Written.Count + count;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Written.Count < target)
        {
            if (_failure is not null) throw new InvalidOperationException($"The till at {_node} failed: {_failure.Message}", _failure);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The till at {_node} wrote no {count} sales within 60 s.");
            Thread.Sleep(50);
        }
    }

    private void WaitIdle()
    {
        if (!_idle.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"The till at {_node} did not pause within 60 s.");
    }

    private void Run()
    {
        try
        {
            using var connection = FbConnection.Open(_database);
            var sale = 0;
            while (!_stop.IsCancellationRequested)
            {
                if (!_running.IsSet)
                {
                    _idle.Set();
                    _running.Wait();
                    continue;
                }
                _idle.Reset();
                if (!_running.IsSet) continue;   // paused between the check and the reset: report idle again
                var lines = 1 + sale++ % 3;
                Written.Enqueue(InsertSale(connection, _node, lines, $"till {sale.ToString(CultureInfo.InvariantCulture)}"));
                Thread.Sleep(250);   // a busy till's pace (a sale every second in the trial); nothing waits on it
            }
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
        finally
        {
            _idle.Set();
        }
    }

    /// <summary>One sale with <paramref name="lines"/> lines in <paramref name="transaction"/>, keys from the node's generator.</summary>
    public static long WriteSale(FbConnection connection, FbTransaction transaction, int lines, string label)
    {
        var id = Convert.ToInt64(connection.ExecuteScalar(transaction, "SELECT GEN_ID(GEN_SALES, 1) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        connection.Execute(transaction, "INSERT INTO SALES (ID, SOLD_AT, TOTAL) VALUES (?, CURRENT_TIMESTAMP, ?)", id, 12.5m * lines);
        for (var line = 1; line <= lines; line++)
        {
            connection.Execute(transaction, "INSERT INTO SALE_LINES (SALE_ID, LINE_NO, PRODUCT, QTY, UNIT_PRICE) VALUES (?, ?, ?, ?, ?)",
                id, (short)line, label, line, 12.5m);
        }
        return id;
    }

    /// <summary>One sale with its lines, committed at once.</summary>
    public static WrittenSale InsertSale(FbConnection connection, string node, int lines, string label)
    {
        using var tx = connection.BeginTransaction();
        var id = WriteSale(connection, tx, lines, label);
        tx.Commit();
        return new WrittenSale(node, id, lines);
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _running.Set();
            _loop.Wait(TimeSpan.FromSeconds(60));
        }
        _stop.Dispose();
        _running.Dispose();
        _idle.Dispose();
    }
}

/// <summary>
/// A screen left open: one attachment whose write transaction inserted a sale and then stays idle, across nights,
/// until <see cref="Commit"/>. Its sale is in <see cref="Sale"/> (it must arrive everywhere once committed).
/// </summary>
public sealed class HeldTransaction : IDisposable
{
    private readonly FbConnection _connection;
    private readonly FbTransaction _transaction;
    private bool _done;

    public HeldTransaction(string node, FbConnectionSettings database, int lines)
    {
        _connection = FbConnection.Open(database);
        _transaction = _connection.BeginTransaction();
        Sale = new WrittenSale(node, BusinessWriter.WriteSale(_connection, _transaction, lines, "held open"), lines);
    }

    public WrittenSale Sale { get; }

    public void Commit()
    {
        _transaction.Commit();
        _done = true;
    }

    public void Dispose()
    {
        if (!_done) _transaction.Rollback();
        _transaction.Dispose();
        _connection.Dispose();
    }
}
