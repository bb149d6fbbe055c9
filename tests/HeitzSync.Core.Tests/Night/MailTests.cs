using HeitzSync.Core.Configuration;
using HeitzSync.Core.Night;
using HeitzSync.Core.Packaging;
using HeitzSync.Core.Reports;
using HeitzSync.Testing;
using HeitzSync.Testing.Smtp;

namespace HeitzSync.Core.Tests.Night;

public class MailTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-mail");

    private HzSyncConfig Config(int smtpPort, bool onPartial = false) => new()
    {
        Role = NodeRole.Site,
        Site = new SiteIdentity { Code = "LYON01", Number = 2 },
        Database = new DatabaseConfig { Path = "/nowhere/club.fdb", Server = "127.0.0.1", Port = 1, PasswordSecret = "db" },
        Drop = new DropConfig { Kind = DropKind.Folder, Path = _temp.File("drop") },
        KeyFile = _temp.File("group.key"),
        Mail = new MailConfig { SmtpHost = "127.0.0.1", Port = smtpPort, UseSsl = false, From = "heitzsync@club.example", To = new[] { "it@club.example" }, OnPartial = onPartial },
        BaseFolder = _temp.Path,
    };

    [Fact]
    public async Task A_failed_night_is_mailed_with_its_errors_and_without_any_secret()
    {
        using var sink = new SmtpSink();
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        var config = Config(sink.Port);
        Directory.CreateDirectory(config.Drop.Path);   // the Siège's drop exists (a site never creates it): the database fails
        NodeContext.SecretsFor(config).Set("db", "S3cret-Passw0rd");
        var report = await NodeRunner.SendAsync(config, null, CancellationToken.None);   // the database server is unreachable
        Assert.Equal(ReportState.Failed, report.State);
        for (var i = 0; i < 300 && sink.Messages.Count == 0; i++) await Task.Delay(100);   // until the mail arrives (30 s: a guard only)
        var mail = Assert.Single(sink.Messages);
        Assert.Contains("Subject: HeitzSync LYON01: Send Failed", mail);
        Assert.Contains("DatabaseError", mail);
        Assert.Contains("To: it@club.example", mail);
        Assert.DoesNotContain("S3cret-Passw0rd", mail);
        Assert.DoesNotContain("S3cret-Passw0rd", File.ReadAllText(Directory.GetFiles(config.Resolve(config.Reports.Folder)).Single()));
    }

    [Fact]
    public async Task An_unreachable_mail_server_is_noted_in_the_report_and_changes_nothing_else()
    {
        using (var key = SyncKey.Generate()) key.Save(_temp.File("group.key"));
        var config = Config(smtpPort: 1);
        NodeContext.SecretsFor(config).Set("db", "x");
        var report = await NodeRunner.SendAsync(config, null, CancellationToken.None);
        Assert.Equal(ReportState.Failed, report.State);
        var saved = new ReportStore(config.Resolve(config.Reports.Folder)).List().Single();
        Assert.Contains(saved.Errors, e => e.ErrorId == "MailNotSent" && e.Message.Contains("127.0.0.1:1"));
    }

    public void Dispose() => _temp.Dispose();
}
