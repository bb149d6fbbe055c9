using System.Runtime.InteropServices;
using System.Text;

namespace HeitzSync.Firebird.Native;

/// <summary>
/// An XSQLDA (SQLDA_VERSION1) in unmanaged memory with one data buffer and one null indicator per variable.
/// Layout on 64-bit platforms: header 24 bytes (version, sqldaid[8], sqldabc, sqln, sqld), then XSQLVARs of 160
/// bytes: sqltype@0 sqlscale@2 sqlsubtype@4 sqllen@6 sqldata@8 sqlind@16 sqlname_length@24 sqlname@26
/// relname_length@58 relname@60 ownname_length@92 ownname@94 aliasname_length@126 aliasname@128.
/// </summary>
internal sealed class Sqlda : IDisposable
{
    public const ushort Version1 = 1;
    private const int HeaderSize = 24;
    private const int VarSize = 160;

    public const short SqlText = 452, SqlVarying = 448, SqlShort = 500, SqlLong = 496, SqlFloat = 482, SqlDouble = 480,
        SqlDFloat = 530, SqlTimestamp = 510, SqlBlob = 520, SqlArray = 540, SqlQuad = 550, SqlTime = 560, SqlDate = 570,
        SqlInt64 = 580, SqlBoolean = 32764, SqlNull = 32766;

    // Firebird 4+ types, which a Firebird 3 schema never has: met only against a newer server, and refused by name.
    public const short SqlTimestampTzEx = 32748, SqlTimeTzEx = 32750, SqlInt128 = 32752, SqlTimestampTz = 32754,
        SqlTimeTz = 32756, SqlDec16 = 32760, SqlDec34 = 32762;

    // One data buffer and one null indicator per variable, reused from one execution to the next when big enough.
    private readonly IntPtr[] _data;
    private readonly int[] _dataCapacity;
    private readonly IntPtr[] _indicators;
    private Described[]? _described;

    /// <summary>What describe said about a variable, kept because binding a value rewrites its type.</summary>
    private readonly struct Described
    {
        public Described(short type, short scale, short subType, short length)
        {
            Type = type;
            Scale = scale;
            SubType = subType;
            Length = length;
        }

        public short Type { get; }
        public short Scale { get; }
        public short SubType { get; }
        public short Length { get; }
    }

    public Sqlda(int capacity)
    {
        Capacity = Math.Max(1, capacity);
        Pointer = Marshal.AllocHGlobal(HeaderSize + VarSize * Capacity);
        var zeros = new byte[HeaderSize + VarSize * Capacity];
        Marshal.Copy(zeros, 0, Pointer, zeros.Length);
        Marshal.WriteInt16(Pointer, 0, (short)Version1);
        Marshal.WriteInt16(Pointer, 16, (short)Capacity);
        _data = new IntPtr[Capacity];
        _dataCapacity = new int[Capacity];
        _indicators = new IntPtr[Capacity];
    }

    public IntPtr Pointer { get; private set; }
    public int Capacity { get; }

    /// <summary>Number of variables the statement has (may exceed <see cref="Capacity"/> after a describe).</summary>
    public int Count => Marshal.ReadInt16(Pointer, 18);

    private IntPtr Var(int i) => Pointer + HeaderSize + VarSize * i;

    public short Type(int i) => (short)(Marshal.ReadInt16(Var(i), 0) & ~1);
    public bool Nullable(int i) => (Marshal.ReadInt16(Var(i), 0) & 1) != 0;
    public short Scale(int i) => Marshal.ReadInt16(Var(i), 2);
    public short SubType(int i) => Marshal.ReadInt16(Var(i), 4);
    public short Length(int i) => Marshal.ReadInt16(Var(i), 6);
    public IntPtr Data(int i) => Marshal.ReadIntPtr(Var(i), 8);
    public IntPtr Indicator(int i) => Marshal.ReadIntPtr(Var(i), 16);

    public string Name(int i) => ReadName(Var(i), 126, 128) is { Length: > 0 } alias ? alias : ReadName(Var(i), 24, 26);
    public string Relation(int i) => ReadName(Var(i), 58, 60);

    private static string ReadName(IntPtr var, int lengthOffset, int textOffset)
    {
        var length = Math.Min((int)Marshal.ReadInt16(var, lengthOffset), 32);
        if (length <= 0) return "";
        var bytes = new byte[length];
        Marshal.Copy(var + textOffset, bytes, 0, length);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Remembers the described types, so <see cref="DescribedType"/> and friends stay true after binding.</summary>
    public void KeepDescription()
    {
        _described = new Described[Count];
        for (var i = 0; i < _described.Length; i++)
        {
            _described[i] = new Described(Type(i), Scale(i), SubType(i), Length(i));
        }
    }

    public short DescribedType(int i) => _described is null ? Type(i) : _described[i].Type;
    public short DescribedScale(int i) => _described is null ? Scale(i) : _described[i].Scale;
    public short DescribedSubType(int i) => _described is null ? SubType(i) : _described[i].SubType;
    public short DescribedLength(int i) => _described is null ? Length(i) : _described[i].Length;

    public void SetType(int i, short type, short scale, short subType, short length)
    {
        var v = Var(i);
        Marshal.WriteInt16(v, 0, (short)(type | 1));
        Marshal.WriteInt16(v, 2, scale);
        Marshal.WriteInt16(v, 4, subType);
        Marshal.WriteInt16(v, 6, length);
    }

    /// <summary>Gives every variable a buffer for its described type (output SQLDAs).</summary>
    public void AllocateForDescribed()
    {
        for (var i = 0; i < Count; i++)
        {
            var size = Type(i) == SqlVarying ? Length(i) + 2 : Math.Max((int)Length(i), 1);
            Allocate(i, size);
        }
    }

    /// <summary>Points variable <paramref name="i"/> at a buffer of at least <paramref name="size"/> bytes and a null indicator (cleared).</summary>
    public IntPtr Allocate(int i, int size)
    {
        if (i >= Capacity) throw new ArgumentOutOfRangeException(nameof(i));
        size = Math.Max(size, 8);
        if (_dataCapacity[i] < size)
        {
            if (_data[i] != IntPtr.Zero) Marshal.FreeHGlobal(_data[i]);
            _data[i] = IntPtr.Zero;
            _dataCapacity[i] = 0;
            _data[i] = Marshal.AllocHGlobal(size);
            _dataCapacity[i] = size;
        }
        if (_indicators[i] == IntPtr.Zero) _indicators[i] = Marshal.AllocHGlobal(2);
        Marshal.WriteInt16(_indicators[i], 0);
        Marshal.WriteIntPtr(Var(i), 8, _data[i]);
        Marshal.WriteIntPtr(Var(i), 16, _indicators[i]);
        return _data[i];
    }

    public bool IsNull(int i) => Marshal.ReadInt16(Indicator(i)) == -1;

    public void SetNull(int i, bool isNull) => Marshal.WriteInt16(Indicator(i), (short)(isNull ? -1 : 0));

    private void ReleaseBuffers()
    {
        for (var i = 0; i < Capacity; i++)
        {
            if (_data[i] != IntPtr.Zero) Marshal.FreeHGlobal(_data[i]);
            if (_indicators[i] != IntPtr.Zero) Marshal.FreeHGlobal(_indicators[i]);
            _data[i] = IntPtr.Zero;
            _indicators[i] = IntPtr.Zero;
            _dataCapacity[i] = 0;
        }
    }

    public void Dispose()
    {
        ReleaseBuffers();
        if (Pointer != IntPtr.Zero)
        {
            Marshal.FreeHGlobal(Pointer);
            Pointer = IntPtr.Zero;
        }
    }
}
