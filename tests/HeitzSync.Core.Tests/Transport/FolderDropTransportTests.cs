using System.Diagnostics;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>The transport contract against a real folder (the Siège's own view, LAN shares, the demo).</summary>
public sealed class FolderDropContractTests : DropContract
{
    protected override string DropOnDisk => Local.File("drop");

    protected override IDropTransport CreateDrop() => new FolderDropTransport(DropOnDisk);
}

/// <summary>What only a folder drop does: its own errors, on a real (small) file system.</summary>
public sealed class FolderDropTransportTests : IDisposable
{
    private readonly Testing.TempFolder _temp = new("hz-folder");

    [Fact]
    public async Task A_full_disk_is_told_as_such_and_nothing_truncated_is_put_in_place()
    {
        var small = _temp.File("small");
        Directory.CreateDirectory(small);
        Assert.True(Run("mount", $"-t tmpfs -o size=512k tmpfs {small}") == 0, "mounting a 512 KB tmpfs needs root (the tests run as root in CI)");
        try
        {
            using var drop = new FolderDropTransport(small);
            var file = _temp.File("big.hzp");
            await File.WriteAllBytesAsync(file, new byte[3 * 1024 * 1024]);
            var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(file, DropPath.Of("A1", "big.hzp"), null, CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.NoSpace, error.Kind);
            Assert.Contains("full", error.Message);
            Assert.False(File.Exists(Path.Combine(small, "A1", "big.hzp")));
        }
        finally
        {
            Run("umount", small);
        }
    }

    [Fact]
    public async Task A_read_only_drop_is_refused_as_a_missing_right_and_nothing_is_left_behind()
    {
        var locked = _temp.File("locked");
        Directory.CreateDirectory(Path.Combine(locked, "A1"));
        // The tests run as root, which file modes do not stop: a read-only bind mount does.
        Assert.True(Run("mount", $"--bind {locked} {locked}") == 0 && Run("mount", $"-o remount,ro,bind {locked}") == 0, "a read-only bind mount needs root");
        try
        {
            using var drop = new FolderDropTransport(locked);
            var file = _temp.File("p.hzp");
            await File.WriteAllBytesAsync(file, new byte[1000]);
            var error = await Assert.ThrowsAsync<DropTransportException>(() => drop.UploadAsync(file, DropPath.Of("A1", "p.hzp"), null, CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.PermissionDenied, error.Kind);
            Assert.Contains(locked, error.Message);
            var small = await Assert.ThrowsAsync<DropTransportException>(() => drop.WriteSmallFileAsync(DropPath.Of("A1", "ack.json"), new byte[1], CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.PermissionDenied, small.Kind);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(locked, "A1")));
        }
        finally
        {
            Run("umount", locked);
        }
    }

    private static int Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose() => _temp.Dispose();
}
