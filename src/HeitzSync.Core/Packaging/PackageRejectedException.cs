namespace HeitzSync.Core.Packaging;

/// <summary>Why a package was refused. Every reason means: nothing of it was applied.</summary>
public enum PackageRejectionReason
{
    /// <summary>The file does not start with the package signature: something else was dropped in the folder.</summary>
    NotAPackage,

    /// <summary>A package format this version of HeitzSync does not read (another module version made it).</summary>
    UnsupportedFormat,

    /// <summary>Made with another group key than the one this node holds.</summary>
    WrongKey,

    /// <summary>Failed authentication: changed or damaged after it was made, or bytes added after its end.</summary>
    Tampered,

    /// <summary>Shorter than its header says: a cut transfer or a copy that did not finish.</summary>
    Truncated,

    /// <summary>Authenticated, but its payload does not decode to what its manifest says (length or SHA-256).</summary>
    PayloadMismatch,
}

/// <summary>A package that must not be applied. The message names the file, the reason and what to do.</summary>
public sealed class PackageRejectedException : Exception
{
    public PackageRejectedException(string packagePath, PackageRejectionReason reason, string message)
        : this(packagePath, reason, message, null)
    {
    }

    public PackageRejectedException(string packagePath, PackageRejectionReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        PackagePath = packagePath;
        Reason = reason;
    }

    public PackageRejectionReason Reason { get; }
    public string PackagePath { get; }

    /// <summary>For <see cref="PackageRejectionReason.WrongKey"/>: the key id written in the package (public, safe to show).</summary>
    public string? PackageKeyId { get; init; }

    /// <summary>For <see cref="PackageRejectionReason.WrongKey"/>: the key id of the key this node holds (public, safe to show).</summary>
    public string? NodeKeyId { get; init; }
}
