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
    public static SyncSchema Describe(IEnumerable<FbTableInfo> tables, IReadOnlyDictionary<string, int> ids) => Describe(tables, ids, ColumnDeclarations.None);

    /// <summary>Describes the given tables with their additive and local columns.</summary>
    public static SyncSchema Describe(IEnumerable<FbTableInfo> tables, IReadOnlyDictionary<string, int> ids, ColumnDeclarations declarations)
    {
        var list = tables.ToList();
        var byName = list.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var described = new List<SyncTable>();
        foreach (var table in list)
        {
            var keys = new HashSet<string>(table.PrimaryKey, StringComparer.Ordinal);
            var columns = new List<SyncColumn>();
            var local = new List<SyncColumn>();
            foreach (var c in table.Columns.Where(c => !c.IsComputed))
            {
                var kind = keys.Contains(c.Name) ? ColumnKind.Key : declarations.KindOf(table.Name, c.Name) ?? ColumnKind.Ordinary;
                var column = new SyncColumn(c.Name, c.Type, SqlTypeText.Of(c), kind);
                if (kind == ColumnKind.Local) local.Add(column);
                else columns.Add(column);
            }
            var parents = table.ForeignKeys
                .Select(fk => fk.ReferencedTable)
                .Where(p => p != table.Name && byName.ContainsKey(p))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(p => p, StringComparer.Ordinal)
                .ToList();
            var selfReferencing = table.ForeignKeys.Any(fk => fk.ReferencedTable == table.Name);
            var foreignKeys = table.ForeignKeys
                .Where(fk => byName.ContainsKey(fk.ReferencedTable))
                .Select(fk => new SyncForeignKey(fk.Name, fk.Columns, fk.ReferencedTable, fk.CascadesDelete, ParentKeyOrder(fk, byName[fk.ReferencedTable])))
                .ToList();
            ids.TryGetValue(table.Name, out var id);
            described.Add(new SyncTable(table.Name, id, columns, parents, selfReferencing, local, foreignKeys));
        }
        return new SyncSchema(OrderParentsFirst(described));
    }

    /// <summary>Where each of the parent's primary key columns sits among the foreign key's columns (null: the key
    /// references a unique constraint, not the primary key).</summary>
    private static IReadOnlyList<int>? ParentKeyOrder(FbForeignKeyInfo fk, FbTableInfo parent)
    {
        if (parent.PrimaryKey.Count != fk.ReferencedColumns.Count) return null;
        var order = new List<int>();
        foreach (var keyColumn in parent.PrimaryKey)
        {
            var at = fk.ReferencedColumns.ToList().IndexOf(keyColumn);
            if (at < 0) return null;
            order.Add(at);
        }
        return order;
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
            // Additive and local columns are marked (every node must declare them alike); without any, the text (and the
            // fingerprint) is what it was before they existed.
            foreach (var column in table.Columns.Concat(table.LocalColumns))
            {
                text.Append("  ").Append(table.Name).Append('.').Append(column.Name).Append(' ').Append(column.SqlType)
                    .Append(column.Kind switch { ColumnKind.Additive => " ADDITIVE", ColumnKind.Local => " LOCAL", _ => "" }).Append('\n');
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
