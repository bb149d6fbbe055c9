namespace HeitzSync.Core.Transport;

/// <summary>
/// The drop as a local, mounted or UNC folder (the Siège on its own root; LAN/VPN sites; the embedded demo).
/// Publishes by writing <c>name.part</c>, flushing it to disk (fsync) and renaming it over the target; resumes a partial
/// copy whose bytes are those of the source; checks the size and the SHA-256 before anything is put in place.
/// <para>
/// Below its root the drop is shared with the sites' accounts, so it holds only plain folders and plain files for
/// HeitzSync: a link or a special file (FIFO, device) is never followed, opened, listed, deleted through or written
/// through (lstat-style checks, <see cref="LocalEntry"/>). A folder on the way that is one makes the operation fail with
/// <see cref="DropTransportErrorKind.Refused"/>; such a file in a listing is left out and noted once in <see cref="Refused"/>.
/// The root itself may be a link (a mounted share's usual place) and, for a site, must exist: only the Siège makes it.
/// </para>
/// </summary>
public sealed class FolderDropTransport : IDropTransport
{
    private const int BufferSize = 1 << 20;
    private readonly string _root;
    private readonly bool _mayCreateRoot;
    private readonly List<string> _refused = new();

    /// <param name="rootFolder">The drop root.</param>
    /// <param name="mayCreateRoot">The Siège (and the demo) create the root on their first write when missing; a site never
    /// does: a missing root is a typo or a share that is not mounted, and every operation then fails naming it.</param>
    public FolderDropTransport(string rootFolder, bool mayCreateRoot = true)
    {
        _root = Path.GetFullPath(rootFolder);
        _mayCreateRoot = mayCreateRoot;
    }

    public string Description => "folder " + _root;

    public IReadOnlyList<string> Refused
    {
        get
        {
            lock (_refused) return _refused.ToList();
        }
    }

    private void NoteRefused(string message)
    {
        lock (_refused)
        {
            if (!_refused.Contains(message)) _refused.Add(message);
        }
    }

    /// <summary>
    /// The local path of <paramref name="path"/>, after checking the root exists (when this node may not create it) and
    /// that no folder on the way (the path itself too when <paramref name="isFolder"/>) is a link or a special file.
    /// </summary>
    private string Checked(DropPath path, bool isFolder)
    {
        if (File.Exists(_root))
        {
            throw new DropTransportException(DropTransportErrorKind.Unreachable,
                $"The drop folder {_root} is a file, not a folder: check drop.path (a typo?) and that the Siège's share is mounted there.");
        }
        if (!_mayCreateRoot && !Directory.Exists(_root))
        {
            throw new DropTransportException(DropTransportErrorKind.NotFound,
                $"The drop folder {_root} does not exist: a site never creates it. Check drop.path (a typo?) and that the Siège's share is mounted there.");
        }
        var local = _root;
        var folders = isFolder ? path.Segments.Count : path.Segments.Count - 1;
        for (var i = 0; i < folders; i++)
        {
            local = Path.Combine(local, path.Segments[i]);
            var kind = LocalEntry.KindOf(local);
            if (kind is EntryKind.Link or EntryKind.Special)
            {
                var where = DropPath.Of(path.Segments.Take(i + 1).ToArray());
                throw new DropTransportException(DropTransportErrorKind.Refused, RefusalText(where, kind, "a folder"));
            }
        }
        return path.ToLocalPath(_root);
    }

    private string RefusalText(DropPath where, EntryKind kind, string expected) =>
        $"{where} in the drop {_root} is {(kind == EntryKind.Link ? "a link" : "a special file (FIFO or device)")}, not {expected}: it was not followed or opened. Remove it (only HeitzSync writes in the drop).";

    /// <summary>The local path of a file in the drop that is read: a plain file, or missing (null); anything else is refused.</summary>
    private string? ExistingFile(DropPath path)
    {
        var local = Checked(path, isFolder: false);
        var kind = LocalEntry.KindOf(local);
        return kind switch
        {
            EntryKind.Missing => null,
            EntryKind.File => local,
            EntryKind.Folder => throw new DropTransportException(DropTransportErrorKind.NotFound, $"{path} in the drop {_root} is a folder, not a file."),
            _ => throw new DropTransportException(DropTransportErrorKind.Refused, RefusalText(path, kind, "a file")),
        };
    }

    /// <summary>Opens a plain file of the drop for reading, and makes sure the handle is that plain file (not a link or a
    /// special file swapped in since the check).</summary>
    private FileStream OpenPlainFile(string local, DropPath path)
    {
        var stream = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        if (LocalEntry.IsRegularFile(stream, local)) return stream;
        stream.Dispose();
        throw new DropTransportException(DropTransportErrorKind.Refused, RefusalText(path, EntryKind.Special, "a file"));
    }

    /// <summary>Removes what sits at a temporary name (<c>.part</c>) when it is not a plain file: a link or a FIFO placed there
    /// is unlinked itself, so the write that follows creates a file of its own instead of writing through it.</summary>
    private static void ClearTemporary(string part)
    {
        if (LocalEntry.KindOf(part) is EntryKind.Link or EntryKind.Special) File.Delete(part);
    }

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken)
    {
        var entries = Guard<IReadOnlyList<DropEntry>>(folder, () =>
        {
            var local = Checked(folder, isFolder: true);
            if (!Directory.Exists(local)) return Array.Empty<DropEntry>();
            var files = new List<DropEntry>();
            foreach (var entry in new DirectoryInfo(local).EnumerateFileSystemInfos())
            {
                var kind = LocalEntry.KindOf(entry.FullName);
                if (kind is EntryKind.Folder or EntryKind.Missing) continue;
                if (entry.Name.EndsWith(".part", StringComparison.Ordinal) && kind == EntryKind.File) continue;
                if (!DropPath.IsValidSegment(entry.Name))
                {
                    NoteRefused($"'{entry.Name}' in {(folder.IsRoot ? "the drop's root" : folder.ToString())} ({_root}) is not a name HeitzSync uses (letters, digits, '.', '_', '-'): it was left alone; remove it.");
                    continue;
                }
                if (kind != EntryKind.File)
                {
                    NoteRefused(RefusalText(folder.Append(entry.Name), kind, "a file"));
                    continue;
                }
                var file = (FileInfo)entry;
                files.Add(new DropEntry(file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)));
            }
            return files.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        });
        return Task.FromResult(entries);
    }

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken)
    {
        Guard(folder, () => Directory.CreateDirectory(Checked(folder, isFolder: true)));
        return Task.CompletedTask;
    }

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        UploadAsync(localPath, remote, null, progress, cancellationToken);

    public Task<TransferResult> UploadAsync(string localPath, DropPath remote, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(localPath)) throw new FileNotFoundException($"{localPath} does not exist: nothing to upload.", localPath);
        var target = Guard(remote, () => Checked(remote, isFolder: false));
        var meter = new TransferMeter(remote.Name, 0, expectedSha256, progress);
        return Task.Run(() =>
        {
            using (meter) return Copy(localPath, target, remote, meter, cancellationToken, sourceInDrop: false);
        });
    }

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        DownloadAsync(remote, localPath, null, progress, cancellationToken);

    public Task<TransferResult> DownloadAsync(DropPath remote, string localPath, string? expectedSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var source = Guard(remote, () => ExistingFile(remote))
            ?? throw new DropTransportException(DropTransportErrorKind.NotFound, $"{remote} is not in the drop ({_root}).");
        var meter = new TransferMeter(remote.Name, 0, expectedSha256, progress);
        return Task.Run(() =>
        {
            using (meter) return Copy(source, Path.GetFullPath(localPath), remote, meter, cancellationToken, sourceInDrop: true);
        });
    }

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken)
    {
        return Task.FromResult(Guard(remote, () =>
        {
            if (ExistingFile(remote) is not { } path) return null;
            using var file = OpenPlainFile(path, remote);
            var bytes = new byte[file.Length];
            return ReadFully(file, bytes, bytes.Length) == bytes.Length ? bytes : throw new IOException($"{path} changed while it was read.");
        }));
    }

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken)
    {
        Guard(remote, () =>
        {
            var path = Checked(remote, isFolder: false);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var part = path + ".part";
            ClearTemporary(part);
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
        // A link in the folder is removed itself (unlink), never what it points to; a link on the way is refused.
        Guard(remote, () =>
        {
            var path = Checked(remote, isFolder: false);
            if (LocalEntry.KindOf(path) is not (EntryKind.Missing or EntryKind.Folder)) File.Delete(path);
            return true;
        });
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken)
    {
        return Task.FromResult(Guard(remote, () => ExistingFile(remote) is { } path ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : (DateTimeOffset?)null));
    }

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken)
    {
        Guard(from, () =>
        {
            var source = ExistingFile(from) ?? throw new DropTransportException(DropTransportErrorKind.NotFound, $"{from} is not in the drop ({_root}): nothing to move.");
            var target = Checked(to, isFolder: false);
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
    private TransferResult Copy(string source, string target, DropPath remote, TransferMeter meter, CancellationToken cancellationToken, bool sourceInDrop)
    {
        var part = target + ".part";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!sourceInDrop) ClearTemporary(part);
            string sha256;
            using (var input = sourceInDrop ? OpenPlainFile(source, remote) : new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize))
            using (var output = new FileStream(part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize))
            {
                // The partial copy in the drop must be the plain file its name says (not a link placed there since).
                if (!sourceInDrop && !LocalEntry.IsRegularFile(output, part))
                {
                    throw new DropTransportException(DropTransportErrorKind.Refused, RefusalText(remote.PartFile, EntryKind.Link, "a file"));
                }
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
        catch (Exception ex) when (Translate(ex, remote, target, partialKept: true) is { } failure)
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

    private DropTransportException? Translate(Exception ex, DropPath path, string where, bool partialKept) => ex switch
    {
        DropTransportException or OperationCanceledException => null,
        UnauthorizedAccessException => new DropTransportException(DropTransportErrorKind.PermissionDenied,
            $"No right to write {where} ({path} in the drop {_root}): give this account write access to the folder.", ex),
        IOException io when IsReadOnlyVolume(io) => new DropTransportException(DropTransportErrorKind.PermissionDenied,
            $"No right to write {where} ({path} in the drop {_root}): the volume is read-only; mount it writable for this account.", ex),
        IOException io when IsDiskFull(io) => new DropTransportException(DropTransportErrorKind.NoSpace,
            $"The disk holding {where} is full ({path} in the drop {_root}): free some space{(partialKept ? "; the partial copy is kept to resume" : "; nothing was changed")}.", ex),
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
        catch (Exception ex) when (Translate(ex, path, path.ToLocalPath(_root), partialKept: false) is { } failure)
        {
            throw failure;
        }
    }

    public void Dispose() { }
}
