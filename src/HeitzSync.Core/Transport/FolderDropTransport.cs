namespace HeitzSync.Core.Transport;

/// <summary>
/// The drop as a local, mounted or UNC folder (the Siège on its own root; LAN/VPN sites; the embedded demo).
/// Publishes by writing <c>name.part</c>, flushing it to disk (fsync) and renaming it over the target; resumes a partial
/// copy whose bytes are those of the source; checks the size and the SHA-256 before anything is put in place.
/// </summary>
public sealed class FolderDropTransport : IDropTransport
{
    private const int BufferSize = 1 << 20;
    private readonly string _root;

    /// <param name="rootFolder">The drop root; created on the first write when missing.</param>
    public FolderDropTransport(string rootFolder)
    {
        _root = Path.GetFullPath(rootFolder);
    }

    public string Description => "folder " + _root;

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken)
    {
        var local = folder.ToLocalPath(_root);
        var entries = Guard<IReadOnlyList<DropEntry>>(folder, () => !Directory.Exists(local)
            ? Array.Empty<DropEntry>()
            : new DirectoryInfo(local).GetFiles()
                .Where(f => !f.Name.EndsWith(".part", StringComparison.Ordinal) && DropPath.IsValidSegment(f.Name))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => new DropEntry(f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
                .ToList());
        return Task.FromResult(entries);
    }

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken)
    {
        Guard(folder, () => Directory.CreateDirectory(folder.ToLocalPath(_root)));
        return Task.CompletedTask;
    }

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        UploadAsync(localPath, remote, null, progress, cancellationToken);

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(localPath)) throw new FileNotFoundException($"{localPath} does not exist: nothing to upload.", localPath);
        var meter = new TransferMeter(remote.Name, 0, expectedSha256, progress);
        return Task.Run(() =>
        {
            using (meter) return Copy(localPath, remote.ToLocalPath(_root), remote, meter, cancellationToken);
        });
    }

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        DownloadAsync(remote, localPath, null, progress, cancellationToken);

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var source = remote.ToLocalPath(_root);
        if (!File.Exists(source)) throw new DropTransportException(DropTransportErrorKind.NotFound, $"{remote} is not in the drop ({_root}).");
        var meter = new TransferMeter(remote.Name, 0, expectedSha256, progress);
        return Task.Run(() =>
        {
            using (meter) return Copy(source, Path.GetFullPath(localPath), remote, meter, cancellationToken);
        });
    }

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        return Task.FromResult(Guard(remote, () => File.Exists(path) ? File.ReadAllBytes(path) : null));
    }

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        Guard(remote, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var part = path + ".part";
            using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(content, 0, content.Length);
                file.Flush(flushToDisk: true);
            }
            Publish(part, path);
            return true;
        });
        return Task.CompletedTask;
    }

    public Task DeleteAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        Guard(remote, () => { if (File.Exists(path)) File.Delete(path); return true; });
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        return Task.FromResult(Guard(remote, () => File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : (DateTimeOffset?)null));
    }

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken)
    {
        var source = from.ToLocalPath(_root);
        var target = to.ToLocalPath(_root);
        Guard(from, () =>
        {
            if (!File.Exists(source)) throw new DropTransportException(DropTransportErrorKind.NotFound, $"{from} is not in the drop ({_root}): nothing to move.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Publish(source, target);
            return true;
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="target"/> through <c>target.part</c>: continues a previous partial
    /// copy when its bytes are those of the source (compared byte for byte while the prefix is hashed), flushes to disk,
    /// checks size and hash, then renames into place. A failure keeps the partial copy for the next attempt, except a
    /// hash mismatch, which deletes it.
    /// </summary>
    private TransferResult Copy(string source, string target, DropPath remote, TransferMeter meter, CancellationToken cancellationToken)
    {
        var part = target + ".part";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            string sha256;
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize))
            using (var output = new FileStream(part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize))
            {
                var total = input.Length;
                meter.BeginAttempt(total);
                var resumeAt = MatchingPrefix(input, output, meter, cancellationToken);
                output.SetLength(resumeAt);
                input.Position = output.Position = resumeAt;
                var buffer = new byte[BufferSize];
                int read;
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, read);
                    meter.Add(buffer, 0, read);
                    FaultPoints.Hit(target.StartsWith(_root, StringComparison.Ordinal) ? "upload.during" : "download.during");
                }
                output.Flush(flushToDisk: true);
                if (output.Length != total)
                {
                    throw new DropTransportException(DropTransportErrorKind.Protocol, $"{remote.Name}: {output.Length} bytes copied of {total}; it was not put in place.");
                }
                sha256 = meter.FinishHash();
            }
            if (!meter.Matches(sha256))
            {
                File.Delete(part);
                throw new DropTransportException(DropTransportErrorKind.IntegrityMismatch,
                    $"{remote.Name}: the copy hashes to SHA-256 {sha256}, not the expected {meter.ExpectedSha256}; it was not put in place. Check that the source file was not changed or damaged.");
            }
            Publish(part, target);
            return meter.Result(sha256);
        }
        catch (Exception ex) when (Translate(ex, remote, target) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>How many bytes of an existing partial copy can be kept: all of them when they equal the source's first
    /// bytes, none otherwise. The source's prefix goes into the hash on the way.</summary>
    private static long MatchingPrefix(FileStream input, FileStream output, TransferMeter meter, CancellationToken cancellationToken)
    {
        var length = output.Length;
        if (length == 0 || length > input.Length) return 0;
        input.Position = output.Position = 0;
        var a = new byte[BufferSize];
        var b = new byte[BufferSize];
        for (long done = 0; done < length;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var want = (int)Math.Min(BufferSize, length - done);
            if (ReadFully(input, a, want) != want || ReadFully(output, b, want) != want) return 0;
            for (var i = 0; i < want; i++)
            {
                if (a[i] != b[i]) return 0;
            }
            done += want;
        }
        meter.HashPrefix(input, length);
        return length;
    }

    private static int ReadFully(Stream stream, byte[] buffer, int count)
    {
        var total = 0;
        int read;
        while (total < count && (read = stream.Read(buffer, total, count - total)) > 0) total += read;
        return total;
    }

    /// <summary>Puts <paramref name="source"/> in place of <paramref name="target"/>: a rename that replaces the target in
    /// one step where the platform can (File.Replace: rename(2) on Unix, ReplaceFile on Windows), otherwise delete then move.</summary>
    internal static void Publish(string source, string target)
    {
        if (File.Exists(target))
        {
            try
            {
                File.Replace(source, target, destinationBackupFileName: null, ignoreMetadataErrors: true);
                return;
            }
            catch (Exception ex) when (ex is IOException or PlatformNotSupportedException && ex is not FileNotFoundException)
            {
                // Some shares refuse ReplaceFile: fall back to delete and move (a reader may briefly find no file).
            }
            if (File.Exists(target)) File.Delete(target);
        }
        File.Move(source, target);
    }

    private DropTransportException? Translate(Exception ex, DropPath path, string where) => ex switch
    {
        DropTransportException or OperationCanceledException => null,
        UnauthorizedAccessException => new DropTransportException(DropTransportErrorKind.PermissionDenied,
            $"No right to write {where} ({path} in the drop {_root}): give this account write access to the folder.", ex),
        IOException io when IsReadOnlyVolume(io) => new DropTransportException(DropTransportErrorKind.PermissionDenied,
            $"No right to write {where} ({path} in the drop {_root}): the volume is read-only; mount it writable for this account.", ex),
        IOException io when IsDiskFull(io) => new DropTransportException(DropTransportErrorKind.NoSpace,
            $"The disk holding {where} is full ({path} in the drop {_root}): free some space; the partial copy is kept to resume.", ex),
        FileNotFoundException or DirectoryNotFoundException => new DropTransportException(DropTransportErrorKind.NotFound,
            $"{path}: {ex.Message} (drop {_root}).", ex),
        IOException => new DropTransportException(DropTransportErrorKind.Unreachable,
            $"{path} in the drop {_root} could not be used ({ex.Message}): check that the folder or share is reachable.", ex),
        _ => null,
    };

    /// <summary>ERROR_WRITE_PROTECT on Windows, EROFS on Linux.</summary>
    internal static bool IsReadOnlyVolume(IOException ex) => IsWindowsError(ex) ? (ex.HResult & 0xFFFF) == 19 : ex.HResult == 30;

    private static bool IsWindowsError(IOException ex) => (ex.HResult & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000);

    /// <summary>ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows (HRESULT 0x8007xxxx), ENOSPC/EDQUOT (raw errno) on Linux.</summary>
    internal static bool IsDiskFull(IOException ex)
    {
        return IsWindowsError(ex) ? (ex.HResult & 0xFFFF) is 112 or 39 : ex.HResult is 28 or 122;
    }

    private T Guard<T>(DropPath path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (Translate(ex, path, path.ToLocalPath(_root)) is { } failure)
        {
            throw failure;
        }
    }

    public void Dispose() { }
}
