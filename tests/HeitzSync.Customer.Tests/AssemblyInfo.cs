// One chain at a time: its nodes' embedded databases and hzsync child processes share Firebird's lock folder, as in
// HeitzSync.Core.Tests (see its AssemblyInfo.cs).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
