// The tests start hzsync processes that open embedded Firebird databases (lock files keyed by inode): one test class
// at a time, as in HeitzSync.Core.Tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
