using System.Diagnostics;
using System.Text;
using HeitzSync.Fault.Tests.Harness;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>
/// An hzsync process still running (started with --verbose, so its progress lines reach standard error as it goes):
/// a test waits for what the process says it is doing (waiting for the Siège's answer, the drop unreachable...) to
/// order its own actions by those events, never by a delay; <see cref="Finish"/> collects it as an <see cref="HzsyncRun"/>.
/// </summary>
public sealed class RunningHzsync : IDisposable
{
    private readonly string _node;
    private readonly string _command;
    private readonly Process _process;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<string> _stdout = new();
    private readonly List<string> _stderr = new();

    public RunningHzsync(string node, string configPath, string command, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        _node = node;
        _command = command;
        _process = Hzsync.Start(node, configPath, command, arguments.Append("--verbose"), environment);
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Node => _node;

    /// <summary>How many of its lines on standard error so far contain <paramref name="text"/>.</summary>
    public int Said(string text)
    {
        lock (_stderr) return _stderr.Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Waits until the process has written <paramref name="times"/> lines containing <paramref name="text"/> on
    /// standard error; fails when it ends first, or after <paramref name="deadlineSeconds"/> (a guard against a hang).</summary>
    public void WaitFor(string text, int times = 1, int deadlineSeconds = 90)
    {
        var deadline = Stopwatch.StartNew();
        while (Said(text) < times)
        {
            if (_process.HasExited && Said(text) < times)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"{_node} {_command} ended (exit {_process.ExitCode}) before it said \"{text}\" {times} time(s):\n{Output}");
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(deadlineSeconds))
                throw new TimeoutException($"{_node} {_command} did not say \"{text}\" {times} time(s) within {deadlineSeconds} s:\n{Output}");
            Thread.Sleep(100);
        }
    }

    private string Output
    {
        get
        {
            lock (_stdout) lock (_stderr) return string.Join("\n", _stdout) + "\n" + string.Join("\n", _stderr);
        }
    }

    /// <summary>Waits for the end (killing it past <paramref name="timeoutSeconds"/>: the test fails) and returns what it did.</summary>
    public HzsyncRun Finish(int timeoutSeconds = 120)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"hzsync {_command} for {_node} did not end within {timeoutSeconds} s and was killed:\n{Output}");
        }
        _process.WaitForExit();   // the asynchronous readers have had every line
        lock (_stdout) lock (_stderr)
        {
            return new HzsyncRun(_node, _command, _process.ExitCode, string.Join("\n", _stdout), string.Join("\n", _stderr), _watch.Elapsed);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
