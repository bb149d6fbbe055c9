using System.Diagnostics;
using System.Globalization;

// In the root namespace so that each fault point in the engine reads as one plain line: FaultPoints.Hit("...").
namespace HeitzSync.Core;

/// <summary>
/// Crash injection for the fault suite (tests/HeitzSync.Fault.Tests) and nothing else: it proves that a night killed at
/// any step loses nothing and applies nothing twice. Inert unless the environment variable <c>HEITZSYNC_FAULT_AT</c>
/// is set; then it costs one string comparison per <see cref="Hit"/>.
/// <para>
/// When <c>HEITZSYNC_FAULT_AT</c> names a point and <c>HEITZSYNC_FAULT_AFTER</c> (default 0) earlier hits of that
/// point have passed, the process kills itself at once with SIGKILL (<see cref="Process.Kill()"/> on itself): no
/// exception, no finally block, no flush, no dispose, as a power cut or <c>kill -9</c> would leave it. One line,
/// <c>HEITZSYNC_FAULT: killed at &lt;point&gt;</c>, is written to standard error first so that a test can tell the
/// injected death from any other.
/// </para>
/// Points (each a single <c>FaultPoints.Hit(...)</c> line in the engine): backup.during (gbak wrote the backup, not yet
/// verified), extract.during (rows written to the package, not completed), upload.during and download.during (after each
/// block written to the .part of a transfer into or out of the drop, by either transport), consolidate.before-tx,
/// consolidate.inside-tx (all rows applied, not committed), consolidate.after-commit (before ack.json and the package's
/// removal), publish.during (after each site's package is published), apply.inside-tx (all rows applied, not committed),
/// apply.after-commit (before the package is removed, locally and from the drop).
/// <para>
/// With <c>HEITZSYNC_FAULT_HOLD</c> set to a file path as well, the armed point holds instead of killing: the process
/// writes that file (the point's name in it) and waits, exactly there, until the file is deleted; then it goes on as
/// if nothing happened (once per process). A test in another process can so act while the engine is at that point (a
/// till selling through the server while an apply's transaction is open) without guessing with a delay.
/// </para>
/// </summary>
public static class FaultPoints
{
    public const string AtVariable = "HEITZSYNC_FAULT_AT";
    public const string AfterVariable = "HEITZSYNC_FAULT_AFTER";
    public const string HoldVariable = "HEITZSYNC_FAULT_HOLD";

    /// <summary>Set to <c>pause</c>: an armed point that is given the run's token waits there, saying so, until the run is
    /// asked to stop (a signal, a stop request), then stops as any cancelled step does: the hostile suite stops a night
    /// in the middle of a transaction with it.</summary>
    public const string ModeVariable = "HEITZSYNC_FAULT_MODE";

    /// <summary>What the process writes to standard error just before it kills itself.</summary>
    public const string Marker = "HEITZSYNC_FAULT: killed at ";

    /// <summary>What the process writes to standard error when it starts waiting at a paused point.</summary>
    public const string PausedMarker = "HEITZSYNC_FAULT: paused at ";

    /// <summary>What the process writes to standard error when it holds at the armed point.</summary>
    public const string HoldMarker = "HEITZSYNC_FAULT: holding at ";

    // Read once: a night never changes its own environment.
    private static readonly string? Armed = ReadArmed();
    private static readonly int PassesBeforeKill = ReadAfter();
    private static readonly bool Pauses = string.Equals(Environment.GetEnvironmentVariable(ModeVariable)?.Trim(), "pause", StringComparison.OrdinalIgnoreCase);
    private static readonly string? HoldFile = ReadHold();
    private static int _hits;

    /// <summary>Tests only: called at every point reached in this process, so a test can act while the engine is exactly
    /// there (a user writing while an apply's transaction is open) instead of guessing with a delay.</summary>
    internal static Action<string>? Observer { get; set; }

    /// <summary>A step of the engine was reached inside work that <paramref name="cancellationToken"/> can stop: kills the
    /// process when armed, or, in pause mode, waits until the token is cancelled and throws as a cancelled step does.</summary>
    public static void Hit(string name, CancellationToken cancellationToken)
    {
        if (!Pauses)
        {
            Hit(name);
            return;
        }
        if (Armed is null || !string.Equals(name, Armed, StringComparison.Ordinal)) return;
        if (Interlocked.Increment(ref _hits) <= PassesBeforeKill) return;
        Console.Error.WriteLine(PausedMarker + name);
        Console.Error.Flush();
        cancellationToken.WaitHandle.WaitOne();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A step of the engine was reached: kills the process when the fault suite armed this point; otherwise nothing.</summary>
    public static void Hit(string name)
    {
        Observer?.Invoke(name);
        if (Armed is null || !string.Equals(name, Armed, StringComparison.Ordinal)) return;
        var hit = Interlocked.Increment(ref _hits);
        if (hit <= PassesBeforeKill) return;
        if (HoldFile is not null)
        {
            if (hit == PassesBeforeKill + 1) Hold(name, HoldFile);
            return;
        }
        Console.Error.WriteLine(Marker + name);
        Console.Error.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        // Kill delivers SIGKILL (TerminateProcess on Windows) to this very process; never go on past this point.
        Thread.Sleep(Timeout.Infinite);
    }

    private static void Hold(string name, string file)
    {
        Console.Error.WriteLine(HoldMarker + name);
        Console.Error.Flush();
        File.WriteAllText(file, name);
        while (File.Exists(file)) Thread.Sleep(50);
    }

    private static string? ReadHold()
    {
        var value = Environment.GetEnvironmentVariable(HoldVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
    }

    private static string? ReadArmed()
    {
        var value = Environment.GetEnvironmentVariable(AtVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
    }

    private static int ReadAfter()
    {
        var value = Environment.GetEnvironmentVariable(AfterVariable);
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var after) && after > 0 ? after : 0;
    }
}
