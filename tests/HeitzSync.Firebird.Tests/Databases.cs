using HeitzSync.Firebird;
using HeitzSync.Testing;
using HeitzSync.Testing.Firebird;

namespace HeitzSync.Firebird.Tests;

/// <summary>Embedded or server: the same tests run through both.</summary>
public enum Mode { Embedded, Server }

/// <summary>One server for the whole test assembly.</summary>
public sealed class ServerFixture : IDisposable
{
    public FirebirdServer Server { get; } = new();
    public void Dispose() => Server.Dispose();
}

[CollectionDefinition("firebird")]
public sealed class FirebirdCollection : ICollectionFixture<ServerFixture> { }

/// <summary>Creates test databases in a temporary folder (embedded) or in the server's folder.</summary>
public abstract class DatabaseTest : IDisposable
{
    private readonly ServerFixture _server;
    private readonly List<FbConnectionSettings> _created = new();

    protected DatabaseTest(ServerFixture server)
    {
        _server = server;
        Temp = new TempFolder("hz-fb");
    }

    protected TempFolder Temp { get; }

    protected FbConnectionSettings Settings(Mode mode, string name, string charset = "UTF8") => mode == Mode.Embedded
        ? new FbConnectionSettings { Database = Temp.File(name), Charset = charset }
        : _server.Server.Settings(Guid.NewGuid().ToString("N") + "-" + name, charset);

    protected FbConnection Create(Mode mode, string charset = "UTF8", string name = "test.fdb")
    {
        var settings = Settings(mode, name, charset);
        _created.Add(settings);
        return FbConnection.CreateDatabase(settings);
    }

    protected FirebirdServer Server => _server.Server;

    public void Dispose()
    {
        foreach (var settings in _created.Where(s => !s.IsEmbedded))
        {
            try { FbConnection.Open(settings).DropDatabase(); } catch (FbException) { }
        }
        Temp.Dispose();
    }
}
