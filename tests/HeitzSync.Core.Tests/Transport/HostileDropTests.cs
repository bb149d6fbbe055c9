using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using HeitzSync.Core.Runs;
using HeitzSync.Core.Transport;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>
/// Issue 14: a folder drop as someone with write access to a site's folder leaves it: links (to /dev/zero, to a secret,
/// to another folder) and FIFOs where packages and folders should be. None is followed, opened, listed, deleted through
/// or written through; each is noted once and the rest of the drop works. Real files, links and FIFOs.
/// </summary>
[Trait("Category", "Hostile")]
[UnsupportedOSPlatform("windows")] // symlinks and FIFOs as a site account makes them on Linux
public sealed class HostileDropTests : IDisposable
{
    private readonly Testing.TempFolder _temp = new("hz-hostile-drop");
    private readonly string _drop;
    private readonly string _outside;

    public HostileDropTests()
    {
        _drop = _temp.File("drop");
        _outside = _temp.File("elsewhere");
        Directory.CreateDirectory(Path.Combine(_drop, "LYON01", "up"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.key"), "not for the drop");
    }

    private static void MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>Runs a drop call that must end (a FIFO opened for reading would block it for ever).</summary>
    private static T Ends<T>(Func<Task<T>> call)
    {
        var task = Task.Run(call);
        Assert.True(Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))).GetAwaiter().GetResult() == task, "the drop call blocked: a FIFO or a device was opened");
        return task.GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Links_and_FIFOs_among_the_packages_are_left_alone_and_noted_once()
    {
        var up = Path.Combine(_drop, "LYON01", "up");
        File.WriteAllBytes(Path.Combine(up, "LYON01_20261122T020000Z_d_1-2.hzp"), new byte[] { 1, 2, 3 });
        File.CreateSymbolicLink(Path.Combine(up, "LYON01_20261122T020000Z_d_2-3.hzp"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(up, "LYON01_20261122T020000Z_d_3-4.hzp"), Path.Combine(_outside, "secret.key"));
        MakeFifo(Path.Combine(up, "LYON01_20261122T020000Z_d_4-5.hzp"));
        File.WriteAllText(Path.Combine(up, "what is this.hzp"), "x");
        File.CreateSymbolicLink(Path.Combine(_drop, "LYON01", "ack.json"), Path.Combine(_outside, "secret.key"));
        using var drop = new FolderDropTransport(_drop);

        var listed = Ends(() => drop.ListAsync(DropPath.Of("LYON01", "up"), CancellationToken.None));
        Ends(() => drop.ListAsync(DropPath.Of("LYON01", "up"), CancellationToken.None));
        Assert.Equal(new[] { "LYON01_20261122T020000Z_d_1-2.hzp" }, listed.Select(e => e.Name));
        var refused = drop.Refused;
        Assert.Equal(4, refused.Count);   // each once, however often the folder is listed
        Assert.Contains(refused, r => r.Contains("d_2-3.hzp", StringComparison.Ordinal) && r.Contains("is a link", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Contains("d_3-4.hzp", StringComparison.Ordinal) && r.Contains("is a link", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Contains("d_4-5.hzp", StringComparison.Ordinal) && r.Contains("special file", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Contains("'what is this.hzp'", StringComparison.Ordinal));

        // Asked for by name (a race, or a caller that did not list): refused, never opened.
        foreach (var name in new[] { "LYON01_20261122T020000Z_d_2-3.hzp", "LYON01_20261122T020000Z_d_4-5.hzp" })
        {
            var error = Assert.Throws<DropTransportException>(() =>
                Ends(() => drop.DownloadAsync(DropPath.Of("LYON01", "up", name), _temp.File("in-" + name), null, CancellationToken.None)));
            Assert.Equal(DropTransportErrorKind.Refused, error.Kind);
            Assert.False(File.Exists(_temp.File("in-" + name)));
        }
        var secret = await Assert.ThrowsAsync<DropTransportException>(() => drop.ReadSmallFileAsync(DropPath.Of("LYON01", "ack.json"), CancellationToken.None));
        Assert.Equal(DropTransportErrorKind.Refused, secret.Kind);
        Assert.DoesNotContain("not for the drop", secret.Message);

        // The Siège's next ack.json replaces the link itself; the secret is untouched.
        await drop.WriteSmallFileAsync(DropPath.Of("LYON01", "ack.json"), Encoding.UTF8.GetBytes("{}"), CancellationToken.None);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(_drop, "LYON01", "ack.json")));
        Assert.Equal("not for the drop", File.ReadAllText(Path.Combine(_outside, "secret.key")));
    }

    [Fact]
    public async Task A_folder_linked_elsewhere_is_never_listed_written_or_deleted_through_nor_tidied()
    {
        var victim = Path.Combine(_outside, "LYON01_20261122T020000Z_s.hzp");
        File.WriteAllText(victim, "the other folder's file");
        var stale = Path.Combine(_outside, "old.hzp.part");
        File.WriteAllText(stale, "someone else's partial file");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-3));
        Directory.CreateSymbolicLink(Path.Combine(_drop, "LYON01", "down"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_drop, "EVIL"), _outside);
        File.CreateSymbolicLink(Path.Combine(_drop, "LYON01", "up", "x.hzp.part"), Path.Combine(_outside, "secret.key"));
        File.SetLastWriteTimeUtc(Path.Combine(_outside, "secret.key"), DateTime.UtcNow.AddDays(-3));
        MakeFifo(Path.Combine(_drop, "LYON01", "up", "y.hzp.part"));
        var package = _temp.File("LYON01_20261123T020000Z_s.hzp");
        File.WriteAllText(package, "tonight's package");
        using var drop = new FolderDropTransport(_drop);
        var down = DropPath.Of("LYON01", "down");

        foreach (var call in new Func<Task>[]
        {
            () => drop.ListAsync(down, CancellationToken.None),
            () => drop.CreateFolderAsync(down, CancellationToken.None),
            () => drop.UploadAsync(package, down.Append("LYON01_20261123T020000Z_s.hzp"), null, CancellationToken.None),
            () => drop.DeleteAsync(down.Append("LYON01_20261122T020000Z_s.hzp"), CancellationToken.None),
            () => drop.MoveAsync(down.Append("LYON01_20261122T020000Z_s.hzp"), DropPath.Of("LYON01", "kept.hzp"), CancellationToken.None),
        })
        {
            var error = await Assert.ThrowsAsync<DropTransportException>(call);
            Assert.Equal(DropTransportErrorKind.Refused, error.Kind);
            Assert.Contains("LYON01/down", error.Message);
        }

        // The start-of-run tidying removes stale partial files of the drop, never through a link, never a FIFO.
        var removed = Ends(() => Task.FromResult(StaleParts.Clean(_drop, StaleParts.MaxAge, DateTime.UtcNow)));
        Assert.Empty(removed);
        Assert.Equal(new[] { "LYON01_20261122T020000Z_s.hzp", "old.hzp.part", "secret.key" }, Directory.GetFiles(_outside).Select(Path.GetFileName).Order());
        Assert.Equal("the other folder's file", File.ReadAllText(victim));
        Assert.Equal("not for the drop", File.ReadAllText(Path.Combine(_outside, "secret.key")));
    }

    [Fact]
    public async Task A_partial_file_placed_as_a_link_is_replaced_never_written_through()
    {
        File.CreateSymbolicLink(Path.Combine(_drop, "LYON01", "up", "LYON01_20261123T020000Z_d_1-2.hzp.part"), Path.Combine(_outside, "secret.key"));
        var package = _temp.File("LYON01_20261123T020000Z_d_1-2.hzp");
        File.WriteAllText(package, "tonight's changes");
        using var drop = new FolderDropTransport(_drop);

        await drop.UploadAsync(package, DropPath.Of("LYON01", "up", "LYON01_20261123T020000Z_d_1-2.hzp"), null, CancellationToken.None);

        Assert.Equal("tonight's changes", File.ReadAllText(Path.Combine(_drop, "LYON01", "up", "LYON01_20261123T020000Z_d_1-2.hzp")));
        Assert.Equal("not for the drop", File.ReadAllText(Path.Combine(_outside, "secret.key")));
    }

    [Fact]
    public async Task A_site_never_creates_the_drop_root_and_says_which_path_is_missing()
    {
        var typo = _temp.File("siege-drop-typo");
        using var drop = new FolderDropTransport(typo, mayCreateRoot: false);
        foreach (var call in new Func<Task>[]
        {
            () => drop.ListAsync(DropPath.Root, CancellationToken.None),
            () => drop.CreateFolderAsync(DropPath.Of("LYON01", "up"), CancellationToken.None),
            () => drop.WriteSmallFileAsync(DropPath.Of("LYON01", "up", "probe.tmp"), new byte[1], CancellationToken.None),
        })
        {
            var error = await Assert.ThrowsAsync<DropTransportException>(call);
            Assert.Equal(DropTransportErrorKind.NotFound, error.Kind);
            Assert.Contains(typo + " does not exist", error.Message);
        }
        Assert.False(Directory.Exists(typo));
    }

    [Fact]
    public async Task A_full_disk_under_a_small_file_is_said_so_without_promising_a_partial_copy_to_resume()
    {
        var small = _temp.File("small");
        Directory.CreateDirectory(small);
        using (var mount = Process.Start(new ProcessStartInfo("mount", $"-t tmpfs -o size=4k tmpfs {small}") { UseShellExecute = false })!)
        {
            mount.WaitForExit();
            Assert.True(mount.ExitCode == 0, "mounting a 4 KB tmpfs needs root (the tests run as root in CI)");
        }
        try
        {
            File.WriteAllBytes(Path.Combine(small, "filler"), new byte[4096]);
            Directory.CreateDirectory(Path.Combine(small, "LYON01"));
            using var drop = new FolderDropTransport(small);
            var error = await Assert.ThrowsAsync<DropTransportException>(() =>
                drop.WriteSmallFileAsync(DropPath.Of("LYON01", "ack.json"), new byte[8192], CancellationToken.None));
            Assert.Equal(DropTransportErrorKind.NoSpace, error.Kind);
            Assert.Contains("is full", error.Message);
            Assert.DoesNotContain("partial copy", error.Message);
            Assert.Contains("nothing was changed", error.Message);
        }
        finally
        {
            using var unmount = Process.Start(new ProcessStartInfo("umount", small) { UseShellExecute = false })!;
            unmount.WaitForExit();
        }
    }

    public void Dispose() => _temp.Dispose();
}
