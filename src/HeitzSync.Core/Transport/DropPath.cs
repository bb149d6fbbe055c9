using System.Text.RegularExpressions;

namespace HeitzSync.Core.Transport;

/// <summary>
/// A path inside the drop, made only of validated segments (letters, digits, '.', '_', '-'; no "." or "..",
/// no leading dot), so that nothing read from a package, a manifest or a server listing can steer a file
/// operation outside the drop (DESIGN.md §4).
/// </summary>
public sealed class DropPath : IEquatable<DropPath>
{
    private static readonly Regex SegmentPattern = new("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant);

    private readonly string[] _segments;

    private DropPath(string[] segments) => _segments = segments;

    /// <summary>The drop root itself.</summary>
    public static DropPath Root { get; } = new(Array.Empty<string>());

    public IReadOnlyList<string> Segments => _segments;

    public bool IsRoot => _segments.Length == 0;

    /// <summary>Last segment (the file or folder name); empty for the root.</summary>
    public string Name => _segments.Length == 0 ? string.Empty : _segments[_segments.Length - 1];

    public DropPath Parent => _segments.Length == 0 ? this : new DropPath(_segments.Take(_segments.Length - 1).ToArray());

    /// <summary>Builds a path from segments, each validated.</summary>
    public static DropPath Of(params string[] segments)
    {
        foreach (var segment in segments)
        {
            EnsureValidSegment(segment);
        }
        return new DropPath((string[])segments.Clone());
    }

    /// <summary>Parses "A/b/c.ext" (forward slashes), validating each segment.</summary>
    public static DropPath Parse(string relative)
    {
        if (relative is null) throw new ArgumentNullException(nameof(relative));
        var parts = relative.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        return Of(parts);
    }

    public DropPath Append(string segment)
    {
        EnsureValidSegment(segment);
        var next = new string[_segments.Length + 1];
        _segments.CopyTo(next, 0);
        next[_segments.Length] = segment;
        return new DropPath(next);
    }

    /// <summary>The sibling used while the file is written: <c>name.part</c>.</summary>
    public DropPath PartFile => Parent.Append(Name + ".part");

    public static bool IsValidSegment(string? segment) =>
        segment is not null && SegmentPattern.IsMatch(segment) && segment != "." && segment != "..";

    public static void EnsureValidSegment(string? segment)
    {
        if (!IsValidSegment(segment))
        {
            throw new ArgumentException(
                $"'{segment}' is not a valid name in the drop: use letters, digits, '.', '_' and '-' only, not starting with a dot.",
                nameof(segment));
        }
    }

    /// <summary>The path below a local root folder, with the platform's separator.</summary>
    public string ToLocalPath(string rootFolder) => _segments.Length == 0
        ? rootFolder
        : Path.Combine(rootFolder, Path.Combine(_segments));

    public override string ToString() => string.Join("/", _segments);

    public bool Equals(DropPath? other) => other is not null && _segments.SequenceEqual(other._segments, StringComparer.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as DropPath);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
