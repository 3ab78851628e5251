package ops

import (
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestOptionsPropagate checks that options given to a composite layer reach
// its parts: KernelInit sets every kernel, Init overrides one variable by its
// relative path, NoBias drops every Dense bias.
func TestOptionsPropagate(t *testing.T) {
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Float)
	x := op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 3, 4)))
	TransformerBlock(s, vs, "block", x, TransformerConfig{Heads: 2, MLPDim: 6, Eps: 1e-6},
		KernelInit(tfmodel.Constant(0.25)), Init("mlp/fc1/kernel", tfmodel.Constant(2)),
		Init("ln2/beta", tfmodel.Constant(-1)), NoBias())
	initOp := vs.InitOp(s)
	sess := session(t, s)
	initStore(t, sess, initOp)
	want := map[string]float64{
		"block/mlp/fc1/kernel": 2, "block/ln2/beta": -1,
		"block/ln1/gamma": 1, "block/ln1/beta": 0, "block/ln2/gamma": 1,
	}
	vars := vs.All()
	if len(vars) != 10 { // 6 kernels, 2 LayerNorms
		t.Errorf("%d variables, want 10: %v", len(vars), vs.Names())
	}
	for _, v := range vars {
		if strings.HasSuffix(v.Name, "/bias") {
			t.Errorf("%s exists despite NoBias", v.Name)
			continue
		}
		w, ok := want[v.Name]
		if !ok && strings.HasSuffix(v.Name, "/kernel") {
			w, ok = 0.25, true
		}
		if !ok {
			t.Errorf("unexpected variable %s", v.Name)
			continue
		}
		for _, got := range run(t, sess, nil, v.Value)[0] {
			if got != w {
				t.Errorf("%s = %v, want %v", v.Name, got, w)
				break
			}
		}
	}
}
