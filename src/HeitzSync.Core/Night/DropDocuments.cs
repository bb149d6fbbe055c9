using System.Text.Json;
using System.Text.Json.Serialization;
using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Night;

/// <summary><c>&lt;SITE&gt;/ack.json</c>: what the Siège has consolidated from the site (written after each commit).
/// Format 2 adds <see cref="OpenTransactions"/>; a format-1 document (no list) still reads, with its guard alone.</summary>
public sealed record AckDocument
{
    /// <summary>The newest format this version writes and reads.</summary>
    public const int CurrentFormat = 2;

    public int FormatVersion { get; init; } = CurrentFormat;
    public string Site { get; init; } = "";
    public long Sequence { get; init; }
    public long ResendFromTx { get; init; }

    /// <summary>The site's transactions that were open when the consolidated package was extracted ("12,40,41").</summary>
    public string? OpenTransactions { get; init; }

    public string? CycleId { get; init; }
    public DateTimeOffset UpdatedUtc { get; init; }

    /// <summary>The group key that signed it, and the signature (<see cref="DropProof"/>).</summary>
    public string? KeyId { get; init; }
    public string? Mac { get; init; }

    /// <summary>What the Siège acknowledged; <see cref="InvalidDataException"/> for a document of a newer format.</summary>
    [JsonIgnore]
    public Watermark Watermark => FormatVersion is >= 1 and <= CurrentFormat
        ? new Watermark(Sequence, ResendFromTx) { Open = Sync.OpenTransactions.Parse(OpenTransactions) }
        : throw new InvalidDataException($"ack.json of {Site} has format {FormatVersion}; this HeitzSync reads formats 1 to {CurrentFormat}: run the same HeitzSync version on every node.");
}

/// <summary><c>siege.json</c> at the drop root: what sites check before they sync (versions, schema, registry).</summary>
public sealed record SiegeDocument
{
    public int FormatVersion { get; init; } = 1;
    public string ModuleVersion { get; init; } = "";
    public string SchemaFingerprint { get; init; } = "";
    public string Siege { get; init; } = "";
    public int SiegeNumber { get; init; }
    public long SiegeKeyLow { get; init; }
    public long SiegeKeyHigh { get; init; }
    public string? CurrentCycle { get; init; }
    public DateTimeOffset UpdatedUtc { get; init; }
    public IReadOnlyList<SiegeDocumentSite> Sites { get; init; } = Array.Empty<SiegeDocumentSite>();

    /// <summary>The Siège's group key (its public id) and the document's signature with it (<see cref="DropProof"/>): a
    /// node that verifies it holds the same key, before any package travels.</summary>
    public string? KeyId { get; init; }
    public string? Mac { get; init; }

    /// <summary>The site whose folder this copy was written into (<c>&lt;SITE&gt;/siege.json</c>, for an account that sees
    /// only that folder); null for the copy at the drop's root.</summary>
    public string? ForSite { get; init; }

    /// <summary>Sites removed by Unregister-HzSite: their numbers and key ranges are never given again.</summary>
    public IReadOnlyList<SiegeDocumentSite> Retired { get; init; } = Array.Empty<SiegeDocumentSite>();
}

/// <summary><c>&lt;SITE&gt;/up/site.json</c>: a site's registration, written by its init (and by a send that finds it
/// missing); the Siège registers the site from it before each night's reception.</summary>
public sealed record SiteRegistrationDocument
{
    public int FormatVersion { get; init; } = 1;
    public string Site { get; init; } = "";
    public int Number { get; init; }
    public long KeyLow { get; init; }
    public long KeyHigh { get; init; }
    public string ModuleVersion { get; init; } = "";
    public DateTimeOffset RegisteredUtc { get; init; }
}

public sealed record SiegeDocumentSite
{
    public string Code { get; init; } = "";
    public int Number { get; init; }
    public long KeyLow { get; init; }
    public long KeyHigh { get; init; }
    public DateTimeOffset? LastContactUtc { get; init; }
    public string? LastConsolidatedCycle { get; init; }
}

/// <summary>One JSON shape for every drop document.</summary>
public static class DropJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T? Deserialize<T>(byte[]? bytes, string what) where T : class
    {
        if (bytes is null) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{what} in the drop is not valid JSON (line {ex.LineNumber}, position {ex.BytePositionInLine}): the Siège rewrites it on its next run.", ex);
        }
    }
}
