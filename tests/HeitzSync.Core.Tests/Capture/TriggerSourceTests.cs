using HeitzSync.Core.Capture;

namespace HeitzSync.Core.Tests.Capture;

/// <summary>Where init puts the apply guard in a trigger's PSQL source: the first statement of the main block, whatever
/// comes before it (declarations, sub-routines, comments and strings that say BEGIN or END).</summary>
[Trait("Category", "Unit")]
public class TriggerSourceTests
{
    private static string Guarded(string source)
    {
        Assert.True(TriggerSource.TryAddGuard(source, out var guarded, out var why), why);
        return guarded;
    }

    /// <summary>The source with the guard written as a marker, to compare where it went.</summary>
    private static string Marked(string source) => Guarded(source).Replace(TriggerSource.Guard, "«guard»");

    [Fact]
    public void The_guard_goes_right_after_the_main_begin_and_comes_out_leaving_the_source_as_it_was()
    {
        const string source = "AS\nBEGIN\n  NEW.DATE_MODIF = CURRENT_TIMESTAMP;\nEND";
        Assert.Equal("AS\nBEGIN«guard»\n  NEW.DATE_MODIF = CURRENT_TIMESTAMP;\nEND", Marked(source));
        var guarded = Guarded(source);
        Assert.True(TriggerSource.HasGuard(guarded));
        Assert.False(TriggerSource.TestsApplyingItself(guarded));
        Assert.Equal(source, TriggerSource.RemoveGuard(guarded));
        Assert.Equal(guarded, Guarded(guarded));   // never twice
    }

    [Fact]
    public void Declarations_comments_strings_and_nested_blocks_do_not_mislead_it()
    {
        const string source =
            "AS\n" +
            "/* BEGIN of the story: END */\n" +
            "DECLARE VARIABLE END_DATE DATE; -- BEGIN\n" +
            "DECLARE VARIABLE LABEL VARCHAR(20) = 'BEGIN ''END'' BEGIN';\n" +
            "DECLARE C CURSOR FOR (SELECT CASE WHEN 1 = 1 THEN 'a' END FROM RDB$DATABASE);\n" +
            "DECLARE \"begin\" INTEGER;\n" +
            "DECLARE NOTE VARCHAR(20) = q'{it's END}';\n" +
            "BEGIN\n" +
            "  IF (1 = 1) THEN BEGIN END_DATE = NULL; END\n" +
            "  LABEL = CASE WHEN END_DATE IS NULL THEN 'x' ELSE 'y' END;\n" +
            "END";
        var marked = Marked(source);
        Assert.Equal(source.Replace("q'{it's END}';\nBEGIN\n", "q'{it's END}';\nBEGIN«guard»\n"), marked);
    }

    [Fact]
    public void A_sub_routine_declared_before_the_main_block_keeps_its_own_block()
    {
        const string source =
            "AS\n" +
            "DECLARE PROCEDURE LOG_IT (MSG VARCHAR(50)) AS\nBEGIN\n  INSERT INTO TILL_LOG (MESSAGE) VALUES (:MSG);\nEND\n" +
            "BEGIN\n  EXECUTE PROCEDURE LOG_IT('sold');\nEND\n";
        Assert.EndsWith("END\nBEGIN«guard»\n  EXECUTE PROCEDURE LOG_IT('sold');\nEND\n", Marked(source));
    }

    [Fact]
    public void A_sql_security_clause_before_as_stays_where_it_is()
    {
        Assert.Equal("SQL SECURITY DEFINER\nAS\nBEGIN«guard»\n  NEW.X = 1;\nEND", Marked("SQL SECURITY DEFINER\nAS\nBEGIN\n  NEW.X = 1;\nEND"));
    }

    [Fact]
    public void A_trigger_that_tests_the_context_itself_is_recognised_in_any_case_but_not_in_a_comment()
    {
        Assert.True(TriggerSource.TestsApplyingItself("AS BEGIN IF (rdb$get_context( 'USER_TRANSACTION' ,'HZ$APPLYING' ) IS NOT NULL) THEN EXIT; END"));
        Assert.False(TriggerSource.TestsApplyingItself("AS BEGIN /* RDB$GET_CONTEXT('USER_TRANSACTION', 'HZ$APPLYING') */ EXIT; END"));
        Assert.False(TriggerSource.TestsApplyingItself("AS BEGIN NEW.X = 1; END"));
    }

    [Theory]
    [InlineData("EXTERNAL NAME 'udr!stamp' ENGINE UDR")]
    [InlineData("AS BEGIN NEW.X = 1;")]
    [InlineData("AS DECLARE VARIABLE X INTEGER;")]
    public void A_source_it_cannot_read_is_left_alone_with_the_reason(string source)
    {
        Assert.False(TriggerSource.TryAddGuard(source, out var guarded, out var why));
        Assert.Equal(source, guarded);
        Assert.False(string.IsNullOrEmpty(why));
    }
}
