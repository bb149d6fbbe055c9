namespace HeitzSync.Testing.Firebird;

/// <summary>
/// An xunit fixture (class or collection) around <see cref="FirebirdServer"/>: one running server and one folder the
/// firebird user can write for the tests that share it. Fails, never skips, when the server cannot run.
/// </summary>
public sealed class FirebirdServerFixture : IDisposable
{
    public FirebirdServer Server { get; } = new();

    public void Dispose() => Server.Dispose();
}
