using System.Globalization;
using System.Text;
using HeitzSync.Core.Compare;
using HeitzSync.Core.Demo;
using HeitzSync.Firebird;

namespace HeitzSync.Fault.Tests.Harness;

/// <summary>
/// What the business did between two converged states, kept as copies of the database files: one of the converged
/// start (every node held the same rows), and one of every node at the end of its business. After the nights, the
/// Siège must hold (and, being identical, so must every site):
/// <list type="bullet">
/// <item>exactly the keys of the start, plus every node's new rows, minus every node's deletes: nothing lost, nothing
/// duplicated or brought back;</item>
/// <item>for every row that one node alone changed, that node's row exactly as it left it (full content);</item>
/// <item>for a row that several nodes changed (a conflict), one of their versions exactly.</item>
/// </list>
/// </summary>
public sealed class DayLedger
{
    private readonly FaultWorld _world;
    private readonly string _folder;
    private readonly string _start;
    private readonly Dictionary<string, string> _end = new();

    private DayLedger(FaultWorld world)
    {
        _world = world;
        _folder = Path.Combine(world.Root, "ledger-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_folder);
        _start = Path.Combine(_folder, "start.fdb");
        File.Copy(world.Siege.DatabasePath, _start);
    }

    /// <summary>Opens the ledger on a converged world (checked), before the business starts.</summary>
    public static DayLedger Open(FaultWorld world)
    {
        world.AssertIdentical();
        return new DayLedger(world);
    }

    /// <summary>Keeps every node's database as the business left it (call when the business is over, before the night).</summary>
    public void CloseBusiness()
    {
        foreach (var node in _world.Nodes)
        {
            var copy = Path.Combine(_folder, node.Code + ".end.fdb");
            File.Copy(node.DatabasePath, copy, overwrite: true);
            _end[node.Code] = copy;
        }
    }

    /// <summary>How many rows the business changed at each node (new, updated or deleted), all tables together.</summary>
    public IReadOnlyDictionary<string, int> ChangedRows { get; private set; } = new Dictionary<string, int>();

    /// <summary>Checks the Siège against the ledger (see the class summary); returns a one-line account for the report table.</summary>
    public string AssertNothingLostOrDuplicated()
    {
        Assert.True(_end.Count > 0, "CloseBusiness was not called: the ledger has nothing to check.");
        var problems = new List<string>();
        var changed = new Dictionary<string, int>();
        long newRows = 0, deletedRows = 0, checkedRows = 0, contested = 0;
        using var start = Open(_start);
        using var master = _world.Siege.Open();
        var ends = _end.ToDictionary(e => e.Key, e => Open(e.Value));
        try
        {
            foreach (var table in SampleSchema.SynchronisedTables)
            {
                var startKeys = Keys(start, table);
                var expected = new HashSet<string>(startKeys, StringComparer.Ordinal);
                var changers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (var (code, end) in ends)
                {
                    var endKeys = Keys(end, table);
                    var inserted = endKeys.Where(k => !startKeys.Contains(k)).ToList();
                    var deleted = startKeys.Where(k => !endKeys.Contains(k)).ToList();
                    newRows += inserted.Count;
                    deletedRows += deleted.Count;
                    expected.UnionWith(inserted);
                    foreach (var key in DatabaseComparer.DifferingKeys(start, end, table).Select(KeyText))
                    {
                        if (!changers.TryGetValue(key, out var list)) changers[key] = list = new List<string>();
                        list.Add(code);
                        changed[code] = changed.GetValueOrDefault(code) + 1;
                    }
                    // A row deleted at any node is gone everywhere (new keys are never in the start: no order matters).
                    foreach (var key in deleted) expected.Remove(key);
                }
                var masterKeys = Keys(master, table);
                var lost = expected.Where(k => !masterKeys.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
                var extra = masterKeys.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
                if (lost.Count > 0) problems.Add($"{table}: {lost.Count} row(s) lost (expected, not at the Siège): {string.Join(", ", lost.Take(10))}");
                if (extra.Count > 0) problems.Add($"{table}: {extra.Count} row(s) that should not exist (duplicated or brought back): {string.Join(", ", extra.Take(10))}");
                if (masterKeys.Count != expected.Count) problems.Add($"{table}: {masterKeys.Count} row(s) at the Siège, {expected.Count} expected");

                // Content: differences between each node's end of business and the Siège now.
                var differsFrom = ends.ToDictionary(e => e.Key,
                    e => new HashSet<string>(DatabaseComparer.DifferingKeys(e.Value, master, table).Select(KeyText), StringComparer.Ordinal));
                foreach (var (key, who) in changers)
                {
                    checkedRows++;
                    if (who.Count == 1)
                    {
                        if (differsFrom[who[0]].Contains(key))
                            problems.Add($"{table} {key}: changed at {who[0]} only, but the Siège does not hold {who[0]}'s version");
                    }
                    else
                    {
                        contested++;
                        if (who.All(code => differsFrom[code].Contains(key)))
                            problems.Add($"{table} {key}: changed at {string.Join(", ", who)}, but the Siège holds none of their versions");
                    }
                }
            }
        }
        finally
        {
            foreach (var end in ends.Values) end.Dispose();
        }
        ChangedRows = changed;
        Assert.True(problems.Count == 0, "rows lost, duplicated or changed:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        return $"{newRows} new, {deletedRows} deleted, {checkedRows} changed row(s) checked ({contested} changed at several nodes)";
    }

    /// <summary>Every node's synchronised tables exactly as its business left them: a failed night changed nothing.</summary>
    public void AssertUnchangedSinceBusiness() => AssertUnchangedSinceBusiness(_world.Nodes.ToArray());

    /// <summary>These nodes' synchronised tables exactly as their business left them.</summary>
    public void AssertUnchangedSinceBusiness(params Node[] nodes)
    {
        Assert.True(_end.Count > 0, "CloseBusiness was not called: the ledger has nothing to compare with.");
        var problems = new List<string>();
        foreach (var node in nodes)
        {
            using var end = Open(_end[node.Code]);
            using var now = node.Open();
            problems.AddRange(DatabaseComparer.Compare(end, now, SampleSchema.SynchronisedTables).Where(t => !t.Identical)
                .Select(t => $"{node} {t.Table}: {t.RowsLeft} row(s) after the business, {t.RowsRight} now"));
        }
        Assert.True(problems.Count == 0, "a failed night changed databases:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    private static FbConnection Open(string path) => FbConnection.Open(new FbConnectionSettings { Database = path, Charset = "NONE" });

    /// <summary>Every primary key of a table, as text (the same text <see cref="KeyText"/> gives a key from the comparer).</summary>
    private static HashSet<string> Keys(FbConnection connection, string table)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var info = connection.Schema.GetTable(tx, table) ?? throw new InvalidOperationException($"{table} is missing from {connection.Settings.Database}.");
        var columns = string.Join(", ", info.PrimaryKey.Select(FbSql.QuoteIdentifier));
        using var command = connection.Prepare(tx, $"SELECT {columns} FROM {FbSql.QuoteIdentifier(table)}");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var values = new object?[reader.FieldCount];
            for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            keys.Add(KeyText(values));
        }
        return keys;
    }

    private static string KeyText(object?[] values) => string.Join("|", values.Select(v => v switch
    {
        null => "∅",
        byte[] bytes => Encoding.Latin1.GetString(bytes).TrimEnd(' '),
        string text => text.TrimEnd(' '),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    }));
}
