using System.Globalization;
using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>What a site sent.</summary>
public sealed record SendResult(string PackageName, string LocalPath, long Rows, long Bytes, IReadOnlyDictionary<string, long> TableCounts, Watermark Covered)
{
    /// <summary>What the extract left aside and why (an ack.json that is not the Siège's, or beyond what this site ever
    /// produced): the report says so; more is sent, never less.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
}

/// <summary>What a site received and applied (or why not).</summary>
public sealed record ReceiveResult(string? PackageName, bool Found, bool AlreadyApplied, long RowsApplied, long RowsSkipped, long Bytes,
    IReadOnlyDictionary<string, AppliedTableCounts> Tables, IReadOnlyList<string> Unapplied)
{
    /// <summary>Set when the package was a full one and the database was restored from it.</summary>
    public string? FullRestoreNote { get; init; }
}

/// <summary>
/// A site's part of the night (DESIGN.md §1): extract its changes into a package and upload it; then download the
/// Siège's package for it and apply it. Work files live under the node's work folder.
/// </summary>
public sealed class SiteNight
{
    private readonly FbConnectionSettings _database;
    private readonly IDropTransport _drop;
    private readonly SyncKey _key;
    private readonly string _workFolder;
    private readonly IReadOnlyCollection<string> _triggersOff;
    private readonly CaptureOptions? _identity;

    /// <param name="identity">This site's identity from its configuration: needed to take a full package (seed or
    /// recovery), when the database may not exist yet or may hold another node's identity.</param>
    public SiteNight(FbConnectionSettings database, IDropTransport drop, SyncKey key, string workFolder,
        IReadOnlyCollection<string>? triggersOffDuringApply = null, CaptureOptions? identity = null)
    {
        _identity = identity;
        _triggersOff = triggersOffDuringApply ?? Array.Empty<string>();
        _database = database with { Charset = "NONE" };   // text moves as exact bytes
        _drop = drop;
        _key = key;
        _workFolder = workFolder;
    }

    private string Outgoing => Path.Combine(_workFolder, "outgoing");
    private string Incoming => Path.Combine(_workFolder, "incoming");
    private string Quarantine => Path.Combine(_workFolder, "quarantine");

    /// <summary>Extracts every change the Siège has not acknowledged into a package in the outgoing folder (no network).</summary>
    public async Task<SendResult> ExtractAsync(CycleId cycle, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Outgoing);
        using var connection = FbConnection.Open(_database);
        var site = ReadSite(connection);
        // Without the Siège's ack we resend from our own record: more than needed, never less.
        var notes = new List<string>();
        var dropAck = await ReadDropAckAsync(site, notes, cancellationToken).ConfigureAwait(false);
        if (dropAck is { } ack && ack.Sequence > CurrentSequence(connection))
        {
            // No package of this site ever went that far: a stale ack.json (of a database put back) or a forged one.
            notes.Add($"{DropLayout.Ack(site)} acknowledges sequence {ack.Sequence}, beyond anything {site} ever produced ({CurrentSequence(connection)}): it was ignored; the Siège rewrites it after its next consolidation.");
            dropAck = null;
        }
        progress?.Report(new SyncProgress("Extract", $"Reading changes of {site}", 10));
        var temporary = Path.Combine(Outgoing, $"{site}_{cycle}.extracting.hzp");
        ExtractResult extract;
        PackageManifest manifest;
        using (var writer = PackageWriter.Create(temporary, _key))
        {
            extract = new ChangeExtractor(connection).Extract(writer.Payload, dropAck, cancellationToken);
            manifest = writer.Complete(DeltaManifest.From(extract, cycle));
        }
        var name = PackageNames.ForSiteDelta(site, cycle, extract.From.Sequence, extract.Covered.Sequence);
        var final = Path.Combine(Outgoing, name);
        if (File.Exists(final)) File.Delete(final);
        File.Move(temporary, final);
        progress?.Report(new SyncProgress("Extract", $"{extract.Rows} change(s) in {name}", 100));
        return new SendResult(name, final, extract.Rows, new FileInfo(final).Length, extract.TableCounts, extract.Covered) { Notes = notes };
    }

    private static long CurrentSequence(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.Sequence}, 0) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Proves this node holds the Siège's group key before anything travels: siege.json is signed with it
    /// (<see cref="DropProof"/>). Throws <see cref="GroupKeyMismatchException"/> when it was signed with another key (or
    /// changed since); a drop without siege.json yet, or one written by an older Siège, proves nothing and stops nothing.
    /// </summary>
    public async Task CheckGroupKeyAsync(CancellationToken cancellationToken)
    {
        SiegeDocument? siege;
        try
        {
            siege = DropJson.Deserialize<SiegeDocument>(await _drop.ReadSmallFileAsync(DropLayout.SiegeFile, cancellationToken).ConfigureAwait(false), "siege.json");
        }
        catch (InvalidDataException)
        {
            return;   // the Siège rewrites it; the packages' own authentication still holds
        }
        if (siege?.Mac is null) return;
        if (DropProof.Problem(siege, _key) is { } problem)
        {
            throw new GroupKeyMismatchException($"{problem}: nothing was sent or applied. Copy the Siège's group key file to this node's keyFile (every node holds the same key).");
        }
    }

    /// <summary>
    /// Uploads an extracted package to the site's up/ folder, then forgets the outgoing packages it makes useless: itself,
    /// the older ones (each package carries every change the Siège had not acknowledged when it was extracted, so it holds
    /// theirs) and any leftover that is not a package of this site. A newer package waiting there stays pending.
    /// </summary>
    public async Task UploadAsync(SendResult package, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var site = SiteCode.Parse(package.PackageName.Split('_')[0]);
        await _drop.CreateFolderAsync(DropLayout.Up(site), cancellationToken).ConfigureAwait(false);
        await _drop.UploadAsync(package.LocalPath, DropLayout.Up(site).Append(package.PackageName), progress, cancellationToken).ConfigureAwait(false);
        if (!Directory.Exists(Outgoing)) return;
        foreach (var file in Directory.GetFiles(Outgoing, "*" + PackageNames.Extension))
        {
            var newer = IsDeltaOf(site, file, out var parsed) && parsed!.ToSequence > package.Covered.Sequence;
            if (!newer) File.Delete(file);
        }
    }

    /// <summary>The packages extracted and not uploaded yet (this site's delta packages in the outgoing folder), oldest
    /// range first (by the sequences in their names: the site's sequence only grows).</summary>
    public IReadOnlyList<string> Pending()
    {
        if (!Directory.Exists(Outgoing)) return Array.Empty<string>();
        var site = Site();
        return InRangeOrder(Directory.GetFiles(Outgoing, "*" + PackageNames.Extension).Where(f => IsDeltaOf(site, f, out _)));
    }

    /// <summary>Package files (anywhere on disk) oldest range first; throws <see cref="InvalidDataException"/> for a file
    /// not named as a delta package of this site.</summary>
    public IReadOnlyList<string> InRangeOrder(IEnumerable<string> paths)
    {
        var site = Site();
        return paths.Select(path =>
            {
                var full = Path.GetFullPath(path);
                if (!IsDeltaOf(site, full, out var parsed))
                {
                    throw new InvalidDataException($"{full} is not a delta package of site {site} (a name like {site}_<cycle>_d_<from>-<to>{PackageNames.Extension}): only those are uploaded.");
                }
                return (Path: full, Name: parsed!);
            })
            .OrderBy(p => p.Name.ToSequence).ThenBy(p => p.Path, StringComparer.Ordinal)
            .Select(p => p.Path).ToList();
    }

    /// <summary>Reads an extracted package (anywhere on disk) as its extract described it: opened and checked with the
    /// group key, made by this site as a delta package. Throws <see cref="InvalidDataException"/> (or
    /// <see cref="PackageRejectedException"/>) for anything else.</summary>
    public SendResult Describe(string path, CancellationToken cancellationToken)
    {
        var full = InRangeOrder(new[] { path })[0];
        var site = Site();
        if (!File.Exists(full)) throw new FileNotFoundException($"The package {full} does not exist (already uploaded and forgotten, or moved).", full);
        using var reader = PackageReader.Open(full, _key, cancellationToken);
        var manifest = reader.Manifest;
        if (manifest.Origin != site.Value || manifest.Kind != PackageKind.Delta || manifest.Target is not null)
        {
            throw new InvalidDataException($"{full} was made by {manifest.Origin}{(manifest.Target is null ? "" : " for " + manifest.Target)}, not as a delta package of site {site}: it is not uploaded.");
        }
        return new SendResult(Path.GetFileName(full), full, manifest.TableCounts.Values.Sum(), new FileInfo(full).Length, manifest.TableCounts,
            new Watermark(manifest.ToSequence, manifest.ResendFromTx));
    }

    private static bool IsDeltaOf(SiteCode site, string path, out PackageName? parsed) =>
        PackageNames.TryParse(Path.GetFileName(path), out parsed) && parsed!.Kind == PackageName.DeltaKind && parsed.Site == site;

    private SiteCode Site()
    {
        if (_identity is not null) return _identity.Site;
        using var connection = FbConnection.Open(_database);
        return ReadSite(connection);
    }

    /// <summary>Waits (until <paramref name="waitUntilUtc"/>) for the Siège's package for this site, downloads it and applies it.</summary>
    public async Task<ReceiveResult> ReceiveAsync(DateTimeOffset waitUntilUtc, TimeSpan pollInterval, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Incoming);
        var site = Site();
        while (true)
        {
            var entries = await _drop.ListAsync(DropLayout.Down(site), cancellationToken).ConfigureAwait(false);
            var newest = entries.Where(e => e.Name.EndsWith(".hzp", StringComparison.Ordinal))
                .OrderByDescending(e => e.Name, StringComparer.Ordinal).FirstOrDefault();
            if (newest is not null)
            {
                return await ApplyAsync(site, newest, progress, cancellationToken).ConfigureAwait(false);
            }
            if (DateTimeOffset.UtcNow >= waitUntilUtc)
            {
                return new ReceiveResult(null, false, false, 0, 0, 0, new Dictionary<string, AppliedTableCounts>(), Array.Empty<string>());
            }
            progress?.Report(new SyncProgress("Receive", $"Waiting for the Siège's package until {waitUntilUtc:HH:mm} UTC", 0));
            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ReceiveResult> ApplyAsync(SiteCode site, DropEntry entry, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var remote = DropLayout.Down(site).Append(entry.Name);
        var local = Path.Combine(Incoming, entry.Name);
        await _drop.DownloadAsync(remote, local, null, cancellationToken).ConfigureAwait(false);
        if (PackageNames.TryParse(entry.Name, out var parsed) && parsed!.Kind == "full")
        {
            if (_identity is null) throw new InvalidOperationException($"{entry.Name} is a full package: restoring it needs this site's identity from its configuration.");
            FullRestoreResult restored;
            try
            {
                restored = await FullPackage.RestoreAsync(local, _key, _database, _identity, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (PackageRejectedException rejected)
            {
                PackageQuarantine.Move(local, Quarantine, rejected);
                throw;
            }
            await KeepSequenceAboveAckAsync(site, cancellationToken).ConfigureAwait(false);
            File.Delete(local);
            await ForgetAppliedAsync(remote, cancellationToken).ConfigureAwait(false);
            var note = restored.PreviousKeptAs is null ? "new database" : "previous database kept as " + restored.PreviousKeptAs;
            return new ReceiveResult(entry.Name, true, false, 0, 0, entry.Length, new Dictionary<string, AppliedTableCounts>(), Array.Empty<string>()) { FullRestoreNote = note };
        }
        progress?.Report(new SyncProgress("Receive", $"Applying {entry.Name}", 50));
        PackageReader reader;
        try
        {
            reader = PackageReader.Open(local, _key);
        }
        catch (PackageRejectedException rejected)
        {
            PackageQuarantine.Move(local, Quarantine, rejected);
            throw;
        }
        using (reader)
        {
            var manifest = reader.Manifest;
            if (manifest.Target != site.Value)
            {
                throw new InvalidDataException($"Package {entry.Name} in {site}'s folder is for site {manifest.Target}: nothing was applied. Check the Siège's drop layout.");
            }
            var facts = new SiegePackageFacts(site, CycleId.Parse(manifest.CycleId),
                new Watermark(manifest.ToSequence, manifest.ResendFromTx),
                new Watermark(manifest.AcknowledgedSequence, manifest.AcknowledgedResendFromTx));
            using var connection = FbConnection.Open(_database);
            SiteApplyResult result;
            using (BusinessTriggerSwitch.Off(connection, _triggersOff))
            {
                result = new SiteApplier(connection).Apply(facts, reader.OpenPayload, cancellationToken);
                FaultPoints.Hit("apply.after-commit");
            }
            File.Delete(local);
            await ForgetAppliedAsync(remote, cancellationToken).ConfigureAwait(false);
            progress?.Report(new SyncProgress("Receive", $"{result.RowsApplied} row(s) applied, {result.RowsSkipped} kept for tomorrow", 100));
            return new ReceiveResult(entry.Name, true, result.AlreadyApplied, result.RowsApplied, result.RowsSkipped, entry.Length, result.Tables, result.Unapplied);
        }
    }

    /// <summary>The Siège's ack.json for this site when it is the Siège's own (signed with the group key); otherwise null,
    /// and why in <paramref name="notes"/> when there is one that cannot be used.</summary>
    private async Task<Watermark?> ReadDropAckAsync(SiteCode site, List<string>? notes, CancellationToken cancellationToken)
    {
        try
        {
            var ack = DropJson.Deserialize<AckDocument>(await _drop.ReadSmallFileAsync(DropLayout.Ack(site), cancellationToken).ConfigureAwait(false), "ack.json");
            if (ack is null) return null;
            if (DropProof.Problem(ack, _key) is { } problem)
            {
                notes?.Add($"{DropLayout.Ack(site)}: {problem}: it was ignored; the Siège rewrites it after its next consolidation.");
                return null;
            }
            return ack.Watermark;
        }
        catch (Exception ex) when (ex is DropTransportException or InvalidDataException)
        {
            notes?.Add($"{DropLayout.Ack(site)} could not be used ({ex.Message}): it was ignored.");
            return null;
        }
    }

    /// <summary>
    /// After a full restore the database carries the master's change sequence, which may be below what the Siège has
    /// already consolidated from this site (ack.json). The next extract sends only changes above that acknowledgement,
    /// and the Siège takes only a package whose range ends above it (docs/sync-engine.md), so the sequence is moved past
    /// it before any local change can take a number below it.
    /// </summary>
    private async Task KeepSequenceAboveAckAsync(SiteCode site, CancellationToken cancellationToken)
    {
        if (await ReadDropAckAsync(site, null, cancellationToken).ConfigureAwait(false) is not { } ack) return;
        using var connection = FbConnection.Open(_database);
        using var tx = connection.BeginTransaction();
        var current = Convert.ToInt64(connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.Sequence}, 0) FROM RDB$DATABASE"), CultureInfo.InvariantCulture);
        if (current <= ack.Sequence)
        {
            var step = (ack.Sequence - current + 1).ToString(CultureInfo.InvariantCulture);
            connection.ExecuteScalar(tx, $"SELECT GEN_ID({CaptureObjects.Sequence}, {step}) FROM RDB$DATABASE");
        }
        tx.Commit();
    }

    /// <summary>Removes an applied package from the drop. Only tidying: the Siège replaces it at its next publish and
    /// applying it again changes nothing, so an account that may not delete in its down/ folder does not fail the night.</summary>
    private async Task ForgetAppliedAsync(DropPath remote, CancellationToken cancellationToken)
    {
        try
        {
            await _drop.DeleteAsync(remote, cancellationToken).ConfigureAwait(false);
        }
        catch (DropTransportException ex) when (ex.Kind == DropTransportErrorKind.PermissionDenied)
        {
        }
    }

    private static SiteCode ReadSite(FbConnection connection)
    {
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        return Capture.NodeIdentity.Read(connection, tx).Site;
    }
}
