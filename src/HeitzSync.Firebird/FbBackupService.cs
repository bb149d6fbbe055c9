using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HeitzSync.Firebird;

/// <summary>
/// Full backups and restores in gbak format, by running Firebird's own gbak (verbose, each line reported as it
/// comes). Credentials go to gbak through ISC_USER/ISC_PASSWORD in its environment, never on its command line.
/// gbak is found through HEITZSYNC_GBAK, then the PATH, then beside the client library on Windows.
/// </summary>
public sealed class FbBackupService
{
    private readonly string _gbak;

    public FbBackupService(string? gbakPath = null)
    {
        _gbak = gbakPath ?? Locate();
    }

    public Task BackupAsync(FbConnectionSettings database, string backupFile, IProgress<string>? progress, CancellationToken cancellationToken) =>
        RunAsync(database, new[] { "-b", "-v", "-g", database.AttachString, backupFile }, backupFile, progress, cancellationToken);

    public Task RestoreAsync(string backupFile, FbConnectionSettings target, bool replaceExisting, IProgress<string>? progress, CancellationToken cancellationToken) =>
        RunAsync(target, new[] { replaceExisting ? "-rep" : "-c", "-v", "-page_size", target.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), backupFile, target.AttachString },
            target.IsEmbedded ? target.Database : null, progress, cancellationToken);

    /// <summary>Restores the backup into a temporary database, opens it and lists its tables, then drops it.</summary>
    public async Task VerifyAsync(string backupFile, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(backupFile)) throw new FileNotFoundException($"Backup {backupFile} does not exist.", backupFile);
        var scratch = Path.Combine(Path.GetTempPath(), "hz-verify-" + Guid.NewGuid().ToString("N") + ".fdb");
        var settings = new FbConnectionSettings { Database = scratch };
        try
        {
            await RestoreAsync(backupFile, settings, replaceExisting: false, progress, cancellationToken).ConfigureAwait(false);
            using var connection = FbConnection.Open(settings);
            using var tx = connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
            var tables = connection.Schema.GetTables(tx);
            progress?.Report($"verified: {tables.Count} table(s) restored and readable");
        }
        finally
        {
            if (File.Exists(scratch)) File.Delete(scratch);
        }
    }

    private async Task RunAsync(FbConnectionSettings credentials, string[] arguments, string? outputFile, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_gbak)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
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
                while (tail.Count > 12) tail.Dequeue();
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
            throw new FbException($"gbak could not be started ({_gbak}: {ex.Message}). Install Firebird's tools (Debian: firebird3.0-utils) or set HEITZSYNC_GBAK.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancellationToken.Register(() => { try { process.Kill(); } catch (InvalidOperationException) { } }))
        {
            await exited.Task.ConfigureAwait(false);
        }
        process.WaitForExit();
        if (cancellationToken.IsCancellationRequested)
        {
            if (outputFile is not null && File.Exists(outputFile)) File.Delete(outputFile);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (process.ExitCode != 0)
        {
            if (outputFile is not null && arguments[0] == "-b" && File.Exists(outputFile)) File.Delete(outputFile);
            string output;
            lock (tail) output = string.Join(Environment.NewLine, tail);
            throw new FbException($"gbak {arguments[0]} of {credentials} failed (exit code {process.ExitCode}):{Environment.NewLine}{output}");
        }
    }

    private static string Quote(string argument) =>
        argument.IndexOfAny(new[] { ' ', '"', '\t' }) < 0 ? argument : "\"" + argument.Replace("\"", "\\\"") + "\"";

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("HEITZSYNC_GBAK");
        if (!string.IsNullOrEmpty(configured)) return configured!;
        var name = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "gbak.exe" : "gbak";
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (folder.Length == 0) continue;
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return name;
    }
}
