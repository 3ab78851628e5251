//go:build linux && !amd64 && !arm64

package atomicfile

// sysRenameat2 is 0 where this package does not know the system call
// number: ReplaceDir then renames the old directory aside first.
const sysRenameat2 = 0
