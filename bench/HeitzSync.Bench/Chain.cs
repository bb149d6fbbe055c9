using System.Diagnostics;
using HeitzSync.Core.Demo;
using HeitzSync.Firebird;

namespace HeitzSync.Bench;

/// <summary>A generated chain database: what every node holds once the nights have converged.</summary>
internal sealed record ChainInfo(string Path, double Scale, int Clubs, ActivityPlan PerClub, IReadOnlyDictionary<string, long> Rows, TimeSpan Duration)
{
    public long TotalRows => Rows.Values.Sum();
    public long FileBytes => new FileInfo(Path).Length;
}

/// <summary>
/// The realistic database generator: the sample business schema (SampleSchema), the shared subscription types, and
/// years of history (2019–2025) of <c>clubs</c> clubs, numbered 2.. (1 is the Siège), each in its own key range
/// (number × 10^9 + n), inserted through prepared statements, one transaction per club.
/// </summary>
internal static class Chain
{
    public const long KeyRangeSize = 1_000_000_000;
    public static readonly DateTime HistoryStart = new(2019, 1, 1);
    public static readonly DateTime HistoryEnd = new(2025, 12, 31);

    public static int ClubNumber(int index) => index + 2;

    public static string ClubCode(int number) => $"CLUB{number:00}";

    public static long KeyLow(int number) => number * KeyRangeSize;

    public static FbConnectionSettings Settings(string path) => new() { Database = path, User = "SYSDBA", Charset = "UTF8" };

    public static ChainInfo Create(string path, double scale, int clubs, int seed, Action<string> log)
    {
        var watch = Stopwatch.StartNew();
        var plan = ActivityPlan.ClubHistory(scale, clubs);
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var connection = FbConnection.CreateDatabase(Settings(path), "UTF8"))
        {
            SampleSchema.Create(connection);
            using var writer = new RowWriter(connection);
            writer.WriteAll(ClubRows.ReferenceRows());
            writer.Commit();
            for (var i = 0; i < clubs; i++)
            {
                var number = ClubNumber(i);
                var random = new Random(seed * 1_000 + number);
                writer.WriteAll(ClubRows.Generate(number, plan, new KeyCursor(KeyLow(number) + 1), Array.Empty<long>(), random, HistoryStart, HistoryEnd));
                writer.Commit();
                log($"  {ClubCode(number)}: {writer.Rows:N0} rows so far ({watch.Elapsed.TotalSeconds:0} s)");
            }
            foreach (var (table, count) in writer.PerTable) rows[table] = count;
        }
        return new ChainInfo(path, scale, clubs, plan, rows, watch.Elapsed);
    }

    /// <summary>The members a club enrolled in its history (keys KeyLow + 1 .. KeyLow + members).</summary>
    public static long[] MembersOf(int number, ActivityPlan plan) =>
        Enumerable.Range(1, plan.Members).Select(n => KeyLow(number) + n).ToArray();
}
