using System.Text.RegularExpressions;

namespace HeitzSync.Core.Reports;

/// <summary>
/// The last line of defence that keeps secrets out of reports: replaces every known secret (the passwords and keys the
/// node was configured with) and anything written like <c>password=...</c> or <c>ftp://user:pass@host</c> by <c>***</c>.
/// Messages should never carry a secret in the first place; this catches the one that slips through.
/// </summary>
public sealed class SecretScrubber
{
    public const string Mask = "***";

    /// <summary>Shorter values are not searched for: masking every "12" in a report would destroy it and hide nothing.</summary>
    public const int MinimumSecretLength = 4;

    private static readonly Regex Assignments = new(
        @"(?<name>\b(?:isc_password|password|passwd|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key)\b\s*[=:]\s*)(?<value>""[^""]*""|'[^']*'|[^\s;,&""']+)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex UrlCredentials = new(
        @"(?<head>\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?<value>[^@\s/]+)(?<tail>@)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private readonly string[] _secrets;

    public SecretScrubber(IEnumerable<string?>? secrets = null)
    {
        // Longest first, so a secret that contains another is masked whole.
        _secrets = (secrets ?? Enumerable.Empty<string?>())
            .Where(s => s is { Length: >= MinimumSecretLength })
            .Select(s => s!)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)
            .ToArray();
    }

    public static SecretScrubber None { get; } = new();

    public string Scrub(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        foreach (var secret in _secrets)
        {
            if (text.IndexOf(secret, StringComparison.Ordinal) >= 0) text = text.Replace(secret, Mask);
        }
        text = Assignments.Replace(text, m => m.Groups["name"].Value + Mask);
        return UrlCredentials.Replace(text, m => m.Groups["head"].Value + Mask + m.Groups["tail"].Value);
    }

    public string? ScrubNullable(string? text) => text is null ? null : Scrub(text);
}
