using HeitzSync.Core.Transport;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Transport;

public class FolderDropTransportTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-folder");

    [Fact]
    public async Task The_folder_drop_keeps_the_transport_contract()
    {
        var root = _temp.File("drop");
        using var drop = new FolderDropTransport(root);
        await DropContract.Verify(drop, root, _temp);
    }

    [Fact]
    public async Task A_partial_copy_is_resumed_when_its_bytes_match_and_restarted_when_they_do_not()
    {
        var root = _temp.File("drop");
        using var drop = new FolderDropTransport(root);
        var source = _temp.File("big.bin");
        var bytes = new byte[2_000_000];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(source, bytes);
        Directory.CreateDirectory(Path.Combine(root, "A1"));
        File.WriteAllBytes(Path.Combine(root, "A1", "big.bin.part"), bytes.Take(1_500_000).ToArray());
        var progress = new List<TransferProgress>();
        await drop.UploadAsync(source, DropPath.Of("A1", "big.bin"), new InlineProgress<TransferProgress>(progress.Add), CancellationToken.None);
        Assert.True(progress.First().BytesDone > 1_500_000, "the copy resumed where the partial one stopped");
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(root, "A1", "big.bin")));

        var wrong = bytes.Take(1_000_000).ToArray();
        wrong[10] ^= 1;
        File.WriteAllBytes(Path.Combine(root, "A1", "again.bin.part"), wrong);
        await drop.UploadAsync(source, DropPath.Of("A1", "again.bin"), null, CancellationToken.None);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(root, "A1", "again.bin")));
    }

    public void Dispose() => _temp.Dispose();
}
