using System.Text.RegularExpressions;

namespace HeitzSync.Core.Model;

/// <summary>
/// A site's short code (<c>PARIS01</c>): 2 to 16 characters, upper-case letters, digits and '_', starting with a letter.
/// Validated once here so that file and folder names built from it are always safe (DESIGN.md §4).
/// </summary>
public readonly struct SiteCode : IEquatable<SiteCode>, IComparable<SiteCode>
{
    private static readonly Regex Pattern = new("^[A-Z][A-Z0-9_]{1,15}$", RegexOptions.CultureInvariant);

    private readonly string? _value;

    private SiteCode(string value) => _value = value;

    public string Value => _value ?? throw new InvalidOperationException("An empty SiteCode was used.");

    public static SiteCode Parse(string? text)
    {
        if (!TryParse(text, out var code))
        {
            throw new FormatException(
                $"'{text}' is not a valid site code: use 2 to 16 upper-case letters, digits or '_', starting with a letter (e.g. PARIS01).");
        }
        return code;
    }

    public static bool TryParse(string? text, out SiteCode code)
    {
        if (text is not null && Pattern.IsMatch(text))
        {
            code = new SiteCode(text);
            return true;
        }
        code = default;
        return false;
    }

    public bool Equals(SiteCode other) => string.Equals(_value, other._value, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is SiteCode other && Equals(other);
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);
    public int CompareTo(SiteCode other) => string.CompareOrdinal(_value, other._value);
    public override string ToString() => _value ?? string.Empty;
    public static bool operator ==(SiteCode a, SiteCode b) => a.Equals(b);
    public static bool operator !=(SiteCode a, SiteCode b) => !a.Equals(b);
}
