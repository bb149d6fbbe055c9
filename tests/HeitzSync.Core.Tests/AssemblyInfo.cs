// Firebird 3 keys its embedded lock files by device and inode (/tmp/firebird/fb_lock_<dev><inode>). Tests create and
// delete many databases, and run gbak as separate processes; in parallel, a freshly created file can reuse the inode of
// one another process still holds, and its attach fails ("Database already opened with engine instance,
// incompatible with current"). One test class at a time avoids that; a night never creates databases like this.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
