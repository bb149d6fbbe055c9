using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeitzSync.Core.Packaging;

/// <summary>
/// Constants and small helpers of the package container, format 1. The layout is described at the top of
/// <see cref="PackageWriter"/> and in docs/package-format.md.
/// </summary>
internal static class PackageFormat
{
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("HZSYNCPK");
    public const ushort Version = 1;

    public const int MagicOffset = 0;
    public const int VersionOffset = 8;
    public const int KeyIdOffset = 10;
    public const int PayloadIvOffset = KeyIdOffset + SyncKey.KeyIdLength;   // 18
    public const int FileLengthOffset = PayloadIvOffset + IvLength;          // 34
    public const int HeaderTagOffset = FileLengthOffset + 8;                 // 42
    public const int HeaderLength = HeaderTagOffset + HeaderTagLength;       // 58

    public const int IvLength = 16;
    public const int HeaderTagLength = 16;
    public const int MacLength = 32;
    public const int AesBlock = 16;

    /// <summary>Body length (8) and manifest ciphertext length (4), just before the MAC.</summary>
    public const int TrailerLengthsLength = 12;

    /// <summary>The smallest possible package: one cipher block of body and of manifest.</summary>
    public const int MinimumLength = HeaderLength + AesBlock + IvLength + AesBlock + TrailerLengthsLength + MacLength;

    /// <summary>A manifest is a few kB; anything far larger comes from a broken writer and is not allocated.</summary>
    public const int MaximumManifestLength = 16 * 1024 * 1024;

    public const int BufferSize = 81920;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = false,
    };

    /// <summary>The header tag: HMAC-SHA256(header key, header bytes 0..42), first 16 bytes.</summary>
    public static byte[] HeaderTag(byte[] headerKey, byte[] header)
    {
        using var hmac = new HMACSHA256(headerKey);
        var full = hmac.ComputeHash(header, 0, HeaderTagOffset);
        var tag = new byte[HeaderTagLength];
        Buffer.BlockCopy(full, 0, tag, 0, HeaderTagLength);
        return tag;
    }

    public static void WriteUInt16(byte[] buffer, int offset, ushort value)
    {
        buffer[offset] = (byte)value;
        buffer[offset + 1] = (byte)(value >> 8);
    }

    public static ushort ReadUInt16(byte[] buffer, int offset) => (ushort)(buffer[offset] | buffer[offset + 1] << 8);

    public static byte[] UInt32Bytes(uint value) => new[] { (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24) };

    public static uint ReadUInt32(byte[] buffer, int offset) =>
        (uint)(buffer[offset] | buffer[offset + 1] << 8 | buffer[offset + 2] << 16 | buffer[offset + 3] << 24);

    public static void WriteUInt64(byte[] buffer, int offset, ulong value)
    {
        for (var i = 0; i < 8; i++) buffer[offset + i] = (byte)(value >> (8 * i));
    }

    public static byte[] UInt64Bytes(ulong value)
    {
        var bytes = new byte[8];
        WriteUInt64(bytes, 0, value);
        return bytes;
    }

    public static ulong ReadUInt64(byte[] buffer, int offset)
    {
        ulong value = 0;
        for (var i = 7; i >= 0; i--) value = value << 8 | buffer[offset + i];
        return value;
    }

    /// <summary>Compares two MACs in time that does not depend on where they differ (netstandard2.0 has no CryptographicOperations).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.NoOptimization)]
    public static bool FixedTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int count)
    {
        var difference = 0;
        for (var i = 0; i < count; i++) difference |= a[aOffset + i] ^ b[bOffset + i];
        return difference == 0;
    }
}
