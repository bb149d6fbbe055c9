#if NETFRAMEWORK
namespace System.Runtime.CompilerServices
{
    // For the init-only setters and records of the linked resolver (netstandard2.0 gets it from src/Shared/Polyfills.cs).
    internal static class IsExternalInit { }
}
#endif
