using HeitzSync.Core.Configuration;
using HeitzSync.Testing.Ftp;
using Xunit.Abstractions;

namespace HeitzSync.Fault.Tests.Production;

/// <summary>
/// Issue 13: the production shape (server databases with users at work during the nights, sites over FTPS with one
/// chrooted account each, set up as docs/ftp-siege.md says). See <see cref="ProductionWorld"/>.
/// </summary>
[Trait("Category", "Production")]
public class ProductionTests
{
    private readonly ITestOutputHelper _output;

    public ProductionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Sites_reach_the_Siege_over_ftps_with_their_own_chrooted_accounts_as_the_docs_set_them_up()
    {
        using var world = new ProductionWorld();
        // The pin the page's openssl command printed is the certificate vsftpd presents.
        Assert.Equal(world.Ftp.Server.Thumbprint, world.Ftp.PrintedPin.Replace(":", ""));

        foreach (var (site, test) in world.Sites.Zip(world.Sites.Select(site => Task.Run(() => world.Check(world.Run(site, "test")))).ToList().Select(t => t.Result)))
        {
            Assert.Matches(@"(?m)^Passed\s+Tls\s+explicit TLS 1\.2, control and data; the Siège presented exactly the pinned certificate", test.Stdout);
            Assert.Matches($@"(?m)^Passed\s+SiteFolder\s+{site.Code}'s folder is this account's root \(drop\.scope Site\)", test.Stdout);
        }

        // README's old advice: an account chrooted to its folder, and a site that takes it for the whole drop. test now
        // fails, naming the setting, and writes nothing in the wrong place (the night would upload to LYON01/LYON01/up).
        var lyon = world["LYON01"];
        world.Reconfigure(lyon, c => c with { Drop = c.Drop with { Scope = DropScope.Drop } });
        var wrong = world.Run(lyon, "test");
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Matches(@"(?m)^Failed\s+SiteFolder\s+this account starts in LYON01's own folder .* but drop\.scope is Drop", wrong.Stdout);
        Assert.Contains("fix: Set drop.scope to Site.", wrong.Stdout);
        Assert.Matches(@"(?m)^Failed\s+WriteRight\s+not tried", wrong.Stdout);
        Assert.False(Directory.Exists(Path.Combine(world.Ftp.SiteFolder("LYON01"), "LYON01")), "test created a folder where the Siège never looks");
        world.Reconfigure(lyon, c => c with { Drop = c.Drop with { Scope = DropScope.Site } });

        // Nights with users at work at every node, through the server.
        world.StartTills();
        foreach (var node in world.Nodes) world.Till(node.Code).WaitForSales(3);
        for (var night = 1; night <= 2; night++)
        {
            var run = world.CleanNight();
            Assert.Contains("2 of 2 site(s) delivered", run.Consolidate.Stdout);
        }
        world.StopTills();
        world.CleanNight();   // what the tills wrote during the last night reaches everyone
        world.Check(world.Run(world.Siege, "test"));
        world.AssertIdentical();
        world.AssertEverySaleEverywhere();
        Assert.Empty(world.FragmentsInDrop());
        world.WriteLog(_output);
        foreach (var account in world.SiteAccounts)
        {
            Assert.DoesNotContain(account.Password, string.Concat(world.Log.Select(r => r.Stdout + r.Stderr)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_screen_left_open_across_nights_does_not_make_them_resend_the_day_and_its_sale_arrives_once_committed()
    {
        using var world = new ProductionWorld();
        world.StartTills();
        world.CleanNight();   // the initial load
        var lyon = world["LYON01"];

        // A screen at LYON01 opens a write transaction and stays idle; the day's business goes on around it.
        var screen = world.HoldTransaction(lyon);
        using (var till = lyon.Open())
        {
            for (var i = 0; i < 60; i++) BusinessWriter.InsertSale(till, lyon.Code, 1 + i % 3, "day");   // 180 rows
        }
        world.Till(lyon.Code).Pause();   // LYON01 quiet from here, so its next package can be counted exactly
        world.CleanNight();              // the first night after the screen opened: the day goes up once

        using (var till = lyon.Open())
        {
            for (var i = 0; i < 5; i++) BusinessWriter.InsertSale(till, lyon.Code, 2, "next day");   // 15 rows
        }
        var second = world.CleanNight();   // the other tills still at work during it
        Assert.Equal(15, second.RowsSent(lyon.Code));   // only what changed: not the 180 rows of the day before again

        world.StopTills();
        world.Commit(screen);
        world.CleanNight();
        world.AssertIdentical();
        world.AssertEverySaleEverywhere();   // the screen's sale among them
        world.WriteLog(_output);
    }
}
