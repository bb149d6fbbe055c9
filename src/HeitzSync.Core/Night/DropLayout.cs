using HeitzSync.Core.Model;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Night;

/// <summary>Where things live in the Siège drop (DESIGN.md §5). Every path is built from validated codes only.</summary>
public static class DropLayout
{
    public static DropPath SiegeFile { get; } = DropPath.Of("siege.json");

    /// <summary>The Siège's copy of siege.json in a site's folder, for an account that sees that folder alone.</summary>
    public static DropPath SiegeFileFor(SiteCode site) => DropPath.Of(site.Value, SiegeFile.Name);

    public static DropPath SiteFolder(SiteCode site) => DropPath.Of(site.Value);
    public static DropPath Up(SiteCode site) => DropPath.Of(site.Value, "up");
    public static DropPath Down(SiteCode site) => DropPath.Of(site.Value, "down");
    public static DropPath Quarantine(SiteCode site) => DropPath.Of(site.Value, "quarantine");
    public static DropPath Ack(SiteCode site) => DropPath.Of(site.Value, "ack.json");
}
