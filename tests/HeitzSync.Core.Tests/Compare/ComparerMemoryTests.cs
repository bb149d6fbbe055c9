using HeitzSync.Core.Compare;
using HeitzSync.Core.Tests.Demo;
using HeitzSync.Testing;
using Xunit.Abstractions;

namespace HeitzSync.Core.Tests.Compare;

[Trait("Category", "Firebird")]
public sealed class ComparerMemoryTests : IDisposable
{
    private const int Rows = 200_000;
    private const int Checkpoints = 4;
    private readonly TempFolder _temp = new("hz-compare-memory");
    private readonly ITestOutputHelper _output;

    public ComparerMemoryTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void A_large_table_is_compared_streamed_without_holding_either_side()
    {
        using var left = SampleDatabase.Create(_temp, "LEFT", withSchema: false);
        using var right = SampleDatabase.Create(_temp, "RIGHT", withSchema: false);
        foreach (var db in new[] { left, right })
        {
            db.Sql("CREATE TABLE BIG (ID BIGINT NOT NULL PRIMARY KEY, CODE VARCHAR(20) CHARACTER SET WIN1252, AMOUNT NUMERIC(15,2), STAMP TIMESTAMP, PAD VARCHAR(200))");
            db.Sql($"EXECUTE BLOCK AS DECLARE I INTEGER = 0; BEGIN WHILE (I < {Rows}) DO BEGIN " +
                   "INSERT INTO BIG VALUES (:I, 'C' || :I, :I * 0.01, DATEADD(:I SECOND TO TIMESTAMP '2020-01-01'), LPAD('', 150, 'x')); I = I + 1; END END");
        }
        right.Sql("UPDATE BIG SET AMOUNT = 0 WHERE ID = 150000");

        // What the comparison holds in the middle of the table, over what the process held before it: the managed heap
        // after a full, blocking collection at each checkpoint, so garbage not yet collected (whose amount depends on the
        // host's GC budget) never counts.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var held = new List<long>(Checkpoints);
        var checkpoint = new RowCheckpoint(Rows / Checkpoints, _ => held.Add(GC.GetTotalMemory(forceFullCollection: true) - before));
        var result = DatabaseComparer.Compare(left.Connection, right.Connection, new[] { "BIG" },
            DatabaseComparer.MaxDifferencesPerTable, CancellationToken.None, progress: null, checkpoint).Single();

        _output.WriteLine($"{result}; held over the {before / 1e6:F1} MB before, every {Rows / Checkpoints} rows: {string.Join(", ", held.Select(b => $"{b / 1e6:F2} MB"))}");
        Assert.Equal((Rows, Rows, 1L), (result.RowsLeft, result.RowsRight, result.DifferingRows));
        Assert.Equal("ID=150000: columns differ: AMOUNT", $"{result.Differences[0].Key}: {result.Differences[0].What}");
        Assert.Equal(Checkpoints, held.Count);
        // A streaming comparer holds its attachments, snapshots and the current row of each side: as much at the last
        // checkpoint as at the first. One that keeps what it read holds more at every checkpoint: one side's keys alone
        // (a boxed key and a slot, 32 bytes a row at least) would be 1.6 MB more every 50,000 rows, 6.4 MB at the end;
        // one that reads a side whole before merging holds it all from the first checkpoint on.
        var growth = held.Max() - held[0];
        Assert.True(growth < 1_000_000, $"what the comparison holds grew by {growth} bytes from row {Rows / Checkpoints} to row {Rows}: {string.Join(", ", held)}");
        Assert.True(held.Max() < 2_000_000, $"the comparison held up to {held.Max()} bytes more than the process held before it: {string.Join(", ", held)}");
    }

    public void Dispose() => _temp.Dispose();
}
