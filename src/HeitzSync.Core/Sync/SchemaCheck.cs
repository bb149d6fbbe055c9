using HeitzSync.Core.Capture;

namespace HeitzSync.Core.Sync;

internal static class SchemaCheck
{
    /// <summary>Refuses a change stream made from another schema, naming the tables and columns that differ.</summary>
    public static void Ensure(SyncSchema local, string packageSchemaText, string what)
    {
        if (string.Equals(local.CanonicalText, packageSchemaText, StringComparison.Ordinal)) return;
        var differences = SyncSchema.Differences(local.CanonicalText, packageSchemaText);
        var declarations = differences.Any(d => d.Contains(" ADDITIVE") || d.Contains(" LOCAL"))
            ? "Additive and local columns must be declared alike on every node (tables.additiveColumns, tables.localColumns in each heitzsync.json, then init). "
            : "";
        throw new SchemaMismatchException(
            $"The synchronised schema of {what} differs from this database's: {string.Join("; ", differences)}. {declarations}" +
            "Bring every node to the same schema (same module version and same business-software version), then run again. Nothing was applied.",
            differences);
    }
}
