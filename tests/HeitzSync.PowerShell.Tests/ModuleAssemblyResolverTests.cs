using System.Reflection;
using HeitzSync.PowerShell.Infrastructure;
using HeitzSync.PowerShell.Tests.Metadata;

namespace HeitzSync.PowerShell.Tests;

/// <summary>
/// What the module's AssemblyResolve handler answers (Windows PowerShell 5.1 has no binding redirects for a module):
/// only the module's own copy, and only when it is not older than the version asked for.
/// </summary>
public class ModuleAssemblyResolverTests
{
    private const string JsonToken = "cc7b13ffcd2ddd51";
    private const string ModuleFolder = "/opt/modules/HeitzSync/0.1.0";

    private static AssemblyName Name(string name, string version, string token = JsonToken) =>
        new($"{name}, Version={version}, Culture=neutral, PublicKeyToken={token}");

    private static ShippedAssembly Ships(string name, string version, string token = JsonToken) =>
        new(Path.Combine(ModuleFolder, name + ".dll"), Name(name, version, token));

    private static readonly LoadedAssembly OtherModulesOldJson = new(Name("System.Text.Json", "4.0.1.0"), "/opt/modules/Other/1.0/System.Text.Json.dll");

    [Fact]
    public void A_copy_another_module_loaded_first_is_never_the_answer_the_module_own_copy_is()
    {
        // The bug: the handler returned whatever System.Text.Json was loaded (4.0.1.0 here), and our 8.0 calls threw
        // MissingMethodException on 5.1.
        var decision = ModuleAssemblyResolver.Decide(Name("System.Text.Json", "8.0.0.0"), Ships("System.Text.Json", "8.0.0.0"), new[] { OtherModulesOldJson });
        Assert.Equal(ResolveAnswer.LoadOwnCopy, decision.Answer);

        // Not even one that is newer than ours: another module's copy is that module's business.
        var newer = new LoadedAssembly(Name("System.Text.Json", "9.0.0.0"), "/opt/modules/Other/1.0/System.Text.Json.dll");
        Assert.Equal(ResolveAnswer.LoadOwnCopy, ModuleAssemblyResolver.Decide(Name("System.Text.Json", "8.0.0.0"), Ships("System.Text.Json", "8.0.0.0"), new[] { newer }).Answer);
    }

    [Fact]
    public void An_older_version_asked_for_gets_the_module_copy_as_a_binding_redirect_would()
    {
        // System.Text.Json 8.0 asks for System.Memory 4.0.1.1; the module ships 4.0.1.2.
        var decision = ModuleAssemblyResolver.Decide(Name("System.Memory", "4.0.1.1"), Ships("System.Memory", "4.0.1.2"), new[] { OtherModulesOldJson });
        Assert.Equal(ResolveAnswer.LoadOwnCopy, decision.Answer);
        Assert.Equal(ResolveAnswer.LoadOwnCopy, ModuleAssemblyResolver.Decide(new AssemblyName("System.Memory"), Ships("System.Memory", "4.0.1.2"), Array.Empty<LoadedAssembly>()).Answer);
    }

    [Fact]
    public void A_newer_version_than_the_module_ships_is_left_to_the_runtime_and_other_resolvers()
    {
        var newer = new LoadedAssembly(Name("System.Text.Json", "9.0.0.0"), "/opt/modules/Other/1.0/System.Text.Json.dll");
        var decision = ModuleAssemblyResolver.Decide(Name("System.Text.Json", "9.0.0.0"), Ships("System.Text.Json", "8.0.0.0"), new[] { newer });
        Assert.Equal(ResolveAnswer.None, decision.Answer);
    }

    [Fact]
    public void The_module_own_copy_loaded_already_is_answered_with_that_same_assembly()
    {
        var own = new LoadedAssembly(Name("System.Text.Json", "8.0.0.0"), ModuleFolder + "/System.Text.Json.dll");
        var decision = ModuleAssemblyResolver.Decide(Name("System.Text.Json", "6.0.0.0"), Ships("System.Text.Json", "8.0.0.0"), new[] { OtherModulesOldJson, own });
        Assert.Equal(ResolveAnswer.OwnLoadedCopy, decision.Answer);
        Assert.Equal(1, decision.Loaded);
    }

    [Fact]
    public void A_name_the_module_does_not_ship_or_one_signed_by_someone_else_is_not_answered()
    {
        Assert.Equal(ResolveAnswer.None, ModuleAssemblyResolver.Decide(Name("Newtonsoft.Json", "13.0.0.0", "30ad4fe6b2a6aeed"), null, new[] { OtherModulesOldJson }).Answer);
        Assert.Equal(ResolveAnswer.None, ModuleAssemblyResolver.Decide(Name("System.Text.Json", "8.0.0.0", "0123456789abcdef"), Ships("System.Text.Json", "8.0.0.0"), Array.Empty<LoadedAssembly>()).Answer);
    }

    [Fact]
    public void The_shipped_version_is_read_from_the_file_without_loading_it()
    {
        var folder = Path.GetDirectoryName(ModuleFiles.CmdletAssembly)!;
        var shipped = ModuleAssemblyResolver.ShippedIn(folder, "System.Text.Json");

        Assert.NotNull(shipped);
        Assert.Equal(new Version(8, 0, 0, 0), shipped!.Name.Version);
        Assert.Equal(JsonToken, Convert.ToHexString(shipped.Name.GetPublicKeyToken()!).ToLowerInvariant());
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => !a.IsDynamic && string.Equals(a.Location, shipped.Path, StringComparison.Ordinal));
        Assert.Null(ModuleAssemblyResolver.ShippedIn(folder, "Not.Shipped.Here"));
    }
}
