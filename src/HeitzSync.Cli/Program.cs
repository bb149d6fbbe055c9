namespace HeitzSync.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("hzsync: not built yet");
        return 2;
    }
}
