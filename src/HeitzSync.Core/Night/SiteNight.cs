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

/// <summary>What a site received and applied (or why not); counts add up every package applied in the run.</summary>
public sealed record ReceiveResult(string? PackageName, bool Found, bool AlreadyApplied, long RowsApplied, long RowsSkipped, long Bytes,
    IReadOnlyDictionary<string, AppliedTableCounts> Tables, IReadOnlyList<string> Unapplied)
{
    /// <summary>Set when a full package was restored: "new database", or where the previous database was kept.</summary>
    public string? FullRestoreNote { get; init; }

    /// <summary>The full package restored, if one was.</summary>
    public string? RestoredPackage { get; init; }

    /// <summary>The site's unsent changes carried over into the restored database, to be sent next.</summary>
    public long RowsRequeued { get; init; }

    /// <summary>False when the run waited for the answer to what it sent and the deadline came first.</summary>
    public bool Answered { get; init; } = true;

    /// <summary>Packages in down/ this run set aside (damaged, not for this site), one line each; each is reported once.</summary>
    public IReadOnlyList<string> Refused { get; init; } = Array.Empty<string>();

    /// <summary>When the drop could not be reached during the wait (and the run kept waiting).</summary>
    public string? OutageNote { get; init; }
}

/// <summary>Adds up what one receive did over several packages.</summary>
internal sealed class ReceiveOutcome
{
    private readonly Dictionary<string, AppliedTableCounts> _tables = new(StringComparer.Ordinal);
    private readonly List<string> _unapplied = new();
    private string? _name;
    private bool _alreadyApplied = true;
    private long _applied, _skipped, _bytes, _requeued;
    private string? _restore;
    private string? _restoredPackage;
    private DateTimeOffset? _outageSince;
    private string? _outage;
    private int _outages;

    public List<string> Refused { get; } = new();
    public bool Found => _name is not null;

    public void AddApply(DropEntry entry, SiteApplyResult result)
    {
        _name = entry.Name;
        _alreadyApplied &= result.AlreadyApplied;
        _applied += result.RowsApplied;
        _skipped += result.RowsSkipped;
        _bytes += entry.Length;
        _unapplied.AddRange(result.Unapplied);
        foreach (var table in result.Tables)
        {
            if (!_tables.TryGetValue(table.Key, out var sum)) _tables[table.Key] = sum = new AppliedTableCounts();
            sum.Upserts += table.Value.Upserts;
            sum.Deletes += table.Value.Deletes;
            sum.Skipped += table.Value.Skipped;
        }
    }

    public void AddRestore(DropEntry entry, FullRestoreResult restored)
    {
        _name = entry.Name;
        _alreadyApplied = false;
        _bytes += entry.Length;
        _requeued += restored.RowsRequeued;
        _restoredPackage = entry.Name;
        _restore = restored.PreviousKeptAs is null ? "new database" : "previous database kept as " + restored.PreviousKeptAs;
    }

    public void NoteOutage(DropTransportException ex)
    {
        _outages++;
        _outageSince ??= DateTimeOffset.UtcNow;
        _outage = ex.Message;
    }

    public ReceiveResult Result(bool answered) => new(_name, Found, Found && _alreadyApplied, _applied, _skipped, _bytes, _tables, _unapplied)
    {
        FullRestoreNote = _restore,
        RestoredPackage = _restoredPackage,
        RowsRequeued = _requeued,
        Answered = answered,
        Refused = Refused,
        OutageNote = _outageSince is { } since
            ? $"the drop could not be reached {_outages} time(s) from {since:HH:mm:ss} UTC ({_outage}); the run kept waiting while time was left"
            : null,
    };
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
        catch (Exception ex) when (ex is InvalidDataException or DropTransportException)
        {
            // Unreadable (the Siège rewrites it) or the drop not reachable now (the step that follows waits or says so):
            // nothing proved, nothing refused; the packages' own authentication still holds.
            return;
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
            manifest.Covered());
    }

    /// <summary>True when the database holds a change the package covering <paramref name="covered"/> does not: one with a
    /// later sequence, or written by a transaction its guard resends (docs/sync-engine.md, "Watermarks").</summary>
    public bool HasChangesSince(Watermark covered)
    {
        using var connection = FbConnection.Open(_database);
        using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        if (VersionRows.HeldSequences(connection, tx).Values.Any(held => held > covered.Sequence)) return true;
        foreach (var table in CaptureInstaller.ReadInstalledSchema(connection, tx).Tables)
        {
            var stillToSend = covered.SqlStillToSend("v", out var arguments);
            if (connection.ExecuteScalar(tx, $"SELECT FIRST 1 1 FROM {table.VersionTable} v WHERE {stillToSend}", arguments) is not null) return true;
        }
        return false;
    }

    /// <summary>Removes what a cut upload of <paramref name="packageName"/> left in up/ (its <c>.part</c>): a newer package
    /// superseded it. Only tidying: a fragment left behind is removed by the Siège a day later.</summary>
    public async Task ForgetFragmentAsync(string packageName, CancellationToken cancellationToken)
    {
        try
        {
            await _drop.DeleteAsync(DropLayout.Up(Site()).Append(packageName + ".part"), cancellationToken).ConfigureAwait(false);
        }
        catch (DropTransportException)
        {
        }
    }

    private static bool IsDeltaOf(SiteCode site, string path, out PackageName? parsed) =>
        PackageNames.TryParse(Path.GetFileName(path), out parsed) && parsed!.Kind == PackageName.DeltaKind && parsed.Site == site;

    private SiteCode Site()
    {
        if (_identity is not null) return _identity.Site;
        using var connection = FbConnection.Open(_database);
        return ReadSite(connection);
    }

    /// <summary>
    /// Waits (until <paramref name="waitUntilUtc"/>) for the Siège's package for this site, downloads it and applies it:
    /// a full package waiting in down/ first (restored, keeping this site's unsent changes), then the newest delta.
    /// With <paramref name="answering"/> (what this run just sent) it keeps waiting, applying what comes, until a package
    /// acknowledges that upload (DESIGN.md §6); at the deadline it marks the upload as unanswered, so that the Siège does
    /// not take it for a later night's delivery. A package this site cannot use (damaged, not for it) is set aside once
    /// and never downloaded again; the next valid one applies. While time is left, a drop that cannot be reached is only
    /// waited for (the report says so).
    /// </summary>
    public async Task<ReceiveResult> ReceiveAsync(DateTimeOffset waitUntilUtc, TimeSpan pollInterval, IProgress<SyncProgress>? progress, CancellationToken cancellationToken,
        SendResult? answering = null)
    {
        Directory.CreateDirectory(Incoming);
        var site = Site();
        var record = DownRecord.Load(_workFolder);
        // By name, size and time: a package published again under the same name (two Siège runs in one second) is new.
        var handled = new HashSet<DropEntry>();
        var outcome = new ReceiveOutcome();
        var answered = answering is null;
        try
        {
            while (true)
            {
                try
                {
                    var entries = await _drop.ListAsync(DropLayout.Down(site), cancellationToken).ConfigureAwait(false);
                    var usable = entries
                        .Where(e => PackageNames.TryParse(e.Name, out var p) && p.Site == site && p.Kind != PackageName.DeltaKind)
                        .Where(e => !handled.Contains(e) && !record.Contains(e))
                        .ToList();
                    var next = usable.Where(e => e.Name.EndsWith("_full" + PackageNames.Extension, StringComparison.Ordinal)).OrderByDescending(e => e.Name, StringComparer.Ordinal).FirstOrDefault()
                        ?? usable.OrderByDescending(e => e.Name, StringComparer.Ordinal).FirstOrDefault();
                    if (next is not null)
                    {
                        Watermark? applied;
                        try
                        {
                            applied = await TryApplyAsync(site, next, record, outcome, progress, cancellationToken).ConfigureAwait(false);
                        }
                        catch (DropTransportException gone) when (gone.Kind == DropTransportErrorKind.NotFound)
                        {
                            handled.Add(next);
                            continue;   // the Siège replaced it meanwhile with a newer one: look again
                        }
                        handled.Add(next);   // applied or set aside; a passing failure (below) tries it again at the next look
                        if (applied is { } acknowledged)
                        {
                            // Older deltas hold less than the one applied: never worth a download.
                            foreach (var older in usable.Where(e => string.CompareOrdinal(e.Name, next.Name) < 0 && !e.Name.EndsWith("_full" + PackageNames.Extension, StringComparison.Ordinal))) handled.Add(older);
                            if (answering is not null && !answering.Covered.IsAfter(acknowledged)) answered = true;
                        }
                        continue;   // look again at once: a delta may follow a full package, or the next valid one a damaged one
                    }
                }
                catch (DropTransportException ex) when (IsPassing(ex) && DateTimeOffset.UtcNow < waitUntilUtc)
                {
                    outcome.NoteOutage(ex);
                    progress?.Report(new SyncProgress("Receive", $"The drop cannot be reached ({ex.Message}): waiting until {waitUntilUtc:HH:mm:ss} UTC", 0));
                }
                if (answered && outcome.Found) break;
                if (DateTimeOffset.UtcNow >= waitUntilUtc)
                {
                    if (!answered) await MarkUnansweredAsync(site, answering!, cancellationToken).ConfigureAwait(false);
                    break;
                }
                progress?.Report(new SyncProgress("Receive", answering is null
                    ? $"Waiting for the Siège's package until {waitUntilUtc:HH:mm} UTC"
                    : $"Waiting for the Siège's answer to {answering.PackageName} until {waitUntilUtc:HH:mm} UTC", 0));
                await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            record.Save();
        }
        return outcome.Result(answered);
    }

    /// <summary>Failures that a later attempt may not meet: the server down or restarting, a cut, a timeout.</summary>
    private static bool IsPassing(DropTransportException ex) =>
        ex.Kind is DropTransportErrorKind.Unreachable or DropTransportErrorKind.Timeout or DropTransportErrorKind.Protocol or DropTransportErrorKind.IntegrityMismatch;

    /// <summary>Applies one package; a package this site can never use is set aside (recorded, tidied from the drop)
    /// and null returned. Returns what the Siège had consolidated from this site when it made the package.</summary>
    private async Task<Watermark?> TryApplyAsync(SiteCode site, DropEntry entry, DownRecord record, ReceiveOutcome outcome, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var remote = DropLayout.Down(site).Append(entry.Name);
        var local = Path.Combine(Incoming, entry.Name);
        try
        {
            return await ApplyAsync(site, entry, remote, local, record, outcome, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PackageRejectedException or InvalidDataException or EndOfStreamException)
        {
            SetAside(local, entry, ex);
            record.Add(entry, "refused");
            outcome.Refused.Add($"{entry.Name} ({entry.Length} bytes) in down/ cannot be used and was set aside: {ex.Message} The Siège replaces it at its next publish.");
            await ForgetAppliedAsync(remote, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Keeps a refused package as evidence when it is small; a large one leaves only its reason (a junk file of a
    /// gigabyte is not copied into the quarantine, and never downloaded again: <see cref="DownRecord"/>).</summary>
    private void SetAside(string local, DropEntry entry, Exception reason)
    {
        if (!File.Exists(local)) return;
        if (entry.Length <= MaxQuarantinedBytes)
        {
            PackageQuarantine.Move(local, Quarantine, reason);
            return;
        }
        File.Delete(local);
        Directory.CreateDirectory(Quarantine);
        File.WriteAllText(Path.Combine(Quarantine, $"{entry.Name}.{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}.reason.txt"),
            $"Package: {entry.Name}\nSize: {entry.Length} bytes (not kept)\nReason: {reason.Message}\n");
    }

    private const long MaxQuarantinedBytes = 16L * 1024 * 1024;

    private async Task<Watermark?> ApplyAsync(SiteCode site, DropEntry entry, DropPath remote, string local, DownRecord record, ReceiveOutcome outcome,
        IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        await _drop.DownloadAsync(remote, local, null, cancellationToken).ConfigureAwait(false);
        if (PackageNames.TryParse(entry.Name, out var parsed) && parsed.Kind == PackageName.FullKind)
        {
            if (_identity is null) throw new InvalidOperationException($"{entry.Name} is a full package: restoring it needs this site's identity from its configuration.");
            var restored = await FullPackage.RestoreAsync(local, _key, _database, _identity, await ReadDropAckAsync(site, null, cancellationToken).ConfigureAwait(false),
                progress, cancellationToken).ConfigureAwait(false);
            File.Delete(local);
            record.Add(entry, "restored");   // never restored twice, even when the account may not delete it from down/
            await ForgetAppliedAsync(remote, cancellationToken).ConfigureAwait(false);
            outcome.AddRestore(entry, restored);
            return restored.Acknowledged;
        }
        progress?.Report(new SyncProgress("Receive", $"Applying {entry.Name}", 50));
        using (var reader = PackageReader.Open(local, _key))
        {
            var manifest = reader.Manifest;
            if (manifest.Target != site.Value)
            {
                throw new InvalidDataException($"Package {entry.Name} in {site}'s folder is for site {manifest.Target}: nothing was applied. Check the Siège's drop layout.");
            }
            var facts = new SiegePackageFacts(site, CycleId.Parse(manifest.CycleId),
                manifest.Covered(), manifest.Acknowledging());
            using var connection = FbConnection.Open(_database);
            SiteApplyResult result;
            using (BusinessTriggerSwitch.Off(connection, _triggersOff))
            {
                result = new SiteApplier(connection).Apply(facts, reader.OpenPayload, cancellationToken);
                FaultPoints.Hit("apply.after-commit");
            }
            outcome.AddApply(entry, result);
            progress?.Report(new SyncProgress("Receive", $"{result.RowsApplied} row(s) applied, {result.RowsSkipped} kept for tomorrow", 100));
            File.Delete(local);
            await ForgetAppliedAsync(remote, cancellationToken).ConfigureAwait(false);
            return facts.ConsolidatedFromTarget;
        }
    }

    /// <summary>The site's night ends without the Siège's answer to <paramref name="sent"/>: says so beside the package
    /// (when it is still waiting in up/), so that the Siège, missing tonight, does not count it as a later night's delivery.</summary>
    private async Task MarkUnansweredAsync(SiteCode site, SendResult sent, CancellationToken cancellationToken)
    {
        try
        {
            var up = await _drop.ListAsync(DropLayout.Up(site), cancellationToken).ConfigureAwait(false);
            if (up.Any(e => e.Name == sent.PackageName))
            {
                await _drop.WriteSmallFileAsync(DropLayout.Unanswered(site, sent.PackageName), Array.Empty<byte>(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DropTransportException)
        {
            // Only a hint for the Siège: without it, that package counts as a delivery and the next night catches up.
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
