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

/// <summary>What the Siège's consolidation did.</summary>
public sealed record ConsolidationRun(IReadOnlyList<string> SitesDelivered, IReadOnlyList<SiteDelivery> Deliveries, bool ReceptionTimedOut)
{
    public long RowsApplied => Deliveries.Sum(d => d.RowsApplied);
    public int Conflicts => Deliveries.Sum(d => d.Conflicts.Count);
    public int Errors => Deliveries.Count(d => d.Error is not null);
}

/// <summary>One package published for a site.</summary>
public sealed record Publication(string Site, string PackageName, long Rows, long Bytes);

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

    /// <summary>The site folders present in the drop: each gets its copy of siege.json, as every registered site does.
    /// Only folders that exist: a folder the Siège made would belong to its account, and a site whose account sees the
    /// whole drop could then not make its up/ folder in it.</summary>
    public IReadOnlyCollection<SiteCode> SiteFolders { get; init; } = Array.Empty<SiteCode>();

    /// <summary>Waits until <paramref name="expectedSites"/> sites have delivered or <paramref name="receptionDeadlineUtc"/> passes, then consolidates what arrived.</summary>
    public async Task<ConsolidationRun> ConsolidateAsync(IReadOnlyCollection<SiteCode> knownSites, int expectedSites, DateTimeOffset receptionDeadlineUtc,
        TimeSpan pollInterval, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var timedOut = false;
        Dictionary<SiteCode, List<DropEntry>> waiting;
        while (true)
        {
            waiting = await ListDeliveriesAsync(knownSites, cancellationToken).ConfigureAwait(false);
            progress?.Report(new SyncProgress("Reception", $"{waiting.Count} of {expectedSites} site(s) delivered: {string.Join(", ", waiting.Keys)}",
                expectedSites == 0 ? 100 : Math.Min(100, 100 * waiting.Count / expectedSites)));
            if (waiting.Count >= expectedSites) break;
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
        var deliveries = new List<SiteDelivery>();
        try
        {
            foreach (var delivery in waiting)
            {
                var site = delivery.Key;
                var entries = delivery.Value;
                foreach (var entry in entries)
                {
                    var remote = DropLayout.Up(site).Append(entry.Name);
                    var local = Path.Combine(incoming, entry.Name);
                    await _drop.DownloadAsync(remote, local, null, cancellationToken).ConfigureAwait(false);
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
            var consolidator = new Consolidator(connection, _siegeWinsTables);
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
        return new ConsolidationRun(waiting.Keys.Select(s => s.Value).ToList(), deliveries, timedOut);
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
            var name = PackageNames.ForSiegeDelta(site, cycle);
            var local = Path.Combine(outgoing, name);
            ExtractResult published;
            using (var writer = PackageWriter.Create(local, _key))
            {
                published = publisher.Publish(site, writer.Payload, cancellationToken);
                writer.Complete(DeltaManifest.From(published, cycle, site));
            }
            var down = DropLayout.Down(site);
            await _drop.CreateFolderAsync(down, cancellationToken).ConfigureAwait(false);
            var bytes = new FileInfo(local).Length;
            await _drop.UploadAsync(local, down.Append(name), null, cancellationToken).ConfigureAwait(false);
            FaultPoints.Hit("publish.during");
            File.Delete(local);
            foreach (var older in await _drop.ListAsync(down, cancellationToken).ConfigureAwait(false))
            {
                if (older.Name != name) await _drop.DeleteAsync(down.Append(older.Name), cancellationToken).ConfigureAwait(false);
            }
            publications.Add(new Publication(site.Value, name, published.Rows, bytes));
        }
        await WriteSiegeDocumentAsync(connection, cycle, cancellationToken).ConfigureAwait(false);
        progress?.Report(new SyncProgress("Publish", $"{publications.Count} package(s) published", 100));
        return publications;
    }

    private async Task<Dictionary<SiteCode, List<DropEntry>>> ListDeliveriesAsync(IReadOnlyCollection<SiteCode> knownSites, CancellationToken cancellationToken)
    {
        var result = new Dictionary<SiteCode, List<DropEntry>>();
        foreach (var site in knownSites)
        {
            var packages = (await _drop.ListAsync(DropLayout.Up(site), cancellationToken).ConfigureAwait(false))
                .Where(e => e.Name.EndsWith(".hzp", StringComparison.Ordinal))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
            if (packages.Count > 0) result[site] = packages;
        }
        return result;
    }

    private async Task QuarantineAsync(SiteCode site, DropEntry entry, string local, Exception reason, CancellationToken cancellationToken)
    {
        var folder = DropLayout.Quarantine(site);
        await _drop.CreateFolderAsync(folder, cancellationToken).ConfigureAwait(false);
        await _drop.MoveAsync(DropLayout.Up(site).Append(entry.Name), folder.Append(entry.Name), cancellationToken).ConfigureAwait(false);
        await _drop.WriteSmallFileAsync(folder.Append(entry.Name + ".reason.txt"), System.Text.Encoding.UTF8.GetBytes(reason.Message), cancellationToken).ConfigureAwait(false);
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
        await _drop.WriteSmallFileAsync(DropLayout.Ack(site), DropJson.Serialize(ack), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes siege.json (at the drop's root and in each site's folder) without a night: the Siège's
    /// <c>init</c> does, so that a site can check its view of the drop before the first night.</summary>
    public async Task PublishSiegeDocumentAsync(CancellationToken cancellationToken)
    {
        using var connection = FbConnection.Open(_master);
        await WriteSiegeDocumentAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>siege.json at the drop's root, and a copy in the folder of every registered site and of every site folder
    /// present (<see cref="SiteFolders"/>): a site whose
    /// account sees only its own folder reads it there (and checks by its <see cref="SiegeDocument.ForSite"/> that the
    /// folder is its own).</summary>
    private async Task WriteSiegeDocumentAsync(FbConnection connection, CycleId? cycle, CancellationToken cancellationToken)
    {
        NodeIdentity identity;
        SyncSchema schema;
        using (var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true }))
        {
            identity = NodeIdentity.Read(connection, tx);
            schema = CaptureInstaller.ReadInstalledSchema(connection, tx);
        }
        var document = new SiegeDocument
        {
            ModuleVersion = ModuleInfo.Version,
            SchemaFingerprint = schema.Fingerprint,
            Siege = identity.Site.Value,
            SiegeNumber = identity.SiteNumber,
            SiegeKeyLow = identity.KeyLow,
            SiegeKeyHigh = identity.KeyHigh,
            CurrentCycle = cycle?.Value,
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
        };
        var folders = document.Sites.Select(s => SiteCode.Parse(s.Code)).Union(SiteFolders).Where(s => s.Value != identity.Site.Value);
        foreach (var site in folders.OrderBy(s => s.Value, StringComparer.Ordinal))
        {
            await _drop.WriteSmallFileAsync(DropLayout.SiegeFileFor(site), DropJson.Serialize(document with { ForSite = site.Value }), cancellationToken).ConfigureAwait(false);
        }
        await _drop.WriteSmallFileAsync(DropLayout.SiegeFile, DropJson.Serialize(document), cancellationToken).ConfigureAwait(false);
    }
}
