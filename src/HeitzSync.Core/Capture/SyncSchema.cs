using System.Security.Cryptography;
using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>
/// The synchronised tables of one database, parents before children (so upserts apply in this order and deletes in
/// the reverse), with the schema fingerprint that travels in every package (DESIGN.md §3).
/// </summary>
public sealed class SyncSchema
{
    private readonly Dictionary<string, SyncTable> _byName;

    private SyncSchema(IReadOnlyList<SyncTable> tables)
    {
        Tables = tables;
        _byName = tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
        CanonicalText = BuildCanonicalText(tables);
        using var sha = SHA256.Create();
        Fingerprint = ToHex(sha.ComputeHash(Encoding.UTF8.GetBytes(CanonicalText)));
    }

    /// <summary>Parents first (foreign-key order); ties by name, so every node orders the same way.</summary>
    public IReadOnlyList<SyncTable> Tables { get; }

    /// <summary>One line per table and column (sorted by table name): what the fingerprint hashes, and what a mismatch is explained from.</summary>
    public string CanonicalText { get; }

    /// <summary>SHA-256 (hex) of <see cref="CanonicalText"/>.</summary>
    public string Fingerprint { get; }

    public SyncTable? Find(string tableName) => _byName.TryGetValue(tableName, out var table) ? table : null;

    /// <summary>Describes the given tables (their ids as installed in HZ$TABLES, 0 when not installed).</summary>
    public static SyncSchema Describe(IEnumerable<FbTableInfo> tables, IReadOnlyDictionary<string, int> ids)
    {
        var list = tables.ToList();
        var names = new HashSet<string>(list.Select(t => t.Name), StringComparer.Ordinal);
        var described = new List<SyncTable>();
        foreach (var table in list)
        {
            var keys = new HashSet<string>(table.PrimaryKey, StringComparer.Ordinal);
            var columns = table.Columns
                .Where(c => !c.IsComputed)
                .Select(c => new SyncColumn(c.Name, c.Type, SqlTypeText.Of(c), keys.Contains(c.Name)))
                .ToList();
            var parents = table.ForeignKeys
                .Select(fk => fk.ReferencedTable)
                .Where(p => p != table.Name && names.Contains(p))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(p => p, StringComparer.Ordinal)
                .ToList();
            var selfReferencing = table.ForeignKeys.Any(fk => fk.ReferencedTable == table.Name);
            ids.TryGetValue(table.Name, out var id);
            described.Add(new SyncTable(table.Name, id, columns, parents, selfReferencing));
        }
        return new SyncSchema(OrderParentsFirst(described));
    }

    /// <summary>Kahn's algorithm; a cycle of foreign keys between tables is broken by name (the apply retries rows that hit it).</summary>
    private static IReadOnlyList<SyncTable> OrderParentsFirst(List<SyncTable> tables)
    {
        var remaining = tables.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<SyncTable>();
        while (remaining.Count > 0)
        {
            var ready = remaining.FirstOrDefault(t => t.ParentTables.All(placed.Contains)) ?? remaining[0];
            ordered.Add(ready);
            placed.Add(ready.Name);
            remaining.Remove(ready);
        }
        return ordered;
    }

    private static string BuildCanonicalText(IEnumerable<SyncTable> tables)
    {
        var text = new StringBuilder();
        foreach (var table in tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            text.Append("TABLE ").Append(table.Name)
                .Append(" KEY (").Append(string.Join(", ", table.KeyColumns.Select(c => c.Name))).Append(")\n");
            foreach (var column in table.Columns)
            {
                text.Append("  ").Append(table.Name).Append('.').Append(column.Name).Append(' ').Append(column.SqlType).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>Human-readable differences between two canonical texts, naming tables and columns: what a schema mismatch error says.</summary>
    public static IReadOnlyList<string> Differences(string ours, string theirs)
    {
        var mine = ParseCanonical(ours);
        var other = ParseCanonical(theirs);
        var differences = new List<string>();
        foreach (var entry in mine.Keys.Union(other.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            var here = mine.TryGetValue(entry, out var a) ? a : null;
            var there = other.TryGetValue(entry, out var b) ? b : null;
            if (here == there) continue;
            if (here is null) differences.Add($"{entry}: {there} in the package, missing in this database");
            else if (there is null) differences.Add($"{entry}: {here} in this database, missing in the package");
            else differences.Add($"{entry}: {here} in this database, {there} in the package");
        }
        return differences;
    }

    private static Dictionary<string, string> ParseCanonical(string text)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Length == 0) continue;
            if (raw.StartsWith("TABLE ", StringComparison.Ordinal))
            {
                var rest = raw.Substring(6);
                var space = rest.IndexOf(" KEY ", StringComparison.Ordinal);
                var name = space < 0 ? rest : rest.Substring(0, space);
                entries["table " + name] = space < 0 ? "present" : "primary key " + rest.Substring(space + 5);
            }
            else
            {
                var line = raw.Trim();
                var space = line.IndexOf(' ');
                if (space > 0) entries["column " + line.Substring(0, space)] = line.Substring(space + 1);
            }
        }
        return entries;
    }

    private static string ToHex(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes) builder.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return builder.ToString();
    }
}
