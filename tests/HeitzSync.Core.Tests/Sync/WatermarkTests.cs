using HeitzSync.Core.Night;
using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Tests.Sync;

[Trait("Category", "Unit")]
public class WatermarkTests
{
    [Theory]
    [InlineData(10, 5, 12, 3, 12, 3)]
    [InlineData(12, 3, 10, 5, 12, 3)]
    [InlineData(10, 5, 10, 9, 10, 9)]   // no new sequence between two packages: the later guard wins
    [InlineData(10, 9, 10, 5, 10, 9)]
    public void The_latest_acknowledgement_is_the_greater_sequence_then_the_greater_guard(long s1, long t1, long s2, long t2, long sequence, long tx)
    {
        Assert.Equal(new Watermark(sequence, tx), Watermark.Latest(new Watermark(s1, t1), new Watermark(s2, t2)));
    }

    [Theory]
    [InlineData(101, 7, true)]    // a sequence after the range
    [InlineData(90, 40, true)]    // written by a transaction that was open (listed)
    [InlineData(90, 500, true)]   // written by a transaction that started after the range was read
    [InlineData(90, 41, false)]   // an older sequence from a transaction that was not open: already sent
    [InlineData(0, 40, false)]    // applied from elsewhere: never sent
    public void Only_rows_of_the_listed_open_transactions_are_sent_again(long sequence, long tx, bool expected)
    {
        var acknowledged = new Watermark(100, 300) { Open = OpenTransactions.Of(new long[] { 40, 12 }) };
        Assert.Equal(expected, acknowledged.StillToSend(sequence, tx));
        Assert.Equal("(v.SEQ > ? OR (v.SEQ > 0 AND (v.TX >= ? OR v.TX IN (12,40))))", acknowledged.SqlStillToSend("v", out var arguments));
        Assert.Equal(new object?[] { 100L, 300L }, arguments);
    }

    [Fact]
    public void Open_transactions_have_a_compact_bounded_text_form()
    {
        var open = OpenTransactions.Of(new long[] { 41, 12, 40, 12 });
        Assert.Equal("12,40,41", open.ToString());
        Assert.Equal(open, OpenTransactions.Parse("12,40,41"));
        Assert.True(OpenTransactions.Parse(null).IsEmpty);
        Assert.True(OpenTransactions.Parse("").IsEmpty);
        Assert.Throws<InvalidDataException>(() => OpenTransactions.Parse("12,x"));
        Assert.Throws<InvalidDataException>(() => OpenTransactions.Parse("-3"));
        var most = OpenTransactions.Of(Enumerable.Range(1, OpenTransactions.MaxListed).Select(i => long.MaxValue - i));
        Assert.True(most.ToString().Length <= OpenTransactions.MaxTextLength);
        Assert.Throws<InvalidDataException>(() => OpenTransactions.Parse(string.Join(",", Enumerable.Range(1, OpenTransactions.MaxListed + 1))));
        Assert.Equal(new Watermark(5, 6) { Open = OpenTransactions.Parse("3") }, new Watermark(5, 6) { Open = OpenTransactions.Of(new long[] { 3 }) });
    }

    [Fact]
    public void An_ack_of_the_first_format_still_reads_and_one_of_a_newer_format_is_refused_by_name()
    {
        var first = DropJson.Deserialize<AckDocument>("{ \"formatVersion\": 1, \"site\": \"LYON01\", \"sequence\": 9, \"resendFromTx\": 4 }"u8.ToArray(), "ack.json")!;
        Assert.Equal(new Watermark(9, 4), first.Watermark);
        var current = DropJson.Deserialize<AckDocument>(DropJson.Serialize(new AckDocument { Site = "LYON01", Sequence = 9, ResendFromTx = 4, OpenTransactions = "2,3" }), "ack.json")!;
        Assert.Equal(new Watermark(9, 4) { Open = OpenTransactions.Of(new long[] { 2, 3 }) }, current.Watermark);
        var newer = first with { FormatVersion = 3 };
        var refused = Assert.Throws<InvalidDataException>(() => newer.Watermark);
        Assert.Contains("format 3", refused.Message);
    }
}
