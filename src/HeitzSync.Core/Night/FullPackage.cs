using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>What a full restore did.</summary>
/// <summary>What a full restore did. <see cref="RowsRequeued"/>: the site's unsent changes carried into the restored database
/// (queued to be sent); <see cref="Acknowledged"/>: what the Siège had consolidated from the site when it made the package.</summary>
public sealed record FullRestoreResult(string PackageName, string Database, string? PreviousKeptAs, long Bytes, IReadOnlyList<GeneratorMove> GeneratorsMoved)
{
    public long RowsRequeued { get; init; }
    public Watermark Acknowledged { get; init; }
}

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
        Watermark consolidatedFromTarget;
        using (var connection = FbConnection.Open(master))
        {
            var guard = TransactionGuard.Read(connection);   // before the snapshot: docs/sync-engine.md, "Watermarks"
            using var tx = connection.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
            identity = NodeIdentity.Read(connection, tx);
            if (!identity.IsSiege) throw new CaptureSetupException($"{master} is site {identity.Site}, not the Siège: full packages are made from the master.");
            fingerprint = CaptureInstaller.ReadInstalledSchema(connection, tx).Fingerprint;
            // Read before the backup starts: everything up to here is in it; later changes go by the next delta.
            covered = guard.Cover(connection, tx);
            // The target's changes the master holds: the site carries over every change of its own after these.
            consolidatedFromTarget = new SitePublisher(connection).RegisteredSites().FirstOrDefault(s => s.Site == target.Value)?.Consolidated ?? Watermark.None;
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
                    AcknowledgedSequence = consolidatedFromTarget.Sequence,
                    AcknowledgedResendFromTx = consolidatedFromTarget.ResendFromTx,
                    AcknowledgedOpenTransactions = consolidatedFromTarget.Open.ToString(),
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
    /// <param name="dropAck">The Siège's ack.json for this site: the restored database's change sequence is moved past it,
    /// so that what it sends next is above what the Siège recorded (docs/sync-engine.md).</param>
    public static async Task<FullRestoreResult> RestoreAsync(string packagePath, SyncKey key, FbConnectionSettings database, CaptureOptions identity,
        Watermark? dropAck, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
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
        var unsent = Path.Combine(folder, Path.GetFileNameWithoutExtension(target) + ".unsent.hzc");
        foreach (var stale in new[] { backup, restoring, unsent }) if (File.Exists(stale)) File.Delete(stale);
        try
        {
            var handedOut = new Dictionary<string, long>(StringComparer.Ordinal);
            var (kept, previousIsOurs) = File.Exists(target) ? KeepUnsentChanges(database with { Database = target, Charset = "NONE" }, identity,
                manifest.Acknowledging(), unsent, handedOut, cancellationToken) : (0, false);
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
                // Every row came from the master: nothing to send, nothing held, and the master's sequence is the base of
                // every change the site makes from now on (docs/sync-engine.md, "What each node keeps").
                VersionRows.ForgetForRestoredSite(connection);
                using (var tx = connection.BeginTransaction())
                {
                    connection.Execute(tx, "DELETE FROM HZ$SITES");
                    connection.Execute(tx, "UPDATE HZ$NODE SET ACKED_SEQ = 0, ACKED_TX = 0, ACKED_OPEN = '', APPLIED_SEQ = ?, APPLIED_TX = ?, APPLIED_OPEN = ?, APPLIED_CYCLE = ? WHERE ID = 1",
                        manifest.ToSequence, manifest.ResendFromTx, manifest.Covered().Open.ToString(), manifest.CycleId);
                    tx.Commit();
                }
                installed = new CaptureInstaller(connection).Install(identity with { InitialLoad = false, ReseedGenerators = true });
                using (var tx = connection.BeginTransaction())
                {
                    VersionRows.SetBase(connection, tx, manifest.ToSequence);
                    tx.Commit();
                }
                using (var check = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
                {
                    if (NodeIdentity.Read(connection, check).Site != identity.Site) throw new InvalidDataException("The restored database did not take this site's identity.");
                }
                KeepSequenceAbove(connection, dropAck);
                if (kept > 0) Requeue(connection, unsent, cancellationToken);
                KeepGeneratorsAbove(connection, handedOut, identity);
                if (previousIsOurs) KeepLocalTables(connection, database with { Database = target, Charset = "NONE" }, identity);
            }

            string? previous = null;
            if (File.Exists(target))
            {
                previous = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(target)}.before-{DateTime.UtcNow:yyyyMMdd-HHmmss}.fdb");
                File.Move(target, previous);
            }
            File.Move(restoring, target);
            progress?.Report(new SyncProgress("Restore", "Restored and verified", 100));
            return new FullRestoreResult(Path.GetFileName(packagePath), target, previous, new FileInfo(packagePath).Length, installed.GeneratorsMoved)
            {
                RowsRequeued = kept,
                Acknowledged = manifest.Acknowledging(),
            };
        }
        finally
        {
            foreach (var temporary in new[] { backup, restoring, unsent }) if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Writes the current database's own changes that the full package does not hold (every local change after what the
    /// Siège had consolidated from this site when it made the package: unsent ones, and sent ones consolidated later) into
    /// a change stream, and the value of each of its generators into <paramref name="generators"/>. Nothing (and Ours
    /// false) when the database is not this site's HeitzSync database.
    /// </summary>
    private static (long Rows, bool Ours) KeepUnsentChanges(FbConnectionSettings current, CaptureOptions identity, Watermark consolidated, string unsent,
        Dictionary<string, long> generators, CancellationToken cancellationToken)
    {
        using var connection = FbConnection.Open(current);
        SyncSchema schema;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            if (!CaptureInstaller.IsInstalled(connection, tx) || NodeIdentity.Read(connection, tx).Site != identity.Site) return (0, false);
            schema = CaptureInstaller.ReadInstalledSchema(connection, tx);
            foreach (var generator in KeyGenerators.Read(connection, tx)) generators[generator.Key] = generator.CurrentValue;
        }
        using var file = File.Create(unsent);
        var writer = new ChangeWriter(file, schema.CanonicalText);
        var produced = new ChangeProducer(connection).Write(schema, writer, consolidated, excludeOrigin: null, cancellationToken, ownSite: identity.Site.Value);
        writer.Complete();
        return (produced.Rows, true);
    }

    /// <summary>Applies the kept changes to the restored database as this site's own pending changes: each takes a new
    /// local sequence (so the next extract sends it) and keeps its change time and base, so the Siège decides conflicts
    /// as if the restore had not happened.</summary>
    private static void Requeue(FbConnection restored, string unsent, CancellationToken cancellationToken)
    {
        using var tx = restored.BeginTransaction();
        var schema = CaptureInstaller.ReadInstalledSchema(restored, tx);
        using var stream = File.OpenRead(unsent);
        using var reader = new ChangeReader(stream);
        SchemaCheck.Ensure(schema, reader.SchemaText, "this site's unsent changes (kept across the full restore)");
        restored.ExecuteScalar(tx, CaptureObjects.MarkApplying);
        var policy = new RequeuePolicy();
        // Additive columns carry the old database's own running totals: taken as this site's own, the rows gain what the
        // restored copy did not hold yet (docs/sync-engine.md, "Derived values").
        var site = NodeIdentity.Read(restored, tx).Site.Value;
        using (var applier = new ChangeApplier(restored, tx, schema, masterVersions: true, contributor: site))
        {
            applier.Apply(reader, policy, cancellationToken);
            reader.VerifyEnd();
        }
        if (policy.Refused.Count > 0)
        {
            throw new InvalidDataException($"{policy.Refused.Count} unsent change(s) of this site do not fit the Siège's full package ({string.Join("; ", policy.Refused.Take(3))}): nothing was restored; the database is unchanged.");
        }
        tx.Commit();
    }

    private sealed class RequeuePolicy : IApplyPolicy
    {
        public List<string> Refused { get; } = new();

        public FastPath FastPath { get; } = new(FastPathTest.Always, VersionStamp.CarriedOriginAndBase);

        public bool Decide(IncomingChange change, VersionRow? version) => true;

        public void Applied(IncomingChange change) =>
            change.Table.WriteVersion(change.Key, change.IsDelete ? 'D' : 'U', change.Header.ChangedAtUtc, change.Header.Origin, change.Header.BaseSequence);

        public void Held(IncomingChange change) => throw new InvalidOperationException("A full restore holds no load run: its fast path does not hold loads.");

        public void CannotApply(IncomingChange change, FbException error) => Refused.Add($"{change.Table.Table.Name} ({change.KeyText}): {error.Message}");

        public void Skipped(IncomingChange change, bool contributionsApplied)
        {
            // Never called: every kept change is applied whole.
        }

        public void KeptWithParent(IncomingChange change) =>
            Refused.Add($"{change.Table.Table.Name} ({change.KeyText}): its parent's delete cannot be applied to the restored database");
    }

    /// <summary>
    /// Moves each generator of the restored database up to where it stood in the database it replaces, when that lies in
    /// this site's key range: the package holds only the rows the Siège had, and init placed the generators past those,
    /// but the site had handed out more keys since (rows kept across the restore, rows created and deleted meanwhile);
    /// the business software must never hand one out again.
    /// </summary>
    private static void KeepGeneratorsAbove(FbConnection connection, IReadOnlyDictionary<string, long> handedOut, CaptureOptions identity)
    {
        if (handedOut.Count == 0) return;
        using var tx = connection.BeginTransaction();
        foreach (var generator in KeyGenerators.Read(connection, tx))
        {
            // By Key: an identity column's generator may have another engine-given name in the restored copy.
            if (!handedOut.TryGetValue(generator.Key, out var before)) continue;
            if (before <= generator.CurrentValue || before < identity.KeyLow || before > identity.KeyHigh) continue;
            KeyGenerators.MoveTo(connection, tx, generator, before);
        }
        tx.Commit();
    }

    /// <summary>
    /// Puts the site's own rows back into the tables that never travel (tables.localOnly and excluded ones: workstation
    /// settings, a till log): the package is a backup of the Siège's whole database, whose own rows of those tables are
    /// the Siège's and must not reach a site. Each such table of the restored copy gets exactly the rows the replaced
    /// database holds (columns of the same name; computed ones left out). A row it cannot take aborts the restore.
    /// </summary>
    private static void KeepLocalTables(FbConnection restored, FbConnectionSettings previous, CaptureOptions identity)
    {
        using var old = FbConnection.Open(previous);
        using var read = old.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        using var tx = restored.BeginTransaction();
        var kept = restored.Schema.GetTables(tx).Where(t => !t.Name.StartsWith("HZ$", StringComparison.Ordinal) && !identity.IsSynchronised(t.Name)).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var source in old.Schema.GetTables(read).Where(t => kept.ContainsKey(t.Name)))
        {
            var target = kept[source.Name];
            var columns = source.Columns.Where(c => !c.IsComputed && target.Columns.Any(t => t.Name == c.Name && !t.IsComputed)).ToList();
            var table = FbSql.QuoteIdentifier(source.Name);
            restored.Execute(tx, $"DELETE FROM {table}");
            if (columns.Count == 0) continue;
            var names = string.Join(", ", columns.Select(c => FbSql.QuoteIdentifier(c.Name)));
            using var insert = restored.Prepare(tx, $"INSERT INTO {table} ({names}) VALUES ({string.Join(", ", columns.Select(_ => "?"))})");
            using var select = old.Prepare(read, $"SELECT {names} FROM {table}");
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                // Text and blobs as their stored bytes (NONE attachments), whatever their character set.
                var values = columns.Select((c, i) => reader.IsDBNull(i) ? null
                    : c.Type is FbDbType.Char or FbDbType.VarChar or FbDbType.Blob or FbDbType.TextBlob ? reader.GetBytes(i) : reader.GetValue(i)).ToArray();
                insert.ExecuteNonQuery(values);
            }
        }
        tx.Commit();
    }

    /// <summary>Moves the restored database's change sequence past the Siège's acknowledgement of this site (see
    /// docs/sync-engine.md, "Exactly once at the Siège"), before any change of its own takes a number.</summary>
    private static void KeepSequenceAbove(FbConnection connection, Watermark? acknowledged)
    {
        if (acknowledged is not { } ack) return;
        using var tx = connection.BeginTransaction();
        var current = Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.Sequence}, 0) FROM RDB$DATABASE"), System.Globalization.CultureInfo.InvariantCulture);
        if (current <= ack.Sequence)
        {
            var step = (ack.Sequence - current + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.Sequence}, {step}) FROM RDB$DATABASE");
        }
        tx.Commit();
    }
}
