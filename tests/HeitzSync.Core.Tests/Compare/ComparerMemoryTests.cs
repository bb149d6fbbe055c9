using System.Diagnostics;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Tests.Demo;
using HeitzSync.Testing;
using Xunit.Abstractions;

namespace HeitzSync.Core.Tests.Compare;

[Trait("Category", "Firebird")]
public sealed class ComparerMemoryTests : IDisposable
{
    private const int Rows = 400_000;
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
        right.Sql("UPDATE BIG SET AMOUNT = 0 WHERE ID = 250000");

        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long highest = before;
        using (new Timer(_ =>
               {
                   var now = GC.GetTotalMemory(forceFullCollection: false);
                   if (now > Interlocked.Read(ref highest)) Interlocked.Exchange(ref highest, now);
               }, null, 0, 10))
        {
            var watch = Stopwatch.StartNew();
            var result = DatabaseComparer.Compare(left.Connection, right.Connection, new[] { "BIG" }).Single();
            _output.WriteLine($"{result}; {watch.Elapsed.TotalSeconds:F1} s; managed heap {before / 1e6:F1} MB before, at most {Interlocked.Read(ref highest) / 1e6:F1} MB during");
            Assert.Equal((Rows, Rows, 1L), (result.RowsLeft, result.RowsRight, result.DifferingRows));
            Assert.Equal("ID=250000: columns differ: AMOUNT", $"{result.Differences[0].Key}: {result.Differences[0].What}");
        }
        // Holding one side's keys and row hashes alone would take more than 150 bytes a row (60 MB here); garbage
        // between collections stays far below that.
        var growth = Interlocked.Read(ref highest) - before;
        Assert.True(growth < 48_000_000, $"the managed heap grew by {growth} bytes while comparing {Rows} rows");
    }

    public void Dispose() => _temp.Dispose();
}
