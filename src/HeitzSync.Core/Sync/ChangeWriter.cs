using System.Text;
using HeitzSync.Core.Capture;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Sync;

/// <summary>Writes the change stream (<see cref="ChangePayload"/>) into a package payload, value by value.</summary>
internal sealed class ChangeWriter
{
    private const int BlobChunk = 64 * 1024;
    private readonly BinaryWriter _out;
    private readonly byte[] _blobBuffer = new byte[BlobChunk];
    private SectionKind _section = SectionKind.End;

    public ChangeWriter(Stream payload, string schemaText)
    {
        _out = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true);
        _out.Write(ChangePayload.Magic);
        _out.Write(ChangePayload.Version);
        _out.Write(schemaText);
    }

    public void BeginSection(SectionKind kind, SyncTable table, IReadOnlyList<SyncColumn> columns)
    {
        if (_section != SectionKind.End) throw new InvalidOperationException("The previous section was not ended.");
        _section = kind;
        _out.Write((byte)kind);
        _out.Write(table.Name);
        _out.Write(columns.Count);
        foreach (var column in columns)
        {
            _out.Write(column.Name);
        }
    }

    public void BeginRow(long sequence, DateTime changedAtUtc, string origin, long baseSequence)
    {
        _out.Write((byte)1);
        _out.Write(sequence);
        _out.Write(changedAtUtc.Ticks);
        _out.Write(origin);
        _out.Write(baseSequence);
    }

    /// <summary>Copies column <paramref name="ordinal"/> of the current reader row, as exact bytes for text.</summary>
    public void WriteValue(FbDataReader reader, int ordinal, SyncColumn column)
    {
        if (reader.IsDBNull(ordinal))
        {
            _out.Write((byte)ValueTag.Null);
            return;
        }
        switch (column.CarriedType)
        {
            case FbDbType.SmallInt:
                _out.Write((byte)ValueTag.Int16); _out.Write(reader.GetInt16(ordinal)); break;
            case FbDbType.Integer:
                _out.Write((byte)ValueTag.Int32); _out.Write(reader.GetInt32(ordinal)); break;
            case FbDbType.BigInt:
                _out.Write((byte)ValueTag.Int64); _out.Write(reader.GetInt64(ordinal)); break;
            case FbDbType.Numeric:
                _out.Write((byte)ValueTag.Decimal); _out.Write(reader.GetDecimal(ordinal)); break;
            case FbDbType.Float:
                _out.Write((byte)ValueTag.Single); _out.Write((float)reader.GetDouble(ordinal)); break;
            case FbDbType.Double:
                _out.Write((byte)ValueTag.Double); _out.Write(reader.GetDouble(ordinal)); break;
            case FbDbType.Char:
            case FbDbType.VarChar:
                var bytes = reader.GetBytes(ordinal);
                _out.Write((byte)ValueTag.RawText); _out.Write(bytes.Length); _out.Write(bytes); break;
            case FbDbType.Date:
                _out.Write((byte)ValueTag.Date); _out.Write(reader.GetDateTime(ordinal).Ticks); break;
            case FbDbType.Time:
                _out.Write((byte)ValueTag.Time); _out.Write(reader.GetTimeSpan(ordinal).Ticks); break;
            case FbDbType.Timestamp:
                _out.Write((byte)ValueTag.Timestamp); _out.Write(reader.GetDateTime(ordinal).Ticks); break;
            case FbDbType.Boolean:
                _out.Write((byte)ValueTag.Boolean); _out.Write(reader.GetBoolean(ordinal)); break;
            case FbDbType.Blob:
            case FbDbType.TextBlob:
                _out.Write((byte)ValueTag.Blob);
                using (var blob = reader.OpenBlob(ordinal))
                {
                    int read;
                    while ((read = blob.Read(_blobBuffer, 0, _blobBuffer.Length)) > 0)
                    {
                        _out.Write(read);
                        _out.Write(_blobBuffer, 0, read);
                    }
                }
                _out.Write(0);
                break;
            default:
                throw new NotSupportedException($"Column {column.Name} has type {column.Type}, which HeitzSync cannot carry.");
        }
    }

    public void EndSection()
    {
        _out.Write((byte)0);
        _section = SectionKind.End;
    }

    /// <summary>Ends the stream; the package writer then seals it.</summary>
    public void Complete()
    {
        if (_section != SectionKind.End) throw new InvalidOperationException("A section is still open.");
        _out.Write((byte)SectionKind.End);
        _out.Flush();
    }
}
