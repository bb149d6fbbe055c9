using System.Security.Cryptography;
using System.Text;
using HeitzSync.Core.Transport;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Transport;

/// <summary>What every drop transport must do, run against a real folder and a real FTPS server alike.</summary>
internal static class DropContract
{
    public static async Task Verify(IDropTransport drop, string dropRootOnDisk, TempFolder local)
    {
        var ct = CancellationToken.None;
        var up = DropPath.Of("LYON01", "up");
        Assert.Empty(await drop.ListAsync(up, ct));   // a missing folder lists empty
        await drop.CreateFolderAsync(up, ct);
        await drop.CreateFolderAsync(up, ct);          // twice is fine

        var file = local.File("package.hzp");
        var bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(3).NextBytes(bytes);
        await File.WriteAllBytesAsync(file, bytes, ct);
        var progress = new List<TransferProgress>();
        await drop.UploadAsync(file, up.Append("package.hzp"), new InlineProgress<TransferProgress>(progress.Add), ct);
        Assert.Equal(bytes.Length, progress.Last().BytesDone);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dropRootOnDisk, "LYON01", "up", "package.hzp"), ct));
        Assert.False(File.Exists(Path.Combine(dropRootOnDisk, "LYON01", "up", "package.hzp.part")));

        await File.WriteAllTextAsync(Path.Combine(dropRootOnDisk, "LYON01", "up", "half.hzp.part"), "being written", ct);
        var listed = await drop.ListAsync(up, ct);
        var entry = Assert.Single(listed);   // .part files are not listed
        Assert.Equal(("package.hzp", (long)bytes.Length), (entry.Name, entry.Length));

        var back = local.File("back.hzp");
        await drop.DownloadAsync(up.Append("package.hzp"), back, null, ct);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(back, ct)));

        var ack = DropPath.Of("LYON01", "ack.json");
        Assert.Null(await drop.ReadSmallFileAsync(ack, ct));
        await drop.WriteSmallFileAsync(ack, Encoding.UTF8.GetBytes("{\"sequence\": 1}"), ct);
        await drop.WriteSmallFileAsync(ack, Encoding.UTF8.GetBytes("{\"sequence\": 2}"), ct);   // replaced atomically
        Assert.Equal("{\"sequence\": 2}", Encoding.UTF8.GetString((await drop.ReadSmallFileAsync(ack, ct))!));

        await drop.CreateFolderAsync(DropPath.Of("LYON01", "quarantine"), ct);
        await drop.MoveAsync(up.Append("package.hzp"), DropPath.Of("LYON01", "quarantine", "package.hzp"), ct);
        Assert.True(File.Exists(Path.Combine(dropRootOnDisk, "LYON01", "quarantine", "package.hzp")));
        await drop.DeleteAsync(DropPath.Of("LYON01", "quarantine", "package.hzp"), ct);
        await drop.DeleteAsync(DropPath.Of("LYON01", "quarantine", "package.hzp"), ct);   // already gone: no error
        Assert.False(File.Exists(Path.Combine(dropRootOnDisk, "LYON01", "quarantine", "package.hzp")));
        Assert.DoesNotContain("Ftp-Test-Pass", drop.Description);
    }
}
