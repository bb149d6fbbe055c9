using System.Globalization;
using HeitzSync.Firebird;

namespace HeitzSync.Core.Capture;

/// <summary>Renders a column's declared type as Firebird DDL.</summary>
internal static class SqlTypeText
{
    public static string Of(FbColumnInfo column)
    {
        string Charset() => string.IsNullOrEmpty(column.CharsetName) ? "" : " CHARACTER SET " + column.CharsetName;
        var inv = CultureInfo.InvariantCulture;
        switch (column.Type)
        {
            case FbDbType.SmallInt: return "SMALLINT";
            case FbDbType.Integer: return "INTEGER";
            case FbDbType.BigInt: return "BIGINT";
            case FbDbType.Numeric:
                return string.Format(inv, "NUMERIC({0},{1})", column.Precision == 0 ? 18 : column.Precision, Math.Abs(column.Scale));
            case FbDbType.Float: return "FLOAT";
            case FbDbType.Double: return "DOUBLE PRECISION";
            case FbDbType.Char: return string.Format(inv, "CHAR({0})", column.CharacterLength) + Charset();
            case FbDbType.VarChar: return string.Format(inv, "VARCHAR({0})", column.CharacterLength) + Charset();
            case FbDbType.Date: return "DATE";
            case FbDbType.Time: return "TIME";
            case FbDbType.Timestamp: return "TIMESTAMP";
            case FbDbType.Boolean: return "BOOLEAN";
            case FbDbType.Blob: return string.Format(inv, "BLOB SUB_TYPE {0}", column.SubType);
            case FbDbType.TextBlob: return "BLOB SUB_TYPE TEXT" + Charset();
            default: throw new NotSupportedException($"Column {column.Name} has a type HeitzSync cannot carry ({column.Type}).");
        }
    }
}
