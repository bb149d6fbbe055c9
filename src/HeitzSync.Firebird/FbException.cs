namespace HeitzSync.Firebird;

/// <summary>
/// An error reported by Firebird (or by this binding): Firebird's own message, the GDS codes of its status vector
/// and the SQLCODE. The statement text may be included, never parameter values or passwords.
/// </summary>
public class FbException : Exception
{
    public FbException(string message) : this(message, Array.Empty<int>(), 0) { }

    public FbException(string message, IReadOnlyList<int> gdsCodes, int sqlCode) : base(message)
    {
        GdsCodes = gdsCodes;
        SqlCode = sqlCode;
    }

    /// <summary>The first error code (e.g. 335544665 for a unique key violation); 0 when the binding raised it.</summary>
    public int GdsCode => GdsCodes.Count > 0 ? GdsCodes[0] : 0;

    public IReadOnlyList<int> GdsCodes { get; }

    /// <summary>The SQLCODE (e.g. -803 for a duplicate key).</summary>
    public int SqlCode { get; }
}
