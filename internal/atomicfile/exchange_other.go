//go:build !linux

package atomicfile

// exchange is not available outside Linux: ReplaceDir renames the old
// directory aside first.
func exchange(a, b string) error { return errNoExchange }
