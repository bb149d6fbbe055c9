using System.Collections.Concurrent;
using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>One line of a sale: what was sold (an article of <see cref="Shop"/> takes stock out) and how many.</summary>
public sealed record SaleItem(string Product, int Quantity);

/// <summary>A sale and its lines as a till wrote it: what must be found at every node in the end.</summary>
public sealed record WrittenSale(string Node, long Id, IReadOnlyList<SaleItem> Items)
{
    public int Lines => Items.Count;
}

/// <summary>
/// The shop's articles (ARTICLES, keyed by the product name the sale lines carry, accented WIN1252 text): a business
/// trigger takes stock out per sale line, written without a guard as a customer writes it (init guards it), and the
/// stock is declared additive. The tills sell articles 1 to 3; article 0 is sold only by the test's own sales.
/// </summary>
public static class Shop
{
    public static readonly IReadOnlyList<string> Articles = new[] { "Cadenas à code", "Boisson énergétique", "Café serré", "Serviette éponge" };

    /// <summary>tables.additiveColumns.</summary>
    public const string AdditiveStock = "ARTICLES.STOCK";

    /// <summary>What every node holds before HeitzSync: each its own stock of every article (the history's sales
    /// take some out at each node, so the stocks differ and the join adds them up).</summary>
    public const int StockAtEachNode = 500;

    /// <summary>A till's sale of <paramref name="lines"/> lines: line n sells article n, n pieces.</summary>
    public static IReadOnlyList<SaleItem> TillSale(int lines) => Enumerable.Range(1, lines).Select(n => new SaleItem(Articles[n], n)).ToList();

    /// <summary>The rows a site's package carries for these sales: each sale, each line, and each article whose stock
    /// they changed (a version row per key, however often it changed).</summary>
    public static int RowsChanged(IEnumerable<WrittenSale> sales)
    {
        var list = sales.ToList();
        return list.Count + list.Sum(s => s.Lines) + list.SelectMany(s => s.Items).Select(i => i.Product).Where(Articles.Contains).Distinct().Count();
    }

    /// <summary>How many pieces of <paramref name="article"/> these sales took out.</summary>
    public static int Sold(IEnumerable<WrittenSale> sales, string article) => sales.SelectMany(s => s.Items).Where(i => i.Product == article).Sum(i => i.Quantity);

    /// <summary>The table, its seed and the stock trigger (no guard, as the customer wrote it).</summary>
    public static IEnumerable<string> Schema() => new[]
    {
        "CREATE TABLE ARTICLES (CODE VARCHAR(60) CHARACTER SET WIN1252 NOT NULL PRIMARY KEY, STOCK INTEGER DEFAULT 0 NOT NULL)",
        "CREATE TRIGGER SALE_LINES_STOCK FOR SALE_LINES ACTIVE AFTER INSERT OR UPDATE OR DELETE POSITION 10 AS BEGIN " +
        "IF (DELETING OR UPDATING) THEN UPDATE ARTICLES SET STOCK = STOCK + OLD.QTY WHERE CODE = OLD.PRODUCT; " +
        "IF (INSERTING OR UPDATING) THEN UPDATE ARTICLES SET STOCK = STOCK - NEW.QTY WHERE CODE = NEW.PRODUCT; END",
    }.Concat(Articles.Select(a => $"INSERT INTO ARTICLES (CODE, STOCK) VALUES ('{a}', {StockAtEachNode})"));
}

/// <summary>
/// A till at work through the Firebird server: one attachment of its own that inserts a sale with its lines (one
/// transaction each, keys from the node's generator) again and again until stopped, as the business software does
/// while the night runs. Every committed sale goes into <see cref="Written"/>. <see cref="Pause"/> returns once no
/// transaction of the till is open (it waits for the one in progress to commit), so a test can measure a night with
/// this node quiet; <see cref="Stop"/> ends it and fails the test if the till met an error. A sale refused by a lock
/// conflict or a deadlock (another till, or an apply, changing the same article's stock) is rung up again, as a
/// cashier would; <see cref="Conflicts"/> counts them.
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
    private int _conflicts;

    public BusinessWriter(string node, FbConnectionSettings database)
    {
        _node = node;
        _database = database;
        _loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    public ConcurrentQueue<WrittenSale> Written { get; } = new();

    public ConcurrentQueue<string> ConflictMessages { get; } = new();

    /// <summary>Sales rung up again after a lock conflict or a deadlock.</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

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
                var items = Shop.TillSale(1 + sale++ % 3);
                while (true)
                {
                    try
                    {
                        Written.Enqueue(InsertSale(connection, _node, items));
                        break;
                    }
                    catch (FbException ex) when (IsConflict(ex))
                    {
                        Interlocked.Increment(ref _conflicts);   // rolled back whole: ring it up again
                        ConflictMessages.Enqueue(ex.Message.Split('\n')[0] + " [" + string.Join(",", ex.GdsCodes) + "]");
                    }
                }
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

    /// <summary>Lock conflict, deadlock, update conflict: the sale's transaction was refused as a whole.</summary>
    private static bool IsConflict(FbException ex) =>
        ex.GdsCodes.Contains(335544336) || ex.GdsCodes.Contains(335544345) || ex.GdsCodes.Contains(335544451) || ex.GdsCodes.Contains(335544878);

    /// <summary>One sale with its lines in <paramref name="transaction"/>, keys from the node's generator.</summary>
    public static long WriteSale(FbConnection connection, FbTransaction transaction, IReadOnlyList<SaleItem> items)
    {
        var id = Convert.ToInt64(connection.ExecuteScalar(transaction, "SELECT GEN_ID(GEN_SALES, 1) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        connection.Execute(transaction, "INSERT INTO SALES (ID, SOLD_AT, TOTAL) VALUES (?, CURRENT_TIMESTAMP, ?)", id, 12.5m * items.Sum(i => i.Quantity));
        for (var line = 1; line <= items.Count; line++)
        {
            connection.Execute(transaction, "INSERT INTO SALE_LINES (SALE_ID, LINE_NO, PRODUCT, QTY, UNIT_PRICE) VALUES (?, ?, ?, ?, ?)",
                id, (short)line, items[line - 1].Product, items[line - 1].Quantity, 12.5m);
        }
        return id;
    }

    /// <summary>One sale with its lines, committed at once (through a UTF8 attachment: the products are accented).</summary>
    public static WrittenSale InsertSale(FbConnection connection, string node, IReadOnlyList<SaleItem> items, FbTransactionOptions? options = null)
    {
        using var tx = connection.BeginTransaction(options ?? new FbTransactionOptions());
        var id = WriteSale(connection, tx, items);
        tx.Commit();
        return new WrittenSale(node, id, items);
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
/// until <see cref="Commit"/>. Its sale is in <see cref="Sale"/> (it must arrive everywhere once committed). What it
/// sells is no article, so it holds no stock row the tills need.
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
        var items = Enumerable.Range(1, lines).Select(n => new SaleItem("Écran resté ouvert", n)).ToList();
        Sale = new WrittenSale(node, BusinessWriter.WriteSale(_connection, _transaction, items), items);
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
