using HeitzSync.Core.Configuration;
using HeitzSync.Core.Model;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Night;

/// <summary>
/// How a site joins (DESIGN.md §6): its init writes <c>&lt;SITE&gt;/up/site.json</c> into the drop; the Siège registers it
/// from there before each reception, and from then on waits and publishes for it. Leaving is an explicit command at
/// the Siège (Unregister-HzSite, <c>hzsync unregister</c>).
/// </summary>
public static class SiteRegistrations
{
    /// <summary>Writes this site's registration into the drop (replacing an older one of the same site).</summary>
    public static Task WriteAsync(IDropTransport drop, HzSyncConfig config, CancellationToken cancellationToken)
    {
        var site = SiteCode.Parse(config.Site.Code);
        var range = config.KeyRange;
        var document = new SiteRegistrationDocument
        {
            Site = site.Value,
            Number = config.Site.Number,
            KeyLow = range.Low,
            KeyHigh = range.High,
            ModuleVersion = ModuleInfo.Version,
            RegisteredUtc = DateTimeOffset.UtcNow,
        };
        return drop.WriteSmallFileAsync(DropLayout.Registration(site), DropJson.Serialize(document), cancellationToken);
    }

    /// <summary>True when the drop holds a registration of this site (what a send checks before it uploads).</summary>
    public static async Task<bool> ExistsAsync(IDropTransport drop, SiteCode site, CancellationToken cancellationToken) =>
        await drop.ReadSmallFileAsync(DropLayout.Registration(site), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Every registration in the drop, read at the Siège, which works on its drop locally: one entry per site folder
    /// holding a site.json, with null for one that cannot be read. Folders that are not site codes are ignored.
    /// </summary>
    public static async Task<IReadOnlyList<(SiteCode Site, SiteRegistrationDocument? Registration)>> ReadAsync(IDropTransport drop, string localDropRoot,
        CancellationToken cancellationToken)
    {
        var found = new List<(SiteCode, SiteRegistrationDocument?)>();
        if (!Directory.Exists(localDropRoot)) return found;
        foreach (var folder in Directory.GetDirectories(localDropRoot).OrderBy(f => f, StringComparer.Ordinal))
        {
            if (!SiteCode.TryParse(Path.GetFileName(folder), out var site)) continue;
            if (LocalEntry.KindOf(folder) != EntryKind.Folder) continue;   // a link is no site's folder (reported with the night)
            byte[]? bytes;
            try
            {
                bytes = await drop.ReadSmallFileAsync(DropLayout.Registration(site), cancellationToken).ConfigureAwait(false);
            }
            catch (DropTransportException)
            {
                found.Add((site, null));
                continue;
            }
            if (bytes is null) continue;
            SiteRegistrationDocument? document;
            try
            {
                document = DropJson.Deserialize<SiteRegistrationDocument>(bytes, "site.json");
            }
            catch (InvalidDataException)
            {
                document = null;
            }
            found.Add((site, document is not null && document.Site == site.Value ? document : null));
        }
        return found;
    }
}

/// <summary>init refused: the site's number or key range is another site's at the Siège, or a registered site's number changed.</summary>
public sealed class SiteRegistrationException : Exception
{
    public SiteRegistrationException(string message) : base(message) { }
}

/// <summary>A run refused up front: its configuration does not describe the database it opens, or the operation belongs to the other role.</summary>
public sealed class IdentityMismatchException : Exception
{
    public IdentityMismatchException(string message) : base(message) { }
}
