using System.Globalization;
using System.Text.RegularExpressions;

namespace HeitzSync.Core.Model;

/// <summary>
/// Identifies one cycle (one night or one manual run): its UTC start as <c>yyyyMMddTHHmmssZ</c>,
/// optionally followed by <c>-n</c> when several cycles start within the same second.
/// Sorts in time order as plain text; safe in file names.
/// </summary>
public readonly struct CycleId : IEquatable<CycleId>, IComparable<CycleId>
{
    private static readonly Regex Pattern = new(@"^[0-9]{8}T[0-9]{6}Z(-[0-9]{1,4})?$", RegexOptions.CultureInvariant);
    private readonly string? _value;

    private CycleId(string value) => _value = value;

    public string Value => _value ?? throw new InvalidOperationException("An empty CycleId was used.");

    public static CycleId FromTime(DateTimeOffset utc, int discriminator = 0)
    {
        var text = utc.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return new CycleId(discriminator == 0 ? text : text + "-" + discriminator.ToString(CultureInfo.InvariantCulture));
    }

    public static CycleId Parse(string? text)
    {
        if (!TryParse(text, out var id))
        {
            throw new FormatException($"'{text}' is not a valid cycle id (expected yyyyMMddTHHmmssZ, e.g. 20261122T020000Z).");
        }
        return id;
    }

    public static bool TryParse(string? text, out CycleId id)
    {
        if (text is not null && Pattern.IsMatch(text))
        {
            id = new CycleId(text);
            return true;
        }
        id = default;
        return false;
    }

    public bool Equals(CycleId other) => string.Equals(_value, other._value, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is CycleId other && Equals(other);
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);
    public int CompareTo(CycleId other) => string.CompareOrdinal(_value, other._value);
    public override string ToString() => _value ?? string.Empty;
    public static bool operator ==(CycleId a, CycleId b) => a.Equals(b);
    public static bool operator !=(CycleId a, CycleId b) => !a.Equals(b);
}
