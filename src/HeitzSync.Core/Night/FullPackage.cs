using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>What a full restore did.</summary>
public sealed record FullRestoreResult(string PackageName, string Database, string? PreviousKeptAs, long Bytes, IReadOnlyList<GeneratorMove> GeneratorsMoved);

/// <summary>
/// Full packages (DESIGN.md §4, §7): a gbak backup of the master in the package envelope, to seed a new site or
/// recover a lost one. The site restores it beside its database, verifies it, makes it its own (identity, capture
/// triggers, key range, "nothing to send"), and only then puts it in place, keeping the previous file aside.
/// </summary>
public static class FullPackage
{
    /// <summary>Siège: publishes a full package of the master into the site's down/ folder.</summary>
    public static async Task<Publication> PublishAsync(FbConnectionSettings master, IDropTransport drop, SyncKey key, string workFolder, SiteCode target, CycleId cycle,
        IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workFolder);
        NodeIdentity identity;
        string fingerprint;
        Watermark covered;
        using (var connection = FbConnection.Open(master))
        {
            var guard = TransactionGuard.Read(connection);   // before the snapshot: docs/sync-engine.md, "Watermarks"
            using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
            identity = NodeIdentity.Read(connection, tx);
            if (!identity.IsSiege) throw new CaptureSetupException($"{master} is site {identity.Site}, not the Siège: full packages are made from the master.");
            fingerprint = CaptureInstaller.ReadInstalledSchema(connection, tx).Fingerprint;
            // Read before the backup starts: everything up to here is in it; later changes go by the next delta.
            covered = guard.Cover(connection, tx);
        }
        var backup = Path.Combine(workFolder, $"{target}_{cycle}_full.fbk");
        var name = PackageNames.ForFull(target, cycle);
        var local = Path.Combine(workFolder, name);
        try
        {
            progress?.Report(new SyncProgress("Full package", $"Backing up the master for {target}", 10));
            await new FbBackupService().BackupAsync(master, backup, null, cancellationToken).ConfigureAwait(false);
            using (var writer = PackageWriter.Create(local, key))
            {
                using (var source = File.OpenRead(backup))
                {
                    await source.CopyToAsync(writer.Payload, 81920, cancellationToken).ConfigureAwait(false);
                }
                writer.Complete(new PackageManifest
                {
                    ModuleVersion = ModuleInfo.Version,
                    Origin = identity.Site.Value,
                    Target = target.Value,
                    CycleId = cycle.Value,
                    Kind = PackageKind.Full,
                    ToSequence = covered.Sequence,
                    ResendFromTx = covered.ResendFromTx,
                    OpenTransactions = covered.Open.ToString(),
                    SiteNumber = identity.SiteNumber,
                    KeyLow = identity.KeyLow,
                    KeyHigh = identity.KeyHigh,
                    SchemaFingerprint = fingerprint,
                    CreatedUtc = DateTimeOffset.UtcNow,
                });
            }
            progress?.Report(new SyncProgress("Full package", $"Publishing {name}", 60));
            await drop.CreateFolderAsync(DropLayout.Down(target), cancellationToken).ConfigureAwait(false);
            var bytes = new FileInfo(local).Length;
            await drop.UploadAsync(local, DropLayout.Down(target).Append(name), null, cancellationToken).ConfigureAwait(false);
            return new Publication(target.Value, name, 0, bytes);
        }
        finally
        {
            if (File.Exists(backup)) File.Delete(backup);
            if (File.Exists(local)) File.Delete(local);
        }
    }

    /// <summary>Site: restores a full package over <paramref name="database"/> (an embedded file path).</summary>
    public static async Task<FullRestoreResult> RestoreAsync(string packagePath, SyncKey key, FbConnectionSettings database, CaptureOptions identity,
        IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        if (!database.IsEmbedded)
        {
            throw new NotSupportedException($"A full package restores a database file directly; {database} is reached through a server. Stop the server's use of it and restore the file path locally.");
        }
        using var reader = PackageReader.Open(packagePath, key);
        var manifest = reader.Manifest;
        if (manifest.Kind != PackageKind.Full) throw new InvalidDataException($"{Path.GetFileName(packagePath)} is not a full package.");
        if (manifest.Target != identity.Site.Value) throw new InvalidDataException($"{Path.GetFileName(packagePath)} is for site {manifest.Target}, not {identity.Site}: nothing was restored.");

        var target = Path.GetFullPath(database.Database);
        var folder = Path.GetDirectoryName(target)!;
        var backup = Path.Combine(folder, Path.GetFileNameWithoutExtension(target) + ".incoming.fbk");
        var restoring = Path.Combine(folder, Path.GetFileNameWithoutExtension(target) + ".restoring.fdb");
        foreach (var stale in new[] { backup, restoring }) if (File.Exists(stale)) File.Delete(stale);
        try
        {
            progress?.Report(new SyncProgress("Restore", "Unpacking the Siège's full backup", 10));
            using (var payload = reader.OpenPayload())
            using (var file = File.Create(backup))
            {
                await payload.CopyToAsync(file, 81920, cancellationToken).ConfigureAwait(false);
            }
            progress?.Report(new SyncProgress("Restore", "Restoring beside the current database", 40));
            var restoredSettings = database with { Database = restoring, Charset = "NONE" };
            await new FbBackupService().RestoreAsync(backup, restoredSettings, replaceExisting: false, null, cancellationToken).ConfigureAwait(false);

            CaptureInstallResult installed;
            using (var connection = FbConnection.Open(restoredSettings))
            {
                // Every row came from the master: nothing to send, and the master's sequence is each row's base.
                using (var tx = connection.BeginTransaction())
                {
                    foreach (var table in CaptureInstaller.ReadInstalledSchema(connection, tx).Tables)
                    {
                        connection.Execute(tx, $"UPDATE {table.VersionTable} SET BASE_SEQ = SEQ, SEQ = 0, TX = 0");
                    }
                    connection.Execute(tx, "DELETE FROM HZ$SITES");
                    connection.Execute(tx, "UPDATE HZ$NODE SET ACKED_SEQ = 0, ACKED_TX = 0, ACKED_OPEN = '', APPLIED_SEQ = ?, APPLIED_TX = ?, APPLIED_OPEN = ?, APPLIED_CYCLE = ? WHERE ID = 1",
                        manifest.ToSequence, manifest.ResendFromTx, manifest.Covered().Open.ToString(), manifest.CycleId);
                    tx.Commit();
                }
                installed = new CaptureInstaller(connection).Install(identity with { InitialLoad = false, ReseedGenerators = true });
                using var check = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
                if (NodeIdentity.Read(connection, check).Site != identity.Site) throw new InvalidDataException("The restored database did not take this site's identity.");
            }

            string? previous = null;
            if (File.Exists(target))
            {
                previous = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(target)}.before-{DateTime.UtcNow:yyyyMMdd-HHmmss}.fdb");
                File.Move(target, previous);
            }
            File.Move(restoring, target);
            progress?.Report(new SyncProgress("Restore", "Restored and verified", 100));
            return new FullRestoreResult(Path.GetFileName(packagePath), target, previous, new FileInfo(packagePath).Length, installed.GeneratorsMoved);
        }
        finally
        {
            if (File.Exists(backup)) File.Delete(backup);
            if (File.Exists(restoring)) File.Delete(restoring);
        }
    }
}
