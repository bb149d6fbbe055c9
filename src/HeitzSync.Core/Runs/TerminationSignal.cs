using System.Linq.Expressions;
using System.Reflection;

namespace HeitzSync.Core.Runs;

/// <summary>
/// SIGTERM (systemctl stop, docker stop, an RMM agent) for a front built for netstandard2.0: the cmdlets under
/// PowerShell 7 on Linux and macOS, where pwsh would otherwise die at once, with no report and exit 143. Uses .NET's
/// <c>PosixSignalRegistration</c> (.NET 6 and later) where the runtime has it, found at run time; elsewhere (Windows
/// PowerShell 5.1, Windows, which sends no SIGTERM) nothing is registered. The signal is cancelled: the process ends when
/// the run it stopped has rolled back and written its report.
/// </summary>
public static class TerminationSignal
{
    /// <summary>Calls <paramref name="stop"/> with a reason when this process receives SIGTERM, until disposed; null where
    /// the runtime cannot tell.</summary>
    public static IDisposable? OnTerminate(Action<string> stop)
    {
        if (stop is null) throw new ArgumentNullException(nameof(stop));
        var registration = Type.GetType("System.Runtime.InteropServices.PosixSignalRegistration, System.Runtime.InteropServices", throwOnError: false);
        var signal = Type.GetType("System.Runtime.InteropServices.PosixSignal, System.Runtime.InteropServices", throwOnError: false);
        var context = Type.GetType("System.Runtime.InteropServices.PosixSignalContext, System.Runtime.InteropServices", throwOnError: false);
        if (registration is null || signal is null || context is null) return null;
        var handlerType = typeof(Action<>).MakeGenericType(context);
        var create = registration.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, null, new[] { signal, handlerType }, null);
        var cancel = context.GetProperty("Cancel");
        if (create is null || cancel is null) return null;

        // context => { context.Cancel = true; stop(reason); }
        var parameter = Expression.Parameter(context, "context");
        var reason = "SIGTERM (systemctl stop, docker stop or a management agent)";
        var body = Expression.Block(
            Expression.Assign(Expression.Property(parameter, cancel), Expression.Constant(true)),
            Expression.Invoke(Expression.Constant(stop), Expression.Constant(reason)));
        var handler = Expression.Lambda(handlerType, body, parameter).Compile();
        try
        {
            return (IDisposable?)create.Invoke(null, new object[] { Enum.Parse(signal, "SIGTERM"), handler });
        }
        catch (TargetInvocationException ex) when (ex.InnerException is PlatformNotSupportedException)
        {
            return null;
        }
    }
}
