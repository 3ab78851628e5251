package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the paths a and b (both must exist) with
// renameat2(2) RENAME_EXCHANGE (Linux 3.15).
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return errNoExchange
	}
	return &os.LinkError{Op: "renameat2", Old: a, New: b, Err: err}
}
