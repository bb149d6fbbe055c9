using HeitzSync.Firebird;

namespace HeitzSync.Testing.Firebird;

/// <summary>A new embedded database in a temporary folder (no server, no password); the folder goes on dispose.</summary>
public sealed class EmbeddedDatabase : IDisposable
{
    private readonly TempFolder _folder = new("hz-fbdb");

    public EmbeddedDatabase(string charset = "UTF8", string fileName = "test.fdb", string defaultCharacterSet = "UTF8")
    {
        Settings = new FbConnectionSettings { Database = _folder.File(fileName), Charset = charset };
        FbConnection.CreateDatabase(Settings, defaultCharacterSet).Dispose();
    }

    public FbConnectionSettings Settings { get; }

    /// <summary>The folder holding the database, for backups and other files of the test.</summary>
    public TempFolder Folder => _folder;

    public FbConnection Open(string? charset = null) => FbConnection.Open(charset is null ? Settings : Settings with { Charset = charset });

    public void Dispose() => _folder.Dispose();
}
