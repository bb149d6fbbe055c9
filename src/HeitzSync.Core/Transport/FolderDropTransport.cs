using System.Security.Cryptography;

namespace HeitzSync.Core.Transport;

/// <summary>
/// The drop as a local, mounted or UNC folder (the Siège on its own root; LAN/VPN sites; the embedded demo).
/// Publishes by writing <c>name.part</c>, flushing it to disk and renaming it; resumes a partial copy.
/// </summary>
public sealed class FolderDropTransport : IDropTransport
{
    private const int BufferSize = 1 << 20;
    private readonly string _root;

    public FolderDropTransport(string rootFolder)
    {
        _root = Path.GetFullPath(rootFolder);
    }

    public string Description => "folder " + _root;

    public Task<IReadOnlyList<DropEntry>> ListAsync(DropPath folder, CancellationToken cancellationToken)
    {
        var local = folder.ToLocalPath(_root);
        IReadOnlyList<DropEntry> entries = !Directory.Exists(local)
            ? Array.Empty<DropEntry>()
            : new DirectoryInfo(local).GetFiles()
                .Where(f => !f.Name.EndsWith(".part", StringComparison.Ordinal) && DropPath.IsValidSegment(f.Name))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => new DropEntry(f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
                .ToList();
        return Task.FromResult(entries);
    }

    public Task CreateFolderAsync(DropPath folder, CancellationToken cancellationToken)
    {
        Guard(() => Directory.CreateDirectory(folder.ToLocalPath(_root)), folder);
        return Task.CompletedTask;
    }

    public Task UploadAsync(string localPath, DropPath remote, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        Task.Run(() => Copy(localPath, remote.ToLocalPath(_root), remote.Name, progress, cancellationToken), cancellationToken);

    public Task DownloadAsync(DropPath remote, string localPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var source = remote.ToLocalPath(_root);
        if (!File.Exists(source)) throw new DropTransportException(DropTransportErrorKind.NotFound, $"{remote} is not in the drop ({_root}).");
        return Task.Run(() => Copy(source, localPath, remote.Name, progress, cancellationToken), cancellationToken);
    }

    public Task<byte[]?> ReadSmallFileAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        return Task.FromResult(File.Exists(path) ? Guard(() => File.ReadAllBytes(path), remote) : null);
    }

    public Task WriteSmallFileAsync(DropPath remote, byte[] content, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        Guard(() =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var part = path + ".part";
            using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(content, 0, content.Length);
                file.Flush(flushToDisk: true);
            }
            Replace(part, path);
            return true;
        }, remote);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        Guard(() => { if (File.Exists(path)) File.Delete(path); return true; }, remote);
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> GetLastModifiedAsync(DropPath remote, CancellationToken cancellationToken)
    {
        var path = remote.ToLocalPath(_root);
        return Task.FromResult(File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : (DateTimeOffset?)null);
    }

    public Task MoveAsync(DropPath from, DropPath to, CancellationToken cancellationToken)
    {
        var source = from.ToLocalPath(_root);
        var target = to.ToLocalPath(_root);
        Guard(() =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Replace(source, target);
            return true;
        }, from);
        return Task.CompletedTask;
    }

    /// <summary>Copies through <c>target.part</c>, continuing a previous partial copy when its bytes match ours.</summary>
    private static void Copy(string source, string target, string name, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var part = target + ".part";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize))
            using (var output = new FileStream(part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize))
            {
                var total = input.Length;
                var resumeAt = output.Length <= total && PrefixMatches(input, output) ? output.Length : 0;
                output.SetLength(resumeAt);
                input.Position = output.Position = resumeAt;
                var buffer = new byte[BufferSize];
                var done = resumeAt;
                int read;
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, read);
                    done += read;
                    progress?.Report(new TransferProgress(name, done, total));
                }
                output.Flush(flushToDisk: true);
                if (output.Length != total)
                {
                    throw new DropTransportException(DropTransportErrorKind.Protocol, $"{name}: {output.Length} bytes copied of {total}; it was not put in place.");
                }
            }
            Replace(part, target);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new DropTransportException(DropTransportErrorKind.PermissionDenied, $"No right to write {target}: give this account write access to the folder.", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DropTransportException(DropTransportErrorKind.NoSpace, $"Writing {target} failed ({ex.Message}): check free space and rights. The partial copy is kept to resume.", ex);
        }
    }

    /// <summary>A partial copy is continued only if its bytes are those of the source (checked by hash of the prefix).</summary>
    private static bool PrefixMatches(FileStream input, FileStream output)
    {
        if (output.Length == 0) return true;
        using var a = SHA256.Create();
        using var b = SHA256.Create();
        return HashPrefix(a, input, output.Length).SequenceEqual(HashPrefix(b, output, output.Length));
    }

    private static byte[] HashPrefix(HashAlgorithm hash, Stream stream, long length)
    {
        stream.Position = 0;
        var buffer = new byte[BufferSize];
        var left = length;
        while (left > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read <= 0) break;
            hash.TransformBlock(buffer, 0, read, null, 0);
            left -= read;
        }
        hash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return hash.Hash!;
    }

    private static void Replace(string source, string target)
    {
        if (File.Exists(target)) File.Delete(target);
        File.Move(source, target);
    }

    private T Guard<T>(Func<T> action, DropPath path)
    {
        try
        {
            return action();
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new DropTransportException(DropTransportErrorKind.PermissionDenied, $"No right to change {path} in {_root}: give this account write access to the drop folder.", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new DropTransportException(DropTransportErrorKind.Protocol, $"{path} in {_root}: {ex.Message}", ex);
        }
    }

    private void Guard(Action action, DropPath path) => Guard(() => { action(); return true; }, path);

    public void Dispose() { }
}
