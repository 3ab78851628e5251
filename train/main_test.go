package train

import (
	"fmt"
	"os"
	"testing"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestMain sizes TensorFlow's process-wide thread pools to one thread
// before any test opens a session. TensorFlow sizes them once, from the
// process's first session, and their size changes how its kernels split
// float sums: without this, the numbers a test sees (and so whether a
// run-equivalence test's near-tie flips) would depend on which test, or
// which session within it, came first in the process, and on the
// machine's cores.
func TestMain(m *testing.M) {
	if err := tfmodel.SetThreads(1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}
