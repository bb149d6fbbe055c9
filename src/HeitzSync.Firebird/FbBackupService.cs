using System.Diagnostics;
using System.Runtime.InteropServices;
using HeitzSync.Firebird.Native;

namespace HeitzSync.Firebird;

/// <summary>
/// Full backups and restores in gbak format, by running Firebird's own gbak (verbose, each line reported through the
/// progress as it comes). Credentials go to gbak through ISC_USER/ISC_PASSWORD in its environment, never on its
/// command line. gbak is found through HEITZSYNC_GBAK, then the PATH (and /usr/bin), then beside fbclient.dll on Windows.
/// Cancelling kills gbak and removes the file it was writing (never a file that was there before, unless it was being replaced).
/// Firebird 3's embedded engine opens database files exclusively: back up an embedded database once it is closed.
/// </summary>
public sealed class FbBackupService
{
    private const int TailLines = 15;

    public FbBackupService(string? gbakPath = null)
    {
        GbakPath = gbakPath ?? Locate();
    }

    /// <summary>The gbak executable this service runs.</summary>
    public string GbakPath { get; }

    /// <summary>Backs <paramref name="database"/> up into <paramref name="backupFile"/> (a local path; replaced if it exists).</summary>
    public Task BackupAsync(FbConnectionSettings database, string backupFile, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (database is null) throw new ArgumentNullException(nameof(database));
        if (string.IsNullOrEmpty(backupFile)) throw new ArgumentException("A backup file is needed.", nameof(backupFile));
        return RunAsync(database, "backup", new[] { "-b", "-v", "-g", database.AttachString, backupFile },
            new OutputFile(backupFile, mayRemoveExisting: true), progress, cancellationToken);
    }

    /// <summary>
    /// Restores <paramref name="backupFile"/> into <paramref name="target"/> (created with its page size). Without
    /// <paramref name="replaceExisting"/> an existing target is an error; with it, a failed restore may leave the target damaged.
    /// </summary>
    public Task RestoreAsync(string backupFile, FbConnectionSettings target, bool replaceExisting, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (target is null) throw new ArgumentNullException(nameof(target));
        if (!File.Exists(backupFile)) throw new FileNotFoundException($"Backup {backupFile} does not exist.", backupFile);
        var arguments = new[]
        {
            replaceExisting ? "-rep" : "-c", "-v", "-page_size", target.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            backupFile, target.AttachString,
        };
        // A server-side target is the server's file: only an embedded one is ours to clean up.
        var output = target.IsEmbedded ? new OutputFile(target.Database, mayRemoveExisting: false) : null;
        return RunAsync(target, "restore", arguments, output, progress, cancellationToken);
    }

    /// <summary>
    /// Proves a backup restores: restores it into a temporary embedded database, opens it, lists its tables and drops
    /// it. Throws <see cref="FbException"/> with gbak's own output when the backup is damaged.
    /// </summary>
    public async Task VerifyAsync(string backupFile, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(backupFile)) throw new FileNotFoundException($"Backup {backupFile} does not exist.", backupFile);
        var folder = Path.Combine(Path.GetTempPath(), "hz-verify-" + Guid.NewGuid().ToString("N"));
        CreatePrivateFolder(folder);
        var settings = new FbConnectionSettings { Database = Path.Combine(folder, "verify.fdb") };
        try
        {
            await RestoreAsync(backupFile, settings, replaceExisting: false, progress, cancellationToken).ConfigureAwait(false);
            var connection = FbConnection.Open(settings);
            try
            {
                var tables = connection.Schema.GetTables();
                progress?.Report($"verified: {tables.Count} table(s) restored and readable");
                connection.DropDatabase();
            }
            finally
            {
                connection.Dispose();
            }
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The file gbak writes, and whether it may be removed after a failure or a cancellation.</summary>
    private sealed class OutputFile
    {
        public OutputFile(string path, bool mayRemoveExisting)
        {
            Path = path;
            Removable = mayRemoveExisting || !File.Exists(path);
        }

        public string Path { get; }
        public bool Removable { get; }

        public void RemoveIfOurs()
        {
            if (!Removable) return;
            try
            {
                if (File.Exists(Path)) File.Delete(Path);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private async Task RunAsync(FbConnectionSettings credentials, string operation, string[] arguments, OutputFile? output, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(GbakPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // gbak asks on its standard input for another volume when the disk is full: it must read end-of-file and
            // stop, not wait for an answer (or read the caller's terminal).
            RedirectStandardInput = true,
            CreateNoWindow = true,
            Arguments = string.Join(" ", arguments.Select(Quote)),
        };
        start.Environment["ISC_USER"] = credentials.User;
        if (credentials.Password is not null) start.Environment["ISC_PASSWORD"] = credentials.Password;
        else start.Environment.Remove("ISC_PASSWORD");

        var tail = new Queue<string>();
        void Line(string? line)
        {
            if (string.IsNullOrWhiteSpace(line)) return;
            lock (tail)
            {
                tail.Enqueue(line!);
                while (tail.Count > TailLines) tail.Dequeue();
            }
            progress?.Report(line!);
        }

        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Exited += (_, _) => exited.TrySetResult(true);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FbException($"gbak could not be started ({GbakPath}: {ex.Message}). Install Firebird's tools (Debian: firebird3.0-utils), " +
                "put gbak.exe beside fbclient.dll on Windows, or set HEITZSYNC_GBAK to its full path.");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancellationToken.Register(() => Kill(process)))
        {
            await exited.Task.ConfigureAwait(false);
        }
        process.WaitForExit();   // also waits for the last output lines
        if (cancellationToken.IsCancellationRequested)
        {
            output?.RemoveIfOurs();
            throw new OperationCanceledException($"gbak {operation} of {credentials} was cancelled.", cancellationToken);
        }
        if (process.ExitCode != 0)
        {
            output?.RemoveIfOurs();
            List<string> lines;
            lock (tail) lines = tail.ToList();
            throw Failure(credentials, operation, process.ExitCode, lines, output?.Path);
        }
    }

    /// <summary>The verification restores the whole database: into a folder only this account can enter (0700 on Unix,
    /// made so by mkdir itself), since the system's temporary folder is open to every account.</summary>
    private static void CreatePrivateFolder(string folder)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || mkdir(folder, 0x1C0) != 0) Directory.CreateDirectory(folder);
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int mkdir(string path, uint mode);

    /// <summary>One sentence that names the cause gbak gave (its last lines kept apart, for the report).</summary>
    private static GbakException Failure(FbConnectionSettings database, string operation, int exitCode, IReadOnlyList<string> lines, string? written)
    {
        var failure = GbakOutput.Classify(lines, isBackup: operation == "backup", out var file);
        var server = database.IsEmbedded ? "" : $" on the server {database.Server}";
        var cause = failure switch
        {
            GbakFailure.DatabaseNotFound => $"the database file {file ?? database.Database} does not exist{server}",
            GbakFailure.DatabaseAccessDenied => $"the database file {file ?? database.Database} may not be opened by {(database.IsEmbedded ? "this account" : "the server's account")}",
            GbakFailure.DatabaseInUse => $"the database {file ?? database.Database} is open in another program (embedded Firebird opens a database file for one program at a time)",
            GbakFailure.NotADatabase => $"{file ?? database.Database} is not a Firebird database, or it is damaged",
            GbakFailure.LoginFailed => $"the server {database.Server}:{database.Port} refused the user name and password of {database.User}",
            GbakFailure.ServerUnreachable => $"the server {database.Server}:{database.Port} could not be reached",
            GbakFailure.OutputNotWritable => $"{file ?? written ?? "its output file"} cannot be created: its folder is missing or read-only, or this account may not write there",
            GbakFailure.DiskFull => $"the disk that holds {file ?? written ?? "its output file"} is full",
            _ => GbakOutput.ErrorText(lines),
        };
        return new GbakException($"gbak {operation} of {database} failed (exit code {exitCode}): {cause.TrimEnd('.')}.", failure, file,
            string.Join(Environment.NewLine, lines));
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill();
        }
        catch (InvalidOperationException) { }                 // already gone
        catch (System.ComponentModel.Win32Exception) { }      // exiting at that very moment
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '"', '\t' }) < 0 ? argument : "\"" + argument.Replace("\"", "\\\"") + "\"";

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("HEITZSYNC_GBAK");
        if (!string.IsNullOrEmpty(configured)) return configured!;
        var windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        var name = windows ? "gbak.exe" : "gbak";
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Where(f => f.Length > 0).ToList();
        if (windows)
        {
            // Beside the client library (HEITZSYNC_FBCLIENT, or the module's folder), as Firebird's Windows kit lays it out.
            var client = Environment.GetEnvironmentVariable("HEITZSYNC_FBCLIENT");
            if (!string.IsNullOrEmpty(client) && Path.GetDirectoryName(client) is { Length: > 0 } clientFolder) folders.Insert(0, clientFolder);
            if (Path.GetDirectoryName(typeof(FbClientLibrary).Assembly.Location) is { Length: > 0 } moduleFolder) folders.Insert(0, moduleFolder);
        }
        else
        {
            folders.Add("/usr/bin");
            folders.Add("/opt/firebird/bin");
        }
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return name;
    }
}
