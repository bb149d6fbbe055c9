using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// The package container, format 1. Every byte before the MAC is authenticated; nothing is decrypted before the
/// MAC checks out (encrypt-then-MAC, AES-256-CBC + HMAC-SHA256, both keys derived from the group key):
/// <code>
/// header   "HZSYNCPK" (8) | format version (2, LE) | key id (8) | payload IV (16)
/// body     AES-CBC(PKCS7) of Deflate(payload)          -- streamed, any size
/// trailer  manifest IV (16) | AES-CBC(manifest JSON) (L) | L (4, LE) | body length (8, LE)
/// mac      HMAC-SHA256 over everything above (32)
/// </code>
/// The key id tells a package made with another group key apart from a damaged one. The lengths at the end tell a
/// truncated file apart from a tampered one (as far as that can be told).
/// </summary>
internal static class PackageFormat
{
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("HZSYNCPK");
    public const ushort Version = 1;
    public const int KeyIdLength = 8;
    public const int IvLength = 16;
    public const int HeaderLength = 8 + 2 + KeyIdLength + IvLength;
    public const int MacLength = 32;
    public const int TrailerFixedLength = IvLength + 4 + 8;
    public const int MinimumLength = HeaderLength + 16 + TrailerFixedLength + 16 + MacLength;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public static byte[] KeyIdBytes(SyncKey key)
    {
        var bytes = new byte[KeyIdLength];
        for (var i = 0; i < KeyIdLength; i++)
        {
            bytes[i] = Convert.ToByte(key.KeyId.Substring(i * 2, 2), 16);
        }
        return bytes;
    }
}

public enum PackageRejectionReason { NotAPackage, UnsupportedFormat, WrongKey, Tampered, Truncated, PayloadMismatch }

/// <summary>A package that must not be applied: its file, the reason, and the fix in the message.</summary>
public sealed class PackageRejectedException : Exception
{
    public PackageRejectedException(string packagePath, PackageRejectionReason reason, string message)
        : base(message)
    {
        PackagePath = packagePath;
        Reason = reason;
    }

    public PackageRejectionReason Reason { get; }
    public string PackagePath { get; }
}
