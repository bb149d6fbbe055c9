using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using HeitzSync.Core.Model;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// A package file name taken apart by <see cref="PackageNames.TryParse"/>. <see cref="Kind"/> is one of
/// <see cref="DeltaKind"/> (a site's changes for the Siège), <see cref="SiegeKind"/> (the Siège's changes for
/// <see cref="Site"/>) or <see cref="FullKind"/>; the sequences are those of a site delta, 0 otherwise.
/// </summary>
public sealed record PackageName(SiteCode Site, CycleId Cycle, string Kind, long FromSequence = 0, long ToSequence = 0)
{
    public const string DeltaKind = "delta";
    public const string SiegeKind = "siege";
    public const string FullKind = "full";

    /// <summary>The file name this stands for (the same text <see cref="PackageNames.TryParse"/> accepted).</summary>
    public string FileName => Kind switch
    {
        DeltaKind => PackageNames.ForSiteDelta(Site, Cycle, FromSequence, ToSequence),
        SiegeKind => PackageNames.ForSiegeDelta(Site, Cycle),
        FullKind => PackageNames.ForFull(Site, Cycle),
        _ => throw new InvalidOperationException($"'{Kind}' is not a package kind ({DeltaKind}, {SiegeKind} or {FullKind})."),
    };

    public override string ToString() => FileName;
}

/// <summary>
/// Package file names, built only from validated <see cref="SiteCode"/> and <see cref="CycleId"/> values (DESIGN.md §4),
/// so they hold ASCII letters, digits, '_', '-' and one '.' only: no separator, no "..", nothing a path could be made of.
/// <c>PARIS01_20261122T020000Z_d_101-250.hzp</c> (site delta), <c>PARIS01_20261122T020000Z_s.hzp</c> (the Siège's
/// package for PARIS01), <c>SIEGE_20261122T020000Z_full.hzp</c> (full). <see cref="TryParse"/> accepts exactly the names
/// these methods build and nothing else; listers ignore (and report) any other file.
/// </summary>
public static class PackageNames
{
    public const string Extension = ".hzp";

    // ASCII classes only (\d would take any Unicode digit), \z rather than $ (which allows a trailing newline),
    // no leading zeros, so that a name parses only if it is exactly the one the builders make.
    private static readonly Regex Pattern = new(
        @"^(?<site>[A-Z][A-Z0-9_]{1,15})_(?<cycle>[0-9]{8}T[0-9]{6}Z(-[0-9]{1,4})?)_(?:d_(?<from>0|[1-9][0-9]{0,18})-(?<to>0|[1-9][0-9]{0,18})|(?<siege>s)|(?<full>full))\.hzp\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

    /// <summary>A site's delta carrying its change sequences <paramref name="fromSequence"/> to <paramref name="toSequence"/>.</summary>
    public static string ForSiteDelta(SiteCode site, CycleId cycle, long fromSequence, long toSequence)
    {
        if (fromSequence < 0) throw new ArgumentOutOfRangeException(nameof(fromSequence), fromSequence, "A change sequence is never negative.");
        if (toSequence < fromSequence) throw new ArgumentOutOfRangeException(nameof(toSequence), toSequence, $"The sequence range ends before it starts ({fromSequence}).");
        return Checked(FormattableString.Invariant($"{site.Value}_{cycle.Value}_d_{fromSequence}-{toSequence}{Extension}"));
    }

    /// <summary>The package the Siège publishes for <paramref name="target"/>.</summary>
    public static string ForSiegeDelta(SiteCode target, CycleId cycle) => Checked($"{target.Value}_{cycle.Value}_s{Extension}");

    /// <summary>A full database package made by <paramref name="origin"/>.</summary>
    public static string ForFull(SiteCode origin, CycleId cycle) => Checked($"{origin.Value}_{cycle.Value}_full{Extension}");

    /// <summary>Every name built must parse back: the ids are validated, but this keeps the two sides from drifting apart.</summary>
    private static string Checked(string name)
    {
        if (!Pattern.IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid package file name: site codes and cycle ids must be plain ASCII.");
        }
        return name;
    }

    /// <summary>Takes a bare file name apart; false for anything these builders would not make (paths included).</summary>
#pragma warning disable CS0436 // HeitzSync.Firebird shares its copy of the same polyfilled attribute with Core (InternalsVisibleTo); either one is right.
    public static bool TryParse(string? fileName, [NotNullWhen(true)] out PackageName? parsed)
#pragma warning restore CS0436
    {
        parsed = null;
        if (fileName is null || fileName.Length > 100) return false; // the longest valid name has 84 characters
        var match = Pattern.Match(fileName);
        if (!match.Success
            || !SiteCode.TryParse(match.Groups["site"].Value, out var site)
            || !CycleId.TryParse(match.Groups["cycle"].Value, out var cycle))
        {
            return false;
        }
        if (match.Groups["siege"].Success)
        {
            parsed = new PackageName(site, cycle, PackageName.SiegeKind);
        }
        else if (match.Groups["full"].Success)
        {
            parsed = new PackageName(site, cycle, PackageName.FullKind);
        }
        else
        {
            if (!long.TryParse(match.Groups["from"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !long.TryParse(match.Groups["to"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                || to < from)
            {
                return false;
            }
            parsed = new PackageName(site, cycle, PackageName.DeltaKind, from, to);
        }
        return true;
    }
}
