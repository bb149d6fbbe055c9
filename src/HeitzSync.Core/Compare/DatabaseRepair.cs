using HeitzSync.Core.Capture;
using HeitzSync.Core.Sync;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Compare;

/// <summary>What a repair queued.</summary>
public sealed record RepairResult(int KeysRequeued, IReadOnlyDictionary<string, int> PerTable);

/// <summary>
/// Repairs a site that drifted from the master (DESIGN.md §6): every key that differs is re-queued at the Siège as
/// a master change (a new version row with the Siège as origin), so the next publish carries the master's state of
/// that row, or its deletion, to every site; the sites converge with the next night.
/// </summary>
public static class DatabaseRepair
{
    public static RepairResult Requeue(FbConnection master, FbConnection site, IEnumerable<string> tables)
    {
        var perTable = new Dictionary<string, int>(StringComparer.Ordinal);
        using var tx = master.BeginTransaction();
        var identity = NodeIdentity.Read(master, tx);
        if (!identity.IsSiege) throw new CaptureSetupException($"{master.Settings} is site {identity.Site}: repairs are queued at the Siège, from the master.");
        var schema = CaptureInstaller.ReadInstalledSchema(master, tx);
        var wanted = tables.ToList();
        foreach (var table in schema.Tables.Where(t => wanted.Contains(t.Name)))
        {
            // Local columns are each node's own: a row differing only there is no drift (and no night would change it).
            var keys = DatabaseComparer.DifferingKeys(master, site, table.Name, table.LocalColumns.Select(c => c.Name).ToList());
            if (keys.Count == 0) continue;
            var columns = string.Join(", ", table.KeyColumns.Select(c => c.Quoted));
            using var bump = master.Prepare(tx,
                $"UPDATE OR INSERT INTO {table.VersionTable} ({columns}, SEQ, TX, OP, CHANGED_AT, ORIGIN, BASE_SEQ) " +
                $"VALUES ({string.Join(", ", table.KeyColumns.Select(_ => "?"))}, GEN_ID({CaptureObjects.Sequence}, 1), CURRENT_TRANSACTION, 'R', CURRENT_TIMESTAMP, ?, 0) MATCHING ({columns})");
            foreach (var key in keys)
            {
                var args = key.Concat(new object?[] { identity.Site.Value }).ToArray();
                bump.ExecuteNonQuery(args);
            }
            perTable[table.Name] = keys.Count;
        }
        tx.Commit();
        return new RepairResult(perTable.Values.Sum(), perTable);
    }
}
