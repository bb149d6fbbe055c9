using System.Net;
using System.Net.Mail;
using HeitzSync.Core.Configuration;
using HeitzSync.Core.Reports;

namespace HeitzSync.Core.Notifications;

/// <summary>
/// Emails the people in charge when a night fails or is stopped (settings in <c>mail</c> of the configuration).
/// The message is the report's summary and errors: never a password, key or connection secret.
/// </summary>
public sealed class MailNotifier
{
    private readonly MailConfig _config;
    private readonly Func<string, string?> _secret;

    public MailNotifier(MailConfig config, Func<string, string?> secret)
    {
        _config = config;
        _secret = secret;
    }

    public bool ShouldNotify(SyncReport report) =>
        (report.State == ReportState.Failed && _config.OnFailure) || (report.State == ReportState.Stopped && _config.OnStop) ||
        (report.State == ReportState.Partial && _config.OnPartial);

    public async Task SendAsync(SyncReport report, CancellationToken cancellationToken)
    {
        using var message = new MailMessage
        {
            From = new MailAddress(_config.From),
            Subject = $"HeitzSync {report.Node}: {report.Operation} {report.State} ({report.StartedUtc:yyyy-MM-dd HH:mm} UTC)",
            Body = Body(report),
            IsBodyHtml = false,
        };
        foreach (var to in _config.To) message.To.Add(to);
        // SmtpClient: the mail client that exists on netstandard2.0 and .NET Framework 4.7.2 alike.
        using var client = new SmtpClient(_config.SmtpHost, _config.Port) { EnableSsl = _config.UseSsl, DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = 30_000 };
        if (_config.User is { Length: > 0 } user && _config.PasswordSecret is { } name)
        {
            client.Credentials = new NetworkCredential(user, _secret(name) ?? throw new InvalidOperationException($"No stored secret '{name}' for the SMTP login: store it with {FrontCommands.StoreSecret(name)}."));
        }
        using (cancellationToken.Register(client.SendAsyncCancel))
        {
            await client.SendMailAsync(message).ConfigureAwait(false);
        }
    }

    internal static string Body(SyncReport report)
    {
        var lines = new List<string>
        {
            $"Node: {report.Node} ({report.Role})",
            $"Operation: {report.Operation}, cycle {report.CycleId}",
            $"State: {report.State}",
            $"Started: {report.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, ended: {report.EndedUtc:yyyy-MM-dd HH:mm:ss} UTC",
            $"Summary: {report.Summary}",
        };
        if (report.Errors.Count > 0)
        {
            lines.Add("");
            lines.Add("Errors:");
            lines.AddRange(report.Errors.Select(e => $"  {e.Site ?? report.Node} {e.Step} [{e.ErrorId}] {e.Message}"));
        }
        lines.Add("");
        lines.Add($"Details: {FrontCommands.Report(report.Id)}.");
        return string.Join(Environment.NewLine, lines);
    }
}
