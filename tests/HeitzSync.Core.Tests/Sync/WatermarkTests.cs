using HeitzSync.Core.Sync;

namespace HeitzSync.Core.Tests.Sync;

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
}
