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

    /// <summary>Beside a package in up/: the site's night ended without the Siège's answer to it (the Siège missed that
    /// night). The Siège still consolidates the package, but does not count it as tonight's delivery.</summary>
    public static DropPath Unanswered(SiteCode site, string packageName) => Up(site).Append(packageName + UnansweredSuffix);

    public const string UnansweredSuffix = ".unanswered";

    /// <summary>The site's registration, written by its init: how the Siège learns whom to wait for (DESIGN.md §6). In up/:
    /// with down/, the only folder a site's account may write in when it sees nothing but its own folder (drop.scope Site,
    /// docs/ftp-siege.md: the folder itself is the Siège's).</summary>
    public static DropPath Registration(SiteCode site) => Up(site).Append("site.json");
}
