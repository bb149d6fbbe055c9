using System.Text.RegularExpressions;
using HeitzSync.Core.Model;

namespace HeitzSync.Core.Packaging;

/// <summary>A package file name taken apart (only names this class builds are recognised).</summary>
public sealed record PackageName(SiteCode Site, CycleId Cycle, string Kind);

/// <summary>
/// Package file names, built only from validated <see cref="SiteCode"/> and <see cref="CycleId"/> values
/// (DESIGN.md §4): <c>PARIS01_20261122T020000Z_d_101-250.hzp</c> (site delta), <c>PARIS01_20261122T020000Z_s.hzp</c>
/// (the Siège's package for a site), <c>SIEGE_20261122T020000Z_full.hzp</c> (full).
/// </summary>
public static class PackageNames
{
    private static readonly Regex Pattern = new(
        @"^(?<site>[A-Z][A-Z0-9_]{1,15})_(?<cycle>\d{8}T\d{6}Z(-\d{1,4})?)_(?<kind>d_\d{1,19}-\d{1,19}|s|full)\.hzp$",
        RegexOptions.CultureInvariant);

    public static string ForSiteDelta(SiteCode site, CycleId cycle, long fromSequence, long toSequence) =>
        $"{site}_{cycle}_d_{fromSequence}-{toSequence}.hzp";

    public static string ForSiegeDelta(SiteCode target, CycleId cycle) => $"{target}_{cycle}_s.hzp";

    public static string ForFull(SiteCode origin, CycleId cycle) => $"{origin}_{cycle}_full.hzp";

    public static bool TryParse(string? fileName, out PackageName? parsed)
    {
        parsed = null;
        if (fileName is null) return false;
        var match = Pattern.Match(fileName);
        if (!match.Success || !SiteCode.TryParse(match.Groups["site"].Value, out var site) || !CycleId.TryParse(match.Groups["cycle"].Value, out var cycle))
        {
            return false;
        }
        var kind = match.Groups["kind"].Value;
        parsed = new PackageName(site, cycle, kind.StartsWith("d_", StringComparison.Ordinal) ? "delta" : kind == "s" ? "siege" : "full");
        return true;
    }
}

/// <summary>Moves a rejected package aside, with the reason beside it; never overwrites an earlier one.</summary>
public static class PackageQuarantine
{
    public static string Move(string packagePath, string quarantineFolder, Exception reason)
    {
        Directory.CreateDirectory(quarantineFolder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var baseName = Path.GetFileName(packagePath) + "." + stamp;
        var target = Path.Combine(quarantineFolder, baseName);
        for (var n = 1; File.Exists(target); n++) target = Path.Combine(quarantineFolder, baseName + "-" + n);
        File.Move(packagePath, target);
        File.WriteAllText(target + ".reason.txt", reason.Message + Environment.NewLine);
        return target;
    }
}
