using System.Text;

namespace HeitzSync.Core.Sync;

/// <summary>
/// The binary change stream inside a delta package. Written and read strictly in sequence, so a package of any
/// size moves through constant memory (blobs travel in chunks).
/// <code>
/// "HZCH" version:byte  schemaText:string
/// section*  (kind:byte 1=upserts 2=deletes, table:string, columnCount:int, columnName:string*, row*, 0:byte)
/// row       = 1:byte seq:long changedAtTicks:long origin:string baseSeq:long value*   (upserts: every carried column; deletes: key columns)
///             (an additive column holds a running total, as Int64 or Decimal; local columns are not carried)
/// 0:byte    end of stream
/// value     = tag:byte data (see <see cref="ValueTag"/>); blob data = (length:int bytes)* 0:int
/// </code>
/// </summary>
internal static class ChangePayload
{
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("HZCH");
    public const byte Version = 1;
}

internal enum SectionKind : byte
{
    End = 0,
    Upserts = 1,
    Deletes = 2,
}

internal enum ValueTag : byte
{
    Null = 0,
    Int16 = 1,
    Int32 = 2,
    Int64 = 3,
    Decimal = 4,
    Double = 5,
    Single = 6,
    RawText = 7,
    Date = 8,
    Time = 9,
    Timestamp = 10,
    Boolean = 11,
    Blob = 12,
}

/// <summary>One changed row as carried by a package: who changed it, when, on which base, and its values.</summary>
internal sealed class ChangeHeader
{
    public long Sequence { get; set; }
    public DateTime ChangedAtUtc { get; set; }
    public string Origin { get; set; } = "";
    public long BaseSequence { get; set; }
}
