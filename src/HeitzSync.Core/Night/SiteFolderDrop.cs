using HeitzSync.Core.Model;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Night;

/// <summary>
/// The drop as a site whose account sees only its own folder (<c>drop.scope</c> Site: an FTP account chrooted to
/// <c>&lt;drop&gt;/&lt;SITE&gt;</c>) reaches it: every path of the site's folder (<c>&lt;SITE&gt;/up/…</c>, <c>&lt;SITE&gt;/ack.json</c>)
/// is taken below the account's root, and siege.json is the Siège's copy in that folder. Any other path is outside
/// what the account may see, and refused. The site's code therefore reads the same in both layouts.
/// </summary>
public sealed class SiteFolderDrop : IDropTransport
{
    private readonly SiteCode _site;

    public SiteFolderDrop(IDropTransport folder, SiteCode site)
    {
        Inner = folder ?? throw new ArgumentNullException(nameof(folder));
        _site = site;
    }

    /// <summary>The account's own view, unmapped (its root is the site's folder when the layout is right).</summary>
    public IDropTransport Inner { get; }

    public string Description => $"{Inner.Description} ({_site}'s folder)";

    public IReadOnlyList<string> Refused => Inner.Refused;

    /// <summary>The path below the account's root for a path of the whole drop.</summary>
    public DropPath Map(DropPath path)
    {
        if (path.IsRoot) return path;
        if (path.Segments[0] == _site.Value) return DropPath.Of(path.Segments.Skip(1).ToArray());
        if (path.Equals(DropLayout.SiegeFile)) return path;
        throw new DropTransportException(DropTransportErrorKind.PermissionDenied,
            $"{path} is outside {_site}'s folder, the only part of the drop this site sees (drop.scope is Site).");
    }

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken) => Inner.ListAsync(Map(folder), cancellationToken);

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken) => Inner.CreateFolderAsync(Map(folder), cancellationToken);

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Inner.UploadAsync(localPath, Map(remote), progress, cancellationToken);

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Inner.UploadAsync(localPath, Map(remote), expectedSha256, progress, cancellationToken);

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Inner.DownloadAsync(Map(remote), localPath, progress, cancellationToken);

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Inner.DownloadAsync(Map(remote), localPath, expectedSha256, progress, cancellationToken);

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken) => Inner.ReadSmallFileAsync(Map(remote), cancellationToken);

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken) => Inner.WriteSmallFileAsync(Map(remote), content, cancellationToken);

    public Task DeleteAsync(DropPath remote, CancellationToken cancellationToken) => Inner.DeleteAsync(Map(remote), cancellationToken);

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken) => Inner.GetLastModifiedAsync(Map(remote), cancellationToken);

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken) => Inner.MoveAsync(Map(from), Map(to), cancellationToken);

    public void Dispose() => Inner.Dispose();
}
