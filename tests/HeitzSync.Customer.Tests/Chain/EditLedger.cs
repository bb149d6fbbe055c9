using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Customer.Tests.Chain;

public enum EditKind { Seed, Insert, Update, Delete }

/// <summary>One row written at one node: the row as its transaction committed it (null for a delete).</summary>
public sealed record Edit(long Sequence, string Node, int NodeNumber, string Table, string Key, EditKind Kind, Row? Image, string Why)
{
    /// <summary>For a delete its parent's ON DELETE CASCADE made: the parent's "TABLE key".</summary>
    public string? CascadeOf { get; init; }

    public string Target => $"{Table} {Key}";

    public override string ToString() => $"#{Sequence} {Node} {Kind} {Table} {Key} ({Why})";
}

/// <summary>What a table's key must hold on every node the next morning, and why.</summary>
public sealed record Expectation(string Table, string Key, Row? Image, Edit Decisive, string Explanation);

/// <summary>
/// Every edit the business made at every node (and the rows each node held before it joined), with the row as its
/// transaction committed it, in the order they were made. The nights' rules decide what every node must hold the next
/// morning (DESIGN.md §3, §6): the last real edit of a key wins (edits of one key are made one after another, a clock
/// tick apart, so their order is their change time's); rows held at the join go by "the row already at the Siège wins"
/// (the Siège's, else the lowest site number's, all sites joining the same night); a delete the Siège refuses (a row
/// still referenced there) is as if it had never come, and so are the deletes its cascade made at its origin.
/// Columns the chain does not carry as they are (additive, local) are checked elsewhere.
/// </summary>
public sealed class EditLedger
{
    private readonly object _gate = new();
    private readonly List<Edit> _edits = new();
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private long _sequence;
    private DateTime _lastOrdered = DateTime.MinValue;

    /// <summary>Columns compared elsewhere: additive (a sum of every node's changes) and local (each node's own).</summary>
    public IReadOnlyCollection<string> NotCarriedAsIs { get; init; } = Array.Empty<string>();

    public IReadOnlyList<Edit> Edits
    {
        get { lock (_gate) return _edits.ToList(); }
    }

    /// <summary>A key or a row touched by one transaction, and how.</summary>
    public sealed record Touch(string Table, object[] Key, EditKind Kind, string Why, string? CascadeOf = null);

    /// <summary>
    /// Runs one business transaction at <paramref name="node"/> and records every row it touched, as committed. With
    /// <paramref name="ordered"/> (the day's edits, made one after another by one person) it starts a clock tick after the
    /// previous ordered edit ended, so that two nodes' edits of one key never carry the same change time.
    /// </summary>
    public IReadOnlyList<Edit> Write(ChainNode node, FbConnection connection, Func<FbTransaction, IEnumerable<Touch>> work, bool ordered = true)
    {
        if (ordered) WaitForNextTick();
        using var tx = connection.BeginTransaction(new FbTransactionOptions { LockTimeoutSeconds = 30 });
        var touched = work(tx).ToList();
        var images = touched.Select(t => t.Kind == EditKind.Delete ? null : Rows.ReadRow(connection, tx, t.Table, t.Key)
            ?? throw new InvalidOperationException($"{t.Table} {Rows.KeyText(t.Key)} was just written at {node} and cannot be read back")).ToList();
        tx.Commit();
        lock (_gate)
        {
            var recorded = touched.Select((t, i) => new Edit(++_sequence, node.Code, node.Number, t.Table, Rows.KeyText(t.Key), t.Kind, images[i], t.Why) { CascadeOf = t.CascadeOf }).ToList();
            _edits.AddRange(recorded);
            // Every write moves the mark, so that the next ordered edit comes a tick after the night's writers too.
            var now = DateTime.Now;
            if (now > _lastOrdered) _lastOrdered = now;
            return recorded;
        }
    }

    private void WaitForNextTick()
    {
        DateTime last;
        lock (_gate) last = _lastOrdered;
        // A few milliseconds of the clock, not a fixed pause: Firebird stamps changes to the millisecond.
        while (DateTime.Now <= last.AddMilliseconds(3)) Thread.Yield();
    }

    /// <summary>Records the rows a node held before it joined (its initial load), read from its database.</summary>
    public void Seed(ChainNode node, FbConnection connection, IEnumerable<string> tables)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        lock (_gate)
        {
            foreach (var table in tables)
            {
                foreach (var (key, row) in Rows.ReadTable(connection, tx, table).OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    _edits.Add(new Edit(++_sequence, node.Code, node.Number, table, key, EditKind.Seed, row, "held before joining"));
                }
            }
        }
    }

    /// <summary>A delete the Siège must refuse (its row is still referenced there): it and its cascade do not count.</summary>
    public void ExpectRefused(Edit delete)
    {
        if (delete.Kind != EditKind.Delete) throw new ArgumentException("only a delete can be refused", nameof(delete));
        lock (_gate) _refused.Add(Id(delete));
    }

    private static string Id(Edit edit) => $"{edit.Node}:{edit.Target}";

    private bool IsRefused(Edit edit) => _refused.Contains(Id(edit)) || (edit.CascadeOf is { } parent && _refused.Contains($"{edit.Node}:{parent}"));

    /// <summary>What every node must hold, key by key, for <paramref name="table"/>.</summary>
    public IReadOnlyDictionary<string, Expectation> Expected(string table)
    {
        lock (_gate)
        {
            var result = new Dictionary<string, Expectation>(StringComparer.Ordinal);
            foreach (var group in _edits.Where(e => e.Table == table).GroupBy(e => e.Key))
            {
                var real = group.Where(e => e.Kind != EditKind.Seed && !IsRefused(e)).OrderBy(e => e.Sequence).ToList();
                Edit decisive;
                string why;
                if (real.Count > 0)
                {
                    decisive = real[^1];
                    var others = real.Where(e => e.Node != decisive.Node).Select(e => e.Node).Distinct().ToList();
                    why = $"last real edit: {decisive}" + (others.Count > 0 ? $", later than those of {string.Join(", ", others)}" : "");
                }
                else
                {
                    var seeds = group.Where(e => e.Kind == EditKind.Seed).ToList();
                    if (seeds.Count == 0)
                    {
                        // Only refused deletes: the row stays as it was before them, which is a seed or an edit already listed.
                        throw new InvalidOperationException($"{table} {group.Key}: only refused deletes, no row to keep");
                    }
                    decisive = seeds.OrderBy(e => e.NodeNumber).First();
                    why = seeds.Count > 1 ? $"held at the join by {string.Join(", ", seeds.Select(s => s.Node))}: the row already at the Siège wins ({decisive.Node})" : $"held at the join by {decisive.Node} only";
                }
                var refused = group.Where(IsRefused).ToList();
                if (refused.Count > 0) why += $"; refused: {string.Join(", ", refused)}";
                result[group.Key] = new Expectation(table, group.Key, decisive.Kind == EditKind.Delete ? null : decisive.Image, decisive, why);
            }
            return result;
        }
    }

    /// <summary>
    /// Checks every node's rows of <paramref name="tables"/> against the ledger: every expected row present with the
    /// content of its decisive edit (every column but <see cref="NotCarriedAsIs"/>), every deleted row absent, no row
    /// the ledger does not know. Returns the problems, and an account of every edit for the test's output.
    /// </summary>
    public (IReadOnlyList<string> Problems, string Account) Check(IReadOnlyList<(string Node, FbConnection Connection)> nodes, IReadOnlyList<string> tables)
    {
        var problems = new List<string>();
        var account = new StringBuilder();
        foreach (var table in tables)
        {
            var expected = Expected(table);
            foreach (var (node, connection) in nodes)
            {
                Dictionary<string, Row> actual;
                using (var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true }))
                {
                    actual = Rows.ReadTable(connection, tx, table);
                }
                foreach (var (key, expectation) in expected)
                {
                    actual.TryGetValue(key, out var row);
                    if (expectation.Image is null)
                    {
                        if (row is not null) problems.Add($"{node} {table} {key}: deleted ({expectation.Explanation}) but present: {row.Describe(NotCarriedAsIs)}");
                    }
                    else if (row is null)
                    {
                        problems.Add($"{node} {table} {key}: lost ({expectation.Explanation})");
                    }
                    else if (expectation.Image.Differences(row, NotCarriedAsIs) is { Count: > 0 } columns)
                    {
                        problems.Add($"{node} {table} {key}: {string.Join(", ", columns.Select(c => $"{c} is {row[c]}, expected {expectation.Image[c]}"))} ({expectation.Explanation})");
                    }
                }
                foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)))
                {
                    problems.Add($"{node} {table} {key}: a row no node ever wrote: {actual[key].Describe(NotCarriedAsIs)}");
                }
            }
            var edits = Edits.Where(e => e.Table == table).ToList();
            var holds = edits.Count(e => e.Kind != EditKind.Seed && expected[e.Key].Decisive == e);
            var refused = edits.Count(IsRefused);
            var overridden = edits.Count(e => e.Kind != EditKind.Seed && expected[e.Key].Decisive != e && !IsRefused(e));
            var seeds = edits.Count(e => e.Kind == EditKind.Seed);
            account.AppendLine($"{table}: {edits.Count - seeds} edit(s) ({string.Join(", ", edits.Where(e => e.Kind != EditKind.Seed).GroupBy(e => e.Kind).Select(g => $"{g.Count()} {g.Key}"))}): " +
                               $"{holds} hold as made, {overridden} overridden by a later edit, {refused} refused deletes; {seeds} row(s) held at the join " +
                               $"({seeds - edits.Count(e => e.Kind == EditKind.Seed && expected[e.Key].Decisive == e)} lost to the row already at the Siège or overridden since); " +
                               $"{expected.Count(e => e.Value.Image is not null)} row(s) expected on {nodes.Count} node(s)");
        }
        return (problems, account.ToString());
    }

    /// <summary>The keys of <paramref name="table"/> that more than one node edited for real (conflicts may only be about those).</summary>
    public IReadOnlySet<string> EditedAtSeveralNodes(string table)
    {
        lock (_gate)
        {
            return _edits.Where(e => e.Table == table).GroupBy(e => e.Key).Where(g => g.Select(e => e.Node).Distinct().Count() > 1)
                .Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        }
    }
}
