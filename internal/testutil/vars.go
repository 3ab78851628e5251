package testutil

import (
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// VarValues reads vars in sess and returns their values by name, flattened
// in row-major order. It fails the test if a read fails or a variable is
// not float32.
func VarValues(t testing.TB, sess *tfmodel.Session, vars []*tfmodel.Variable) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, v := range vars {
		res, err := sess.Run(nil, []tf.Output{v.Value}, nil)
		if err != nil {
			t.Fatalf("reading %s: %v", v.Name, err)
		}
		x, err := tfmodel.Float32s(res[0])
		if err != nil {
			t.Fatalf("variable %s: %v", v.Name, err)
		}
		out[v.Name] = x
	}
	return out
}
