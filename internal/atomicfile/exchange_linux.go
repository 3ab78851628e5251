package atomicfile

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// renameExchange is RENAME_EXCHANGE of renameat2(2) (Linux 3.15).
const renameExchange = 1 << 1

// exchange atomically swaps the paths a and b (both must exist).
func exchange(a, b string) error {
	if sysRenameat2 == 0 {
		return errNoExchange
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	const atFDCWD = -100
	fd := atFDCWD
	_, _, e := syscall.Syscall6(sysRenameat2, uintptr(fd), uintptr(unsafe.Pointer(pa)), uintptr(fd), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	switch {
	case e == 0:
		return nil
	case errors.Is(e, syscall.ENOSYS), errors.Is(e, syscall.EINVAL), errors.Is(e, syscall.EOPNOTSUPP):
		return errNoExchange
	}
	return &os.LinkError{Op: "renameat2", Old: a, New: b, Err: e}
}
