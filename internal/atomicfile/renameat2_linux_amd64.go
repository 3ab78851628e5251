package atomicfile

// sysRenameat2 is the renameat2 system call number (the syscall package
// does not define it for every architecture).
const sysRenameat2 = 316
