using System.Text.RegularExpressions;

namespace HeitzSync.Firebird;

/// <summary>Why gbak failed, read from its own output (its cause is often its last error line, after the general ones).</summary>
public enum GbakFailure
{
    /// <summary>None of the causes below: the message quotes gbak's error lines.</summary>
    Other,

    /// <summary>The database file does not exist (on this machine, or on the server for a server path).</summary>
    DatabaseNotFound,

    /// <summary>The database file exists but may not be opened by this account (or by the server's).</summary>
    DatabaseAccessDenied,

    /// <summary>Another program holds the database (embedded Firebird opens a file exclusively).</summary>
    DatabaseInUse,

    /// <summary>The file is not a Firebird database, or is damaged.</summary>
    NotADatabase,

    /// <summary>The server refused the user name and password.</summary>
    LoginFailed,

    /// <summary>The server could not be reached.</summary>
    ServerUnreachable,

    /// <summary>The file gbak writes (the backup, or the restored database) cannot be created there.</summary>
    OutputNotWritable,

    /// <summary>The disk gbak writes to is full.</summary>
    DiskFull,
}

/// <summary>
/// A gbak run that failed: <see cref="Exception.Message"/> is one sentence naming the cause; <see cref="Failure"/> says
/// which; <see cref="File"/> is the file gbak named (when it named one); <see cref="Output"/> is gbak's last lines, for
/// the report (never a password: gbak is given credentials through its environment).
/// </summary>
public sealed class GbakException : FbException
{
    public GbakException(string message, GbakFailure failure, string? file, string output) : base(message)
    {
        Failure = failure;
        File = file;
        Output = output;
    }

    public GbakFailure Failure { get; }

    public string? File { get; }

    public string Output { get; }
}

/// <summary>Reads gbak's output: which failure it tells, and the file it names.</summary>
public static class GbakOutput
{
    private static readonly Regex QuotedFile = new("for file \"(?<file>[^\"]+)\"|Done with volume #\\d+, \"(?<file>[^\"]+)\"|cannot open backup file (?<file>.+)$|failed to create database (?<file>.+)$",
        RegexOptions.CultureInvariant | RegexOptions.Multiline);

    /// <summary>
    /// The failure <paramref name="lines"/> tell, for a backup (<paramref name="isBackup"/>: it writes the backup file)
    /// or a restore (it reads the backup file and writes the database), and the file gbak names (null when none).
    /// </summary>
    public static GbakFailure Classify(IReadOnlyList<string> lines, bool isBackup, out string? file)
    {
        if (lines is null) throw new ArgumentNullException(nameof(lines));
        var text = string.Join("\n", lines);
        var match = QuotedFile.Match(text);
        file = match.Success ? match.Groups["file"].Value.Trim() : null;

        // The specific causes first: gbak prints the general error ("I/O error during ...") before the system's reason.
        // "Done with volume", then "Backup incomplete": gbak reached the end of the disk writing a backup, or the end of
        // the file reading one (a truncated backup, in a restore).
        if (Has(text, "No space left on device") || (isBackup && (Has(text, "Done with volume #") || Has(text, "Backup incomplete")))) return GbakFailure.DiskFull;
        if (Has(text, "user name and password are not defined") || Has(text, "Login failed")) return GbakFailure.LoginFailed;
        if (Has(text, "Unable to complete network request")) return GbakFailure.ServerUnreachable;
        if (Has(text, "during \"lock\" operation") || Has(text, "Database already opened") || Has(text, "Device or resource busy")) return GbakFailure.DatabaseInUse;
        if (isBackup && Has(text, "cannot open backup file")) return GbakFailure.OutputNotWritable;
        if (Has(text, "O_CREAT\" operation") || Has(text, "failed to create database")) return GbakFailure.OutputNotWritable;
        if (Has(text, "during \"open\" operation") && Has(text, "No such file or directory")) return GbakFailure.DatabaseNotFound;
        if (Has(text, "during \"open\" operation") && (Has(text, "Permission denied") || Has(text, "Read-only file system"))) return GbakFailure.DatabaseAccessDenied;
        if (Has(text, "is not a valid database") || Has(text, "File size is less than expected") || Has(text, "Wrong ODS") || Has(text, "unsupported on-disk structure")) return GbakFailure.NotADatabase;
        return GbakFailure.Other;
    }

    /// <summary>gbak's error lines alone (its "gbak: ERROR:" lines, without the prefix), joined into one line.</summary>
    public static string ErrorText(IReadOnlyList<string> lines)
    {
        var errors = lines.Where(l => l.IndexOf("ERROR", StringComparison.Ordinal) >= 0)
            .Select(l => Regex.Replace(l, @"^\s*(gbak:\s*)?ERROR:\s*", "", RegexOptions.CultureInvariant).Trim())
            .Where(l => l.Length > 0)
            .ToList();
        return errors.Count > 0 ? string.Join(": ", errors) : string.Join(" ", lines.Select(l => l.Trim())).Trim();
    }

    private static bool Has(string text, string part) => text.IndexOf(part, StringComparison.OrdinalIgnoreCase) >= 0;
}
