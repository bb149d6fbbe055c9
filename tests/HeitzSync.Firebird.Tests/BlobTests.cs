using System.Security.Cryptography;
using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class BlobTests : DatabaseTest
{
    public BlobTests(FirebirdServerFixture server) : base(server) { }

    /// <summary>A stream that makes its bytes as it is read (in odd-sized pieces), so the test itself never holds them all.</summary>
    internal sealed class GeneratedStream : Stream
    {
        private readonly long _length;
        private long _position;
        public GeneratedStream(long length) => _length = length;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(Math.Min(count, 7777), _length - _position);
            for (var i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) * 31 % 251);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(Mode.Embedded)]
    [InlineData(Mode.Server)]
    public void A_20_MB_blob_is_streamed_in_and_out_intact_without_being_held_in_memory(Mode mode)
    {
        const long size = 20L * 1024 * 1024;
        using var db = Create(mode);
        db.ExecuteInNewTransaction("CREATE TABLE B (ID INTEGER NOT NULL PRIMARY KEY, DATA BLOB SUB_TYPE BINARY)");
        byte[] expected;
        using (var sha = SHA256.Create())
        using (var source = new GeneratedStream(size))
        {
            expected = sha.ComputeHash(source);
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long peakHeap = 0;
        db.ExecuteInNewTransaction("INSERT INTO B VALUES (1, ?)", new GeneratedStream(size));
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
        using var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT DATA FROM B");
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        using var sha2 = SHA256.Create();
        using var blob = reader.OpenBlob(0);
        var buffer = new byte[81920];
        int read;
        while ((read = blob.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha2.TransformBlock(buffer, 0, read, null, 0);
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
        }
        sha2.TransformFinalBlock(buffer, 0, 0);
        Assert.Equal(expected, sha2.Hash);
        Assert.Equal(size, blob.Position);
        // Streamed in 32 KB segments: not one copy of the blob is allocated, in total, on the way in and out.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < size / 2, $"{allocated} bytes allocated while streaming a {size}-byte blob: it went through memory");
        Assert.True(peakHeap < 200L * 1024 * 1024, $"managed heap reached {peakHeap} bytes");
    }

    [Fact]
    public void A_blob_stream_ends_with_its_row_its_reader_or_its_transaction()
    {
        using var db = Create(Mode.Embedded);
        db.ExecuteInNewTransaction("CREATE TABLE B (ID INTEGER NOT NULL PRIMARY KEY, DATA BLOB, NOTE BLOB SUB_TYPE TEXT)");
        db.ExecuteInNewTransaction("INSERT INTO B VALUES (1, ?, ?)", new byte[100_000], "first");
        db.ExecuteInNewTransaction("INSERT INTO B VALUES (2, ?, ?)", new byte[] { 1, 2, 3 }, new string('n', 100_000));
        var tx = db.BeginTransaction();
        using var command = db.Prepare(tx, "SELECT DATA, NOTE FROM B ORDER BY ID");
        var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        var first = reader.OpenBlob(0);
        Assert.Equal(0, first.ReadByte());
        Assert.Equal("first", reader.GetString(1));
        Assert.True(reader.Read());
        Assert.Throws<ObjectDisposedException>(() => first.ReadByte());   // valid until the next Read()
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.GetBytes(0));
        Assert.Equal(100_000, reader.GetString(1).Length);
        var second = reader.OpenBlob(0);
        tx.Commit();                                                       // the transaction closes its blobs
        Assert.Throws<ObjectDisposedException>(() => second.ReadByte());
        reader.Dispose();
        tx.Dispose();
    }
}
