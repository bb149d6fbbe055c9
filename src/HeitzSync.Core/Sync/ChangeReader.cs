using System.Text;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>Reads a change stream written by <see cref="ChangeWriter"/>, section by section and row by row.</summary>
internal sealed class ChangeReader : IDisposable
{
    /// <summary>Blobs up to this size are kept in memory while their row is applied; larger ones go through a temporary file.</summary>
    private const int InMemoryBlobLimit = 4 * 1024 * 1024;

    private readonly BinaryReader _in;
    private readonly List<Stream> _openBlobs = new();

    public ChangeReader(Stream payload)
    {
        _in = new BinaryReader(payload, Encoding.UTF8, leaveOpen: true);
        var magic = _in.ReadBytes(ChangePayload.Magic.Length);
        if (!magic.SequenceEqual(ChangePayload.Magic))
        {
            throw new InvalidDataException("The package payload is not a HeitzSync change stream.");
        }
        var version = _in.ReadByte();
        if (version != ChangePayload.Version)
        {
            throw new InvalidDataException($"The change stream has format version {version}; this HeitzSync reads version {ChangePayload.Version}. Update every node to the same module version.");
        }
        SchemaText = _in.ReadString();
    }

    public string SchemaText { get; }

    public SectionKind SectionKind { get; private set; }
    public string TableName { get; private set; } = "";
    public IReadOnlyList<string> ColumnNames { get; private set; } = Array.Empty<string>();

    /// <summary>Moves to the next section; false at the end of the stream.</summary>
    public bool NextSection()
    {
        var kind = (SectionKind)_in.ReadByte();
        if (kind == SectionKind.End)
        {
            SectionKind = SectionKind.End;
            return false;
        }
        if (kind != SectionKind.Upserts && kind != SectionKind.Deletes)
        {
            throw new InvalidDataException($"Unknown section kind {(byte)kind} in the change stream.");
        }
        SectionKind = kind;
        TableName = _in.ReadString();
        var count = _in.ReadInt32();
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = _in.ReadString();
        }
        ColumnNames = names;
        return true;
    }

    /// <summary>Reads the next row of the section into <paramref name="values"/> (one per column); false at its end.
    /// Blob values are streams valid until the next call.</summary>
    public bool NextRow(ChangeHeader header, object?[] values)
    {
        ReleaseBlobs();
        var marker = _in.ReadByte();
        if (marker == 0) return false;
        if (marker != 1) throw new InvalidDataException($"Unexpected row marker {marker} in the change stream.");
        header.Sequence = _in.ReadInt64();
        header.ChangedAtUtc = new DateTime(_in.ReadInt64(), DateTimeKind.Utc);
        header.Origin = _in.ReadString();
        header.BaseSequence = _in.ReadInt64();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ReadValue();
        }
        return true;
    }

    /// <summary>The blob streams of the current row, which the caller now owns (the next row no longer releases them):
    /// a row that waits in an apply batch keeps its blobs until the batch has run.</summary>
    public IReadOnlyList<Stream> TakeBlobs()
    {
        if (_openBlobs.Count == 0) return Array.Empty<Stream>();
        var blobs = _openBlobs.ToList();
        _openBlobs.Clear();
        return blobs;
    }

    /// <summary>After the end marker, reads the payload to its very end so the package's length and SHA-256 check
    /// runs before anything is committed; bytes after the end marker are an error.</summary>
    public void VerifyEnd()
    {
        if (SectionKind != SectionKind.End) throw new InvalidOperationException("The change stream was not read to its end marker.");
        var extra = new byte[4096];
        if (_in.BaseStream.Read(extra, 0, extra.Length) > 0)
        {
            throw new InvalidDataException("The change stream has bytes after its end marker.");
        }
    }

    private object? ReadValue()
    {
        var tag = (ValueTag)_in.ReadByte();
        switch (tag)
        {
            case ValueTag.Null: return null;
            case ValueTag.Int16: return _in.ReadInt16();
            case ValueTag.Int32: return _in.ReadInt32();
            case ValueTag.Int64: return _in.ReadInt64();
            case ValueTag.Decimal: return _in.ReadDecimal();
            case ValueTag.Double: return _in.ReadDouble();
            case ValueTag.Single: return _in.ReadSingle();
            case ValueTag.RawText:
                var length = _in.ReadInt32();
                return new FbRawText(ReadExactly(length));
            case ValueTag.Date:
            case ValueTag.Timestamp: return new DateTime(_in.ReadInt64(), DateTimeKind.Unspecified);
            case ValueTag.Time: return new TimeSpan(_in.ReadInt64());
            case ValueTag.Boolean: return _in.ReadBoolean();
            case ValueTag.Blob: return ReadBlob();
            default: throw new InvalidDataException($"Unknown value tag {(byte)tag} in the change stream.");
        }
    }

    private byte[] ReadExactly(int length)
    {
        var bytes = _in.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException("The change stream ended inside a value.");
        return bytes;
    }

    private Stream ReadBlob()
    {
        Stream target = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int chunk;
        while ((chunk = _in.ReadInt32()) > 0)
        {
            if (target is MemoryStream memory && memory.Length + chunk > InMemoryBlobLimit)
            {
                var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
                memory.Position = 0;
                memory.CopyTo(file);
                target = file;
            }
            var left = chunk;
            while (left > 0)
            {
                var read = _in.Read(buffer, 0, Math.Min(left, buffer.Length));
                if (read <= 0) throw new EndOfStreamException("The change stream ended inside a blob.");
                target.Write(buffer, 0, read);
                left -= read;
            }
        }
        target.Position = 0;
        _openBlobs.Add(target);
        return target;
    }

    private void ReleaseBlobs()
    {
        foreach (var blob in _openBlobs)
        {
            blob.Dispose();
        }
        _openBlobs.Clear();
    }

    public void Dispose()
    {
        ReleaseBlobs();
        _in.Dispose();
    }
}
