using HeitzSync.Core.Demo;
using HeitzSync.Firebird;
using HeitzSync.Testing;

namespace HeitzSync.Core.Tests.Demo;

[Trait("Category", "Firebird")]
public sealed class SampleSchemaTests : IDisposable
{
    private readonly TempFolder _temp = new("hz-demo-schema");

    [Fact]
    public void Creates_every_table_with_its_keys_charsets_foreign_keys_generators_and_trigger()
    {
        using var db = SampleDatabase.Create(_temp, "SCHEMA");
        using var tx = db.Connection.BeginTransaction(new FbTransactionOptions { ReadOnly = true });
        var tables = db.Connection.Schema.GetTables(tx).ToDictionary(t => t.Name);

        Assert.Equal(SampleSchema.AllTables.OrderBy(t => t, StringComparer.Ordinal), tables.Keys.OrderBy(t => t, StringComparer.Ordinal));
        Assert.All(SampleSchema.AllTables, t => Assert.NotEmpty(tables[t].PrimaryKey));
        Assert.Equal(new[] { "SALE_ID", "LINE_NO" }, tables["SALE_LINES"].PrimaryKey);
        Assert.Equal(new[] { "ID" }, tables["Accounting Entries"].PrimaryKey);
        Assert.Equal(new[] { "CODE" }, tables["SUBSCRIPTION_TYPES"].PrimaryKey);

        var members = tables["MEMBERS"].Columns.ToDictionary(c => c.Name);
        Assert.Equal("WIN1252", members["FIRST_NAME"].CharsetName);
        Assert.Equal("WIN1252", members["LAST_NAME"].CharsetName);
        Assert.Equal("UTF8", members["EMAIL"].CharsetName);
        Assert.Equal(FbDbType.Blob, members["PHOTO"].Type);
        Assert.Equal(FbDbType.TextBlob, members["NOTES"].Type);
        Assert.Equal("WIN1252", members["NOTES"].CharsetName);
        Assert.Equal(FbDbType.Boolean, members["ACTIVE"].Type);
        Assert.Equal(FbDbType.Timestamp, members["CREATED_AT"].Type);
        Assert.Equal(FbDbType.Date, members["BIRTH_DATE"].Type);
        Assert.Equal((FbDbType.Numeric, 15, -2), (members["BALANCE"].Type, members["BALANCE"].Precision, members["BALANCE"].Scale));
        Assert.Equal("ISO8859_1", tables["SUBSCRIPTION_TYPES"].Columns.Single(c => c.Name == "LABEL").CharsetName);
        Assert.Equal(FbDbType.Time, tables["Accounting Entries"].Columns.Single(c => c.Name == "ENTRY_TIME").Type);
        Assert.Equal(FbDbType.Char, tables["PAYMENTS"].Columns.Single(c => c.Name == "METHOD").Type);

        Assert.Contains(tables["MEMBERS"].ForeignKeys, f => f.Columns.SequenceEqual(new[] { "SPONSOR_ID" }) && f.ReferencedTable == "MEMBERS");
        Assert.Contains(tables["SUBSCRIPTIONS"].ForeignKeys, f => f.ReferencedTable == "SUBSCRIPTION_TYPES" && f.ReferencedColumns.SequenceEqual(new[] { "CODE" }));
        Assert.Contains(tables["SALE_LINES"].ForeignKeys, f => f.ReferencedTable == "SALES");
        Assert.Contains(tables["PAYMENTS"].ForeignKeys, f => f.ReferencedTable == "SALES");
        Assert.Contains(tables["ENTRIES"].ForeignKeys, f => f.ReferencedTable == "MEMBERS");
        Assert.Empty(tables["WORKSTATION_SETTINGS"].ForeignKeys);

        var generators = db.Connection.Schema.GetGenerators(tx).Select(g => g.Name).ToList();
        Assert.All(SampleSchema.Generators, g => Assert.Contains(g, generators));
        var trigger = Assert.Single(db.Connection.Schema.GetTriggers(tx), t => t.Name == SampleSchema.MemberIdTrigger);
        Assert.Equal("MEMBERS", trigger.Table);
        Assert.True(trigger.IsActive);
    }

    [Fact]
    public void Synchronised_and_local_tables_split_the_schema()
    {
        Assert.Equal(new[] { "WORKSTATION_SETTINGS" }, SampleSchema.LocalOnlyTables);
        Assert.Empty(SampleSchema.SynchronisedTables.Intersect(SampleSchema.LocalOnlyTables));
        Assert.Equal(9, SampleSchema.AllTables.Count);
        Assert.Contains("Accounting Entries", SampleSchema.SynchronisedTables);
        // Parents come before their children.
        Assert.True(SampleSchema.SynchronisedTables.ToList().IndexOf("SALES") < SampleSchema.SynchronisedTables.ToList().IndexOf("SALE_LINES"));
        Assert.True(SampleSchema.SynchronisedTables.ToList().IndexOf("SUBSCRIPTION_TYPES") < SampleSchema.SynchronisedTables.ToList().IndexOf("SUBSCRIPTIONS"));
    }

    [Fact]
    public void The_business_trigger_numbers_a_member_from_its_generator_only_when_no_id_is_given()
    {
        using var db = SampleDatabase.Create(_temp, "TRIGGER");
        db.Sql("ALTER SEQUENCE GEN_MEMBERS RESTART WITH 7000");
        db.Sql("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (NULL, ?)", "Lefèvre");
        db.Sql("INSERT INTO MEMBERS (ID, LAST_NAME) VALUES (42, ?)", "Müller");
        Assert.Equal(new object?[] { 42L, 7001L }, db.Column("SELECT ID FROM MEMBERS ORDER BY ID"));
        Assert.Equal(7001L, db.Long("SELECT GEN_ID(GEN_MEMBERS, 0) FROM RDB$DATABASE"));
    }

    [Fact]
    public void The_schema_cannot_be_created_twice_in_one_database()
    {
        using var db = SampleDatabase.Create(_temp, "TWICE");
        Assert.Throws<FbException>(() => SampleSchema.Create(db.Connection));
    }

    public void Dispose() => _temp.Dispose();
}
