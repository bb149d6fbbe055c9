using HeitzSync.Core.Runs;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Runs;

public class StopRequestTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-stop");

    [Fact]
    public void A_stop_asked_from_another_console_is_seen_with_its_reason_and_who_asked_until_cleared()
    {
        var night = new StopRequest(_temp.Path);
        Assert.False(night.IsRequested);
        Assert.Null(night.Read());
        Assert.Null(night.Reason);

        var asking = DateTime.UtcNow;
        var asked = new StopRequest(_temp.Path).Request("the accountant needs the database\r\nnow");
        var answered = DateTime.UtcNow;

        Assert.True(night.IsRequested);
        var seen = night.Read()!;
        Assert.Equal("the accountant needs the database now", seen.Reason);
        Assert.Equal(Environment.UserName, seen.RequestedBy);
        Assert.Equal(Environment.MachineName, seen.MachineName);
        Assert.InRange(seen.RequestedUtc, asking, answered);   // the time it was asked, however long asking took
        Assert.Equal(asked, seen);
        Assert.StartsWith("the accountant needs the database now (asked by " + Environment.UserName, night.Reason);

        night.Clear();
        night.Clear();
        Assert.False(night.IsRequested);
        Assert.Null(night.Reason);
    }

    [Fact]
    public void A_request_file_that_cannot_be_parsed_still_stops_the_night()
    {
        File.WriteAllText(_temp.File(StopRequest.FileName), "stop please");
        var night = new StopRequest(_temp.Path);

        Assert.True(night.IsRequested);
        Assert.Contains("could not be read", night.Reason);
    }

    [Fact]
    public void An_empty_or_huge_reason_is_given_a_sensible_text()
    {
        var stop = new StopRequest(_temp.File("work"));
        Assert.Equal("stopped by an operator", stop.Request("  ").Reason);
        Assert.Equal(500, stop.Request(new string('x', 5000)).Reason.Length);
    }

    public void Dispose() => _temp.Dispose();
}
