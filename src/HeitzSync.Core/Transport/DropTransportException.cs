namespace HeitzSync.Core.Transport;

/// <summary>Why a drop operation failed. <see cref="IntegrityMismatch"/>: the bytes did not hash to what the caller expected.
/// <see cref="Cancelled"/> is for callers that report a stop: the transports themselves throw OperationCanceledException when
/// their token is cancelled, as .NET code expects.</summary>
/// <see cref="Refused"/>: a link or a special file (FIFO, device) where the drop holds plain files and folders; it is never
/// followed, opened or written through.
public enum DropTransportErrorKind { Unreachable, LoginFailed, CertificateRejected, PermissionDenied, NoSpace, NotFound, Timeout, Cancelled, Protocol, IntegrityMismatch, Refused }

/// <summary>A transfer or drop operation that failed; the message names the place and the fix, never a credential.</summary>
public sealed class DropTransportException : Exception
{
    public DropTransportException(DropTransportErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    public DropTransportErrorKind Kind { get; }

    /// <summary>Worth retrying later (the server or the link may come back).</summary>
    public bool IsTransient => Kind is DropTransportErrorKind.Unreachable or DropTransportErrorKind.Timeout;
}
