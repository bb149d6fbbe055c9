using HeitzSync.Core.Capture;
using HeitzSync.Core.Model;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Sync;
using HeitzSync.Core.Transport;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Night;

/// <summary>One site package as the Siège handled it.</summary>
public sealed record SiteDelivery(string Site, string PackageName, string State, long RowsApplied, long RowsSkipped, long Bytes,
    IReadOnlyDictionary<string, AppliedTableCounts> Tables, IReadOnlyList<Conflict> Conflicts, string? Error);

/// <summary>What the Siège's consolidation did. <see cref="SitesDelivered"/> are the sites that delivered tonight's
/// package, taken in (a site whose packages were all refused did not deliver); <see cref="LatePackages"/> counts packages
/// left from a night the Siège missed, consolidated all the same.</summary>
public sealed record ConsolidationRun(IReadOnlyList<string> SitesDelivered, IReadOnlyList<SiteDelivery> Deliveries, bool ReceptionTimedOut)
{
    public int LatePackages { get; init; }

    public long RowsApplied => Deliveries.Sum(d => d.RowsApplied);
    public int Conflicts => Deliveries.Sum(d => d.Conflicts.Count);
    public int Errors => Deliveries.Count(d => d.Error is not null);
}

/// <summary>One package published for a site. <see cref="FullWaiting"/> names a full package still waiting in the
/// site's down/ folder, kept beside this one (the site restores it first).</summary>
public sealed record Publication(string Site, string PackageName, long Rows, long Bytes)
{
    public string? FullWaiting { get; init; }
}

/// <summary>A site registration found in the drop that the Siège could not take (its number or key range is taken).</summary>
public sealed record RefusedRegistration(string Site, string Reason);

/// <summary>
/// The Siège's part of the night (DESIGN.md §1, §6), working on its drop folder locally: wait for the sites'
/// packages up to the reception time, consolidate them (one transaction each, in site order), write each site's
/// ack.json, publish one package per site and siege.json.
/// </summary>
public sealed class SiegeNight
{
    private readonly FbConnectionSettings _master;
    private readonly IDropTransport _drop;
    private readonly SyncKey _key;
    private readonly string _workFolder;
    private readonly IReadOnlyCollection<string> _siegeWinsTables;
    private readonly IReadOnlyCollection<string> _triggersOff;
    private readonly List<string> _ignored = new();

    public SiegeNight(FbConnectionSettings master, IDropTransport drop, SyncKey key, string workFolder, IReadOnlyCollection<string> siegeWinsTables,
        IReadOnlyCollection<string>? triggersOffDuringApply = null)
    {
        _triggersOff = triggersOffDuringApply ?? Array.Empty<string>();
        _master = master with { Charset = "NONE" };
        _drop = drop;
        _key = key;
        _workFolder = workFolder;
        _siegeWinsTables = siegeWinsTables;
    }

    /// <summary>What this night left alone in the sites' folders (not a package of that site, a link, a special file, a
    /// site folder that is a link), each once with where and why, for the report. One site's bad entry never stops the others.</summary>
    public IReadOnlyList<string> Ignored => _ignored.ToList();

    private void Note(string text)
    {
        if (!_ignored.Contains(text)) _ignored.Add(text);
    }

    /// <summary>The site folders present in the drop: each gets its copy of siege.json, as every registered site does.
    /// Only folders that exist: a folder the Siège made would belong to its account, and a site whose account sees the
    /// whole drop could then not make its up/ folder in it.</summary>
    public IReadOnlyCollection<SiteCode> SiteFolders { get; init; } = Array.Empty<SiteCode>();

    /// <summary>Waits until <paramref name="expectedSites"/> sites have delivered or <paramref name="receptionDeadlineUtc"/> passes, then consolidates what arrived.</summary>
    public async Task<ConsolidationRun> ConsolidateAsync(IReadOnlyCollection<SiteCode> knownSites, int expectedSites, DateTimeOffset receptionDeadlineUtc,
        TimeSpan pollInterval, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var timedOut = false;
        Dictionary<SiteCode, List<(DropEntry Entry, bool Unanswered)>> waiting;
        List<SiteCode> tonight;
        while (true)
        {
            waiting = await ListDeliveriesAsync(knownSites, cancellationToken).ConfigureAwait(false);
            // A package whose site already gave up waiting for its answer is from a night the Siège missed: it is
            // consolidated, but the Siège still waits for that site's package of tonight.
            tonight = waiting.Where(w => w.Value.Any(e => !e.Unanswered)).Select(w => w.Key).ToList();
            progress?.Report(new SyncProgress("Reception", $"{tonight.Count} of {expectedSites} site(s) delivered: {string.Join(", ", tonight)}",
                expectedSites == 0 ? 100 : Math.Min(100, 100 * tonight.Count / expectedSites)));
            if (tonight.Count >= expectedSites) break;
            if (DateTimeOffset.UtcNow >= receptionDeadlineUtc)
            {
                timedOut = true;
                break;
            }
            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }

        var incoming = Path.Combine(_workFolder, "incoming");
        Directory.CreateDirectory(incoming);
        var opened = new List<(SiteCode Site, DropEntry Entry, string Local, PackageReader Reader)>();
        var late = waiting.Sum(w => w.Value.Count(e => e.Unanswered));
        var deliveries = new List<SiteDelivery>();
        try
        {
            foreach (var delivery in waiting)
            {
                var site = delivery.Key;
                var entries = delivery.Value;
                foreach (var (entry, _) in entries)
                {
                    var remote = DropLayout.Up(site).Append(entry.Name);
                    var local = Path.Combine(incoming, entry.Name);
                    try
                    {
                        await _drop.DownloadAsync(remote, local, null, cancellationToken).ConfigureAwait(false);
                    }
                    catch (DropTransportException ex) when (ex.Kind == DropTransportErrorKind.Refused)
                    {
                        Note(ex.Message);   // replaced by a link or a special file since it was listed
                        continue;
                    }
                    try
                    {
                        var reader = PackageReader.Open(local, _key);
                        if (reader.Manifest.Origin != site.Value)
                        {
                            reader.Dispose();
                            throw new InvalidDataException($"Package {entry.Name} in {site}'s folder was made by site {reader.Manifest.Origin}.");
                        }
                        opened.Add((site, entry, local, reader));
                    }
                    catch (Exception ex) when (ex is PackageRejectedException or InvalidDataException)
                    {
                        await QuarantineAsync(site, entry, local, ex, cancellationToken).ConfigureAwait(false);
                        deliveries.Add(new SiteDelivery(site.Value, entry.Name, "Rejected", 0, 0, entry.Length, new Dictionary<string, AppliedTableCounts>(), Array.Empty<Conflict>(), ex.Message));
                    }
                }
            }

            using var connection = FbConnection.Open(_master);
            using var triggers = BusinessTriggerSwitch.Off(connection, _triggersOff);
            using var consolidator = new Consolidator(connection, _siegeWinsTables);
            // A site's packages go in the order of the ranges they cover (not of their cycle ids, which come from its clock).
            var ordered = opened.OrderBy(o => o.Reader.Manifest.SiteNumber).ThenBy(o => o.Reader.Manifest.ToSequence)
                .ThenBy(o => o.Reader.Manifest.ResendFromTx).ThenBy(o => o.Reader.Manifest.CycleId, StringComparer.Ordinal).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                var (site, entry, local, reader) = ordered[i];
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new SyncProgress("Consolidation", $"{site}: {entry.Name}", 100 * i / Math.Max(1, ordered.Count)));
                var manifest = reader.Manifest;
                try
                {
                    var facts = new SitePackageFacts(site, manifest.SiteNumber, manifest.KeyLow, manifest.KeyHigh, CycleId.Parse(manifest.CycleId),
                        manifest.Covered(), manifest.Acknowledging());
                    var result = consolidator.Consolidate(facts, reader.OpenPayload, cancellationToken);
                    FaultPoints.Hit("consolidate.after-commit");
                    await WriteAckAsync(connection, site, cancellationToken).ConfigureAwait(false);
                    reader.Dispose();
                    File.Delete(local);
                    await _drop.DeleteAsync(DropLayout.Up(site).Append(entry.Name), cancellationToken).ConfigureAwait(false);
                    await _drop.DeleteAsync(DropLayout.Unanswered(site, entry.Name), cancellationToken).ConfigureAwait(false);
                    deliveries.Add(new SiteDelivery(site.Value, entry.Name, result.AlreadyConsolidated ? "AlreadyConsolidated" : "Consolidated",
                        result.RowsApplied, result.RowsSkipped, entry.Length, result.Tables, result.Conflicts, null));
                }
                catch (Exception ex) when (ex is SchemaMismatchException or KeyRangeOverlapException or CaptureSetupException or InvalidDataException or EndOfStreamException or PackageRejectedException)
                {
                    // Nothing of this package was kept (its transaction rolled back); the others still go in.
                    reader.Dispose();
                    await QuarantineAsync(site, entry, local, ex, cancellationToken).ConfigureAwait(false);
                    deliveries.Add(new SiteDelivery(site.Value, entry.Name, "Refused", 0, 0, entry.Length, new Dictionary<string, AppliedTableCounts>(), Array.Empty<Conflict>(), ex.Message));
                }
            }
        }
        finally
        {
            foreach (var (_, _, _, reader) in opened) reader.Dispose();
        }
        // A site delivered when a package of it went in: one whose packages were all refused did not.
        var delivered = tonight.Where(s => deliveries.Any(d => d.Site == s.Value && d.Error is null)).Select(s => s.Value).ToList();
        return new ConsolidationRun(delivered, deliveries, timedOut) { LatePackages = late };
    }

    /// <summary>Publishes one package per registered site into its down/ folder (replacing older ones) and rewrites siege.json.</summary>
    public async Task<IReadOnlyList<Publication>> PublishAsync(CycleId cycle, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var outgoing = Path.Combine(_workFolder, "outgoing");
        Directory.CreateDirectory(outgoing);
        var publications = new List<Publication>();
        using var connection = FbConnection.Open(_master);
        var publisher = new SitePublisher(connection);
        var sites = publisher.RegisteredSites();
        for (var i = 0; i < sites.Count; i++)
        {
            var site = SiteCode.Parse(sites[i].Site);
            progress?.Report(new SyncProgress("Publish", $"Package for {site}", 100 * i / Math.Max(1, sites.Count)));
            var down = DropLayout.Down(site);
            string? local = null;
            try
            {
                var name = await UnusedNameAsync(down, site, cycle, cancellationToken).ConfigureAwait(false);
                local = Path.Combine(outgoing, name);
                ExtractResult published;
                using (var writer = PackageWriter.Create(local, _key))
                {
                    published = publisher.Publish(site, writer.Payload, cancellationToken);
                    writer.Complete(DeltaManifest.From(published, cycle, site));
                }
                await _drop.CreateFolderAsync(down, cancellationToken).ConfigureAwait(false);
                var bytes = new FileInfo(local).Length;
                await _drop.UploadAsync(local, down.Append(name), null, cancellationToken).ConfigureAwait(false);
                FaultPoints.Hit("publish.during");
                // The new package holds everything the older ones did (it starts where the site last acknowledged), so they
                // go, damaged ones included. A full package waiting for its restore stays: the site restores it first.
                string? fullWaiting = null;
                foreach (var older in await _drop.ListAsync(down, cancellationToken).ConfigureAwait(false))
                {
                    if (older.Name == name) continue;
                    if (PackageNames.TryParse(older.Name, out var parsed) && parsed.Kind == PackageName.FullKind && parsed.Site == site)
                    {
                        fullWaiting = older.Name;
                        continue;
                    }
                    await _drop.DeleteAsync(down.Append(older.Name), cancellationToken).ConfigureAwait(false);
                }
                publications.Add(new Publication(site.Value, name, published.Rows, bytes) { FullWaiting = fullWaiting });
            }
            catch (DropTransportException ex) when (ex.Kind == DropTransportErrorKind.Refused)
            {
                // That site's folder is not safe to write (its down/ is a link): it gets its package once it is fixed.
                Note($"no package was published for {site}: {ex.Message}");
            }
            finally
            {
                if (local is not null && File.Exists(local)) File.Delete(local);
            }
        }
        await WriteSiegeDocumentAsync(connection, cycle, cancellationToken).ConfigureAwait(false);
        // Version rows every site has applied are no longer needed (docs/sync-engine.md, "What each node keeps").
        VersionRows.FoldAtSiege(connection, cancellationToken);
        progress?.Report(new SyncProgress("Publish", $"{publications.Count} package(s) published", 100));
        return publications;
    }

    /// <summary>
    /// The package name for <paramref name="site"/> in this cycle, a second later when a run of the same second already
    /// published under it (reruns in quick succession): a site tells packages apart by name, and the newest name must be
    /// the newest package. The cycle id only names the package; every decision is made on the ranges it carries.
    /// </summary>
    private async Task<string> UnusedNameAsync(DropPath down, SiteCode site, CycleId cycle, CancellationToken cancellationToken)
    {
        var existing = new HashSet<string>((await _drop.ListAsync(down, cancellationToken).ConfigureAwait(false)).Select(e => e.Name), StringComparer.Ordinal);
        var name = PackageNames.ForSiegeDelta(site, cycle);
        if (!existing.Contains(name)) return name;
        var time = DateTimeOffset.ParseExact(cycle.Value.Substring(0, 16), "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal);
        for (var seconds = 1; ; seconds++)
        {
            name = PackageNames.ForSiegeDelta(site, CycleId.FromTime(time.AddSeconds(seconds)));
            if (!existing.Contains(name)) return name;
        }
    }

    /// <summary>Each site's packages waiting in its up/ folder (and whether their site gave up waiting for the answer).
    /// What is not a delta package of that site is left alone and noted once in <see cref="Ignored"/>, as is a site whose
    /// folder cannot be used safely (a link): the other sites go on.</summary>
    private async Task<Dictionary<SiteCode, List<(DropEntry Entry, bool Unanswered)>>> ListDeliveriesAsync(IReadOnlyCollection<SiteCode> knownSites, CancellationToken cancellationToken)
    {
        var result = new Dictionary<SiteCode, List<(DropEntry, bool)>>();
        foreach (var site in knownSites)
        {
            IReadOnlyList<DropEntry> files;
            try
            {
                files = await _drop.ListAsync(DropLayout.Up(site), cancellationToken).ConfigureAwait(false);
            }
            catch (DropTransportException ex) when (ex.Kind == DropTransportErrorKind.Refused)
            {
                Note(ex.Message);
                continue;
            }
            var unanswered = new HashSet<string>(files.Select(e => e.Name).Where(n => n.EndsWith(DropLayout.UnansweredSuffix, StringComparison.Ordinal))
                .Select(n => n.Substring(0, n.Length - DropLayout.UnansweredSuffix.Length)), StringComparer.Ordinal);
            var registration = DropLayout.Registration(site).Name;
            foreach (var stray in files.Where(e => !e.Name.EndsWith(DropLayout.UnansweredSuffix, StringComparison.Ordinal) && e.Name != registration && !IsDeltaOf(site, e.Name)))
            {
                Note($"{DropLayout.Up(site).Append(stray.Name)} is not a delta package of {site} (a name like {site}_<cycle>_d_<from>-<to>{PackageNames.Extension}): it was left alone; remove it.");
            }
            var packages = files
                .Where(e => IsDeltaOf(site, e.Name))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .Select(e => (e, unanswered.Contains(e.Name)))
                .ToList();
            if (packages.Count > 0) result[site] = packages;
        }
        return result;
    }

    private static bool IsDeltaOf(SiteCode site, string name) =>
        PackageNames.TryParse(name, out var parsed) && parsed!.Kind == PackageName.DeltaKind && parsed.Site == site;

    /// <summary>
    /// Registers every site whose registration (<c>&lt;SITE&gt;/up/site.json</c>, written by its init) is in the drop and not in
    /// the registry yet, each in its own transaction (DESIGN.md §6: the Siège knows whom to wait for from the sites'
    /// registrations). A registration whose number or key range is taken is refused and returned, never registered.
    /// <paramref name="localDropRoot"/> is the drop folder as the Siège sees it (it works on its drop locally).
    /// </summary>
    public async Task<IReadOnlyList<RefusedRegistration>> RegisterSitesAsync(string localDropRoot, CancellationToken cancellationToken)
    {
        var refused = new List<RefusedRegistration>();
        var found = await SiteRegistrations.ReadAsync(_drop, localDropRoot, cancellationToken).ConfigureAwait(false);
        if (found.Count == 0) return refused;
        using var connection = FbConnection.Open(_master);
        foreach (var (site, registration) in found)
        {
            if (registration is null)
            {
                refused.Add(new RefusedRegistration(site.Value, $"{DropLayout.Registration(site)} is not a registration HeitzSync can read: run init at {site} again."));
                continue;
            }
            using var tx = connection.BeginTransaction();
            var identity = NodeIdentity.Read(connection, tx);
            if (site == identity.Site) continue;
            var registry = SiteRegistry.Read(connection, tx, identity);
            if (registry.Sites.Any(s => s.Site == site.Value && s.Number == registration.Number && s.KeyLow == registration.KeyLow && s.KeyHigh == registration.KeyHigh)) continue;
            try
            {
                registry.Register(connection, tx, site, registration.Number, registration.KeyLow, registration.KeyHigh);
                tx.Commit();
            }
            catch (KeyRangeOverlapException ex)
            {
                refused.Add(new RefusedRegistration(site.Value, ex.Message));
            }
        }
        return refused;
    }

    private async Task<SiegeDocument?> ReadSiegeDocumentAsync(CancellationToken cancellationToken)
    {
        try
        {
            return DropJson.Deserialize<SiegeDocument>(await _drop.ReadSmallFileAsync(DropLayout.SiegeFile, cancellationToken).ConfigureAwait(false), "siege.json");
        }
        catch (InvalidDataException)
        {
            return null;   // rewritten whole below
        }
    }

    private async Task QuarantineAsync(SiteCode site, DropEntry entry, string local, Exception reason, CancellationToken cancellationToken)
    {
        var folder = DropLayout.Quarantine(site);
        await _drop.CreateFolderAsync(folder, cancellationToken).ConfigureAwait(false);
        await _drop.MoveAsync(DropLayout.Up(site).Append(entry.Name), folder.Append(entry.Name), cancellationToken).ConfigureAwait(false);
        await _drop.WriteSmallFileAsync(folder.Append(entry.Name + ".reason.txt"), System.Text.Encoding.UTF8.GetBytes(reason.Message), cancellationToken).ConfigureAwait(false);
        await _drop.DeleteAsync(DropLayout.Unanswered(site, entry.Name), cancellationToken).ConfigureAwait(false);
        if (File.Exists(local)) File.Delete(local);
    }

    private async Task WriteAckAsync(FbConnection connection, SiteCode site, CancellationToken cancellationToken)
    {
        var registered = new SitePublisher(connection).RegisteredSites().First(s => s.Site == site.Value);
        var ack = new AckDocument
        {
            Site = site.Value,
            Sequence = registered.Consolidated.Sequence,
            ResendFromTx = registered.Consolidated.ResendFromTx,
            OpenTransactions = registered.Consolidated.Open.ToString(),
            CycleId = registered.ConsolidatedCycle,
            UpdatedUtc = DateTimeOffset.UtcNow,
        };
        await _drop.WriteSmallFileAsync(DropLayout.Ack(site), DropJson.Serialize(DropProof.Sign(ack, _key)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rewrites siege.json from the master, at the drop's root and in the site folders (init does it too, so that
    /// sites set up before the Siège's first night see its number and the registered sites', and can check their view
    /// of the drop).</summary>
    public async Task WriteSiegeDocumentAsync(CycleId? cycle, CancellationToken cancellationToken)
    {
        using var connection = FbConnection.Open(_master);
        await WriteSiegeDocumentAsync(connection, cycle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>siege.json at the drop's root, and a copy in the folder of every registered site and of every site folder
    /// present (<see cref="SiteFolders"/>): a site whose account sees only its own folder reads it there (and checks by
    /// its <see cref="SiegeDocument.ForSite"/> that the folder is its own).</summary>
    private async Task WriteSiegeDocumentAsync(FbConnection connection, CycleId? cycle, CancellationToken cancellationToken)
    {
        IReadOnlyList<RetiredSite> retired;
        NodeIdentity identity;
        SyncSchema schema;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            identity = NodeIdentity.Read(connection, tx);
            schema = CaptureInstaller.ReadInstalledSchema(connection, tx);
            retired = SiteRegistry.Read(connection, tx, identity).Retired;
        }
        var previous = cycle is null ? await ReadSiegeDocumentAsync(cancellationToken).ConfigureAwait(false) : null;
        var document = new SiegeDocument
        {
            ModuleVersion = ModuleInfo.Version,
            SchemaFingerprint = schema.Fingerprint,
            Siege = identity.Site.Value,
            SiegeNumber = identity.SiteNumber,
            SiegeKeyLow = identity.KeyLow,
            SiegeKeyHigh = identity.KeyHigh,
            CurrentCycle = cycle?.Value ?? previous?.CurrentCycle,
            UpdatedUtc = DateTimeOffset.UtcNow,
            Sites = new SitePublisher(connection).RegisteredSites().Select(s => new SiegeDocumentSite
            {
                Code = s.Site,
                Number = s.Number,
                KeyLow = s.KeyLow,
                KeyHigh = s.KeyHigh,
                LastContactUtc = s.LastContactUtc is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null,
                LastConsolidatedCycle = s.ConsolidatedCycle,
            }).ToList(),
            Retired = retired.Select(r => new SiegeDocumentSite { Code = r.Site, Number = r.Number, KeyLow = r.KeyLow, KeyHigh = r.KeyHigh }).ToList(),
        };
        var folders = document.Sites.Select(s => SiteCode.Parse(s.Code)).Union(SiteFolders)
            .Where(s => s.Value != identity.Site.Value && document.Retired.All(r => r.Code != s.Value));
        foreach (var site in folders.OrderBy(s => s.Value, StringComparer.Ordinal))
        {
            try
            {
                await _drop.WriteSmallFileAsync(DropLayout.SiegeFileFor(site), DropJson.Serialize(DropProof.Sign(document with { ForSite = site.Value }, _key)), cancellationToken).ConfigureAwait(false);
            }
            catch (DropTransportException ex) when (ex.Kind == DropTransportErrorKind.Refused)
            {
                Note($"no copy of siege.json was written for {site}: {ex.Message}");
            }
        }
        await _drop.WriteSmallFileAsync(DropLayout.SiegeFile, DropJson.Serialize(DropProof.Sign(document, _key)), cancellationToken).ConfigureAwait(false);
    }
}
