using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

/// <summary>Embedded (a plain file, no server) or through the server on 127.0.0.1:3050: the same tests run both ways.</summary>
public enum Mode { Embedded, Server }

/// <summary>
/// One server for the whole test assembly, and one collection: the tests run one at a time, so the file-descriptor
/// and attachment counts of the leak tests are not disturbed by another test.
/// </summary>
[CollectionDefinition("firebird")]
public sealed class FirebirdCollection : ICollectionFixture<FirebirdServerFixture> { }

/// <summary>Creates test databases in a temporary folder (embedded) or in the server's folder, and removes them.</summary>
public abstract class DatabaseTest : IDisposable
{
    private readonly FirebirdServerFixture _server;
    private readonly List<FbConnectionSettings> _created = new();

    protected DatabaseTest(FirebirdServerFixture server)
    {
        _server = server;
        Temp = new TempFolder("hz-fb");
    }

    protected TempFolder Temp { get; }

    protected FirebirdServer Server => _server.Server;

    protected FbConnectionSettings Settings(Mode mode, string name, string charset = "UTF8") => mode == Mode.Embedded
        ? new FbConnectionSettings { Database = Temp.File(name), Charset = charset }
        : Server.Settings(Guid.NewGuid().ToString("N") + "-" + name, charset);

    /// <summary>A new database (default character set UTF8) and a connection to it with <paramref name="charset"/>.</summary>
    protected FbConnection Create(Mode mode, string charset = "UTF8", string name = "test.fdb")
    {
        var settings = Settings(mode, name, charset);
        _created.Add(settings);
        return FbConnection.CreateDatabase(settings);
    }

    public void Dispose()
    {
        foreach (var settings in _created.Where(s => !s.IsEmbedded))
        {
            try { FbConnection.Open(settings).DropDatabase(); }
            catch (FbException) { }   // already dropped by the test, or never created
        }
        Temp.Dispose();
    }
}
