// Firebird 3 keys its embedded lock files by device and inode (/tmp/firebird/fb_lock_<dev><inode>), and this suite
// creates, copies and deletes many databases while hzsync child processes open them: one test class at a time, as in
// HeitzSync.Core.Tests (see its AssemblyInfo.cs). Within a class, xunit runs the tests one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
