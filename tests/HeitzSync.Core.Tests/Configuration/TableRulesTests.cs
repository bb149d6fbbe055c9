using HeitzSync.Core.Configuration;

namespace HeitzSync.Core.Tests.Configuration;

/// <summary>Which tables travel: glob patterns, case-insensitive; local-only first, then exclude, then include.</summary>
public class TableRulesTests
{
    [Theory]
    [InlineData("MEMBERS", TableClass.Synchronised)]
    [InlineData("members", TableClass.Synchronised)]
    [InlineData("LOG_2024", TableClass.Excluded)]
    [InlineData("log_2024", TableClass.Excluded)]
    [InlineData("TMP1", TableClass.Excluded)]
    [InlineData("TMP12", TableClass.Synchronised)]
    [InlineData("WORKSTATION_SETTINGS", TableClass.LocalOnly)]
    [InlineData("LOG_WORKSTATION", TableClass.LocalOnly)]
    public void Local_only_wins_over_exclude_which_wins_over_include(string table, TableClass expected)
    {
        var rules = new TableRules
        {
            Include = new[] { "*" },
            Exclude = new[] { "LOG_*", "TMP?" },
            LocalOnly = new[] { "WORKSTATION_*", "*_WORKSTATION" },
        };
        Assert.Equal(expected, rules.Classify(table));
    }

    [Fact]
    public void A_table_outside_every_include_pattern_is_excluded()
    {
        var rules = new TableRules { Include = new[] { "SALE*", "MEMBER" } };
        Assert.Equal(TableClass.Synchronised, rules.Classify("SALE_LINES"));
        Assert.Equal(TableClass.Synchronised, rules.Classify("member"));
        Assert.Equal(TableClass.Excluded, rules.Classify("MEMBERS"));
        Assert.Equal(TableClass.Excluded, rules.Classify("PRODUCTS"));
    }

    [Fact]
    public void Pattern_characters_other_than_star_and_question_mark_are_literal()
    {
        var rules = new TableRules { Include = new[] { "A.B", "COST$", "X[1]", "Q+" } };
        Assert.Equal(TableClass.Synchronised, rules.Classify("A.B"));
        Assert.Equal(TableClass.Excluded, rules.Classify("AXB"));
        Assert.Equal(TableClass.Synchronised, rules.Classify("COST$"));
        Assert.Equal(TableClass.Excluded, rules.Classify("COST"));
        Assert.Equal(TableClass.Synchronised, rules.Classify("X[1]"));
        Assert.Equal(TableClass.Excluded, rules.Classify("X1"));
        Assert.Equal(TableClass.Excluded, rules.Classify("QQ"));
    }

    [Fact]
    public void Star_matches_any_run_including_none_and_the_whole_name_must_match()
    {
        var rules = new TableRules { Include = new[] { "*LINES" } };
        Assert.Equal(TableClass.Synchronised, rules.Classify("LINES"));
        Assert.Equal(TableClass.Synchronised, rules.Classify("SALE_LINES"));
        Assert.Equal(TableClass.Excluded, rules.Classify("SALE_LINES_OLD"));
    }

    [Fact]
    public void Quoted_identifiers_with_spaces_and_accents_match()
    {
        var rules = new TableRules { Exclude = new[] { "Journal d'accès*" } };
        Assert.Equal(TableClass.Excluded, rules.Classify("JOURNAL D'ACCÈS 2024"));
        Assert.Equal(TableClass.Synchronised, rules.Classify("Journal"));
    }

    [Fact]
    public void Siege_wins_tables_match_by_pattern()
    {
        var rules = new TableRules { SiegeWins = new[] { "PRICE_*", "VAT_RATE" } };
        Assert.True(rules.IsSiegeWins("price_list"));
        Assert.True(rules.IsSiegeWins("VAT_RATE"));
        Assert.False(rules.IsSiegeWins("VAT_RATES"));
        Assert.False(new TableRules().IsSiegeWins("PRICE_LIST"));
    }

    [Fact]
    public void The_defaults_synchronise_every_table()
    {
        Assert.Equal(TableClass.Synchronised, new TableRules().Classify("ANY_TABLE"));
    }
}
