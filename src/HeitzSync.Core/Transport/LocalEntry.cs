using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HeitzSync.Core.Transport;

/// <summary>What a name in a folder is, seen without following it (lstat).</summary>
internal enum EntryKind { Missing, File, Folder, Link, Special }

/// <summary>
/// lstat-style checks for the folders HeitzSync shares with others (the drop): what an entry is without following a link,
/// and whether an open handle is the regular file that the name held. netstandard2.0 has neither
/// <c>FileSystemInfo.LinkTarget</c> nor the file type, so on Unix the runtime's own lstat/fstat are called (the
/// <c>SystemNative_*</c> exports that .NET's System.IO is built on; Mono ships them too); where they cannot be reached,
/// and on Windows (no FIFOs or devices in a folder), the attributes tell links (<see cref="FileAttributes.ReparsePoint"/>)
/// and folders apart.
/// </summary>
internal static class LocalEntry
{
    private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    private static bool _nativeMissing;

    /// <summary>What <paramref name="path"/> is, without following it.</summary>
    public static EntryKind KindOf(string path)
    {
        if (!IsWindows && Stat(path, handle: null) is { } status) return KindOf(status);
        try
        {
            var attributes = File.GetAttributes(path);
            if ((attributes & FileAttributes.ReparsePoint) != 0) return EntryKind.Link;
            return (attributes & FileAttributes.Directory) != 0 ? EntryKind.Folder : EntryKind.File;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return EntryKind.Missing;
        }
    }

    /// <summary>
    /// True when <paramref name="stream"/>, opened from <paramref name="path"/>, is a regular file and the name still is one:
    /// a link or a special file put in its place between the check and the open is caught (the handle is then what the
    /// link points to, or the name is no longer a plain file).
    /// </summary>
    public static bool IsRegularFile(FileStream stream, string path)
    {
        if (!stream.CanSeek || KindOf(path) != EntryKind.File) return false;
        return IsWindows || KindOf(stream.SafeFileHandle) is EntryKind.File or null;
    }

    /// <summary>What an open handle is (fstat); null where that cannot be asked.</summary>
    private static EntryKind? KindOf(SafeFileHandle handle) => Stat(null, handle) is { } status ? KindOf(status) : null;

    /// <summary>The permission bits of <paramref name="path"/> (lstat: a link's own), e.g. 0x1A4 for 0644; null on Windows
    /// (ACLs), for a missing entry, or where they cannot be read.</summary>
    public static int? PermissionsOf(string path) =>
        !IsWindows && Stat(path, handle: null) is { } status && status != Missing ? status & 0xFFF : null;

    private const int Missing = -1;

    private static EntryKind KindOf(int status) => status == Missing ? EntryKind.Missing : (status & 0xF000) switch
    {
        0x8000 => EntryKind.File,
        0x4000 => EntryKind.Folder,
        0xA000 => EntryKind.Link,
        _ => EntryKind.Special,   // FIFO, socket, character or block device
    };

    /// <summary>The mode (type and permission bits) from lstat of a path or fstat of a handle; <see cref="Missing"/> when
    /// there is no such entry; null when the runtime's functions cannot be reached.</summary>
    private static int? Stat(string? path, SafeFileHandle? handle)
    {
        if (_nativeMissing) return null;
        // FileStatus (the runtime's pal_io.h) starts with two int32, Flags and Mode, in every version; the rest (sizes,
        // times, device, inode) changed between versions and is not read. The buffer is larger than any version of it.
        var buffer = Marshal.AllocHGlobal(512);
        try
        {
            int result;
            try
            {
                result = path is not null ? LStat(path, buffer) : FStat(handle!, buffer);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _nativeMissing = true;
                return null;
            }
            return result != 0 ? Missing : Marshal.ReadInt32(buffer, 4);
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true, SetLastError = true)]
    private static extern int LStat(string path, IntPtr output);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
    private static extern int FStat(SafeFileHandle fd, IntPtr output);
}
