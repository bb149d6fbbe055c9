using System.Security.Cryptography;
using HeitzSync.Firebird;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

[Collection("firebird")]
[Trait("Category", "Firebird")]
public class BlobTests : DatabaseTest
{
    public BlobTests(FirebirdServerFixture server) : base(server) { }

    /// <summary>A stream that makes its bytes as it is read (in odd-sized pieces), so the test itself never holds them all;
    /// <paramref name="afterRead"/> hears the total handed out after each piece.</summary>
    internal sealed class GeneratedStream : Stream
    {
        private readonly long _length;
        private readonly Action<long>? _afterRead;
        private long _position;
        public GeneratedStream(long length, Action<long>? afterRead = null)
        {
            _length = length;
            _afterRead = afterRead;
        }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(Math.Min(count, 7777), _length - _position);
            for (var i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) * 31 % 251);
            _position += n;
            if (n > 0) _afterRead?.Invoke(_position);
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

        // What the process holds at each quarter of the blob, on the way in and on the way out, over what it held before:
        // the managed heap after a full, blocking collection, so garbage never counts (its amount depends on the host's
        // GC budget).
        var held = new List<(string Way, long Growth)>();
        string way = "in";
        long before = 0, nextCheck = 0;
        void Start(string direction)
        {
            way = direction;
            nextCheck = size / 4;
            before = GC.GetTotalMemory(forceFullCollection: true);
        }
        void AtQuarters(long done)
        {
            if (done < nextCheck) return;
            nextCheck += size / 4;
            held.Add((way, GC.GetTotalMemory(forceFullCollection: true) - before));
        }
        Start("in");
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        db.ExecuteInNewTransaction("INSERT INTO B VALUES (1, ?)", new GeneratedStream(size, AtQuarters));
        var allocatedIn = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Start("out");
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
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
            AtQuarters(blob.Position);
        }
        sha2.TransformFinalBlock(buffer, 0, 0);
        var allocated = allocatedIn + GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(expected, sha2.Hash);
        Assert.Equal(size, blob.Position);
        // Streamed in 32 KB segments: not one copy of the blob is allocated, in total, on the way in and out (counted on
        // this thread, where the client library is called: what other threads do never counts) ...
        Assert.True(allocated < size / 2, $"{allocated} bytes allocated while streaming a {size}-byte blob: it went through memory");
        // ... nor held at any quarter of the way (a quarter of the blob would be held after its first quarter already).
        Assert.Equal(new[] { "in", "in", "in", "in", "out", "out", "out", "out" }, held.Select(h => h.Way));
        Assert.All(held, h => Assert.True(h.Growth < size / 8, $"the process held {h.Growth} more bytes than before, on the way {h.Way}: {string.Join(", ", held)}"));
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
