using System.Diagnostics;
using System.Net.Sockets;
using HeitzSync.Firebird;

namespace HeitzSync.Testing.Firebird;

/// <summary>
/// The real Firebird server on 127.0.0.1:3050 (Debian's firebird3.0-server), started with fbguard when nothing
/// listens there. SYSDBA's password comes from HZ_FB_SERVER_PASSWORD or /etc/firebird/3.0/SYSDBA.password.
/// Databases used through it live in a folder the firebird user owns. Fails (never skips) when the server cannot run.
/// </summary>
public sealed class FirebirdServer : IDisposable
{
    public const string Host = "127.0.0.1";
    public const int Port = 3050;

    public FirebirdServer()
    {
        EnsureRunning();
        Password = ReadPassword();
        Folder = Path.Combine(Path.GetTempPath(), "hz-fbserver-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        if (Run("chown", $"firebird:firebird {Folder}") != 0)
        {
            throw new InvalidOperationException($"Could not give {Folder} to the firebird user (chown failed): the server-mode tests run as root, as CI does.");
        }
    }

    public string Password { get; }

    /// <summary>A folder the server may create databases in.</summary>
    public string Folder { get; }

    public FbConnectionSettings Settings(string fileName, string charset = "UTF8") => new()
    {
        Database = Path.Combine(Folder, fileName),
        Server = Host,
        Port = Port,
        User = "SYSDBA",
        Password = Password,
        Charset = charset,
    };

    private static void EnsureRunning()
    {
        if (Listening()) return;
        const string guard = "/usr/sbin/fbguard";
        if (!File.Exists(guard))
        {
            throw new InvalidOperationException("No Firebird server: install firebird3.0-server (scripts/install-prereqs.sh) to run the server-mode tests.");
        }
        Run(guard, "-daemon -forever");
        for (var i = 0; i < 50 && !Listening(); i++) Thread.Sleep(200);
        if (!Listening()) throw new InvalidOperationException("The Firebird server did not start on 127.0.0.1:3050 (see /var/log/firebird/firebird3.0.log).");
    }

    private static bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(Host, Port).Wait(500) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string ReadPassword()
    {
        var configured = Environment.GetEnvironmentVariable("HZ_FB_SERVER_PASSWORD");
        if (!string.IsNullOrEmpty(configured)) return configured;
        const string file = "/etc/firebird/3.0/SYSDBA.password";
        var line = File.ReadAllLines(file).FirstOrDefault(l => l.StartsWith("ISC_PASSWORD=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{file} has no ISC_PASSWORD line: set HZ_FB_SERVER_PASSWORD.");
        return line.Substring("ISC_PASSWORD=".Length).Trim().Trim('"');
    }

    /// <summary>How many user attachments the server has to the database at <paramref name="settings"/>, the caller's own excluded (MON$ATTACHMENTS).</summary>
    public int AttachmentsTo(FbConnectionSettings settings)
    {
        using var monitor = FbConnection.Open(settings);
        using var tx = monitor.BeginTransaction(new FbTransactionOptions { Isolation = FbIsolation.Snapshot, ReadOnly = true });
        return Convert.ToInt32(monitor.ExecuteScalar(tx,
            "SELECT COUNT(*) FROM MON$ATTACHMENTS WHERE MON$ATTACHMENT_ID <> CURRENT_CONNECTION AND MON$SYSTEM_FLAG = 0"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
