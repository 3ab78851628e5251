package bench

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Matmul times C = A·B for two n×n float32 variables (so nothing is fed
// or constant-folded, and the product stays in TensorFlow). Units are
// FLOPs (2n³).
func Matmul(n, warmup, iters, threads int) (Result, error) {
	res := Result{Name: "matmul", Side: "go", Units: 2 * float64(n) * float64(n) * float64(n)}
	if n < 1 || iters < 1 {
		return res, fmt.Errorf("bench matmul: n %d, iters %d", n, iters)
	}
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Float)
	a := vs.Variable(s, "a", []int64{int64(n), int64(n)}, tfmodel.Normal(1))
	b := vs.Variable(s, "b", []int64{int64(n), int64(n)}, tfmodel.Normal(1))
	c := op.MatMul(s.SubScope("c"), a.Value, b.Value)
	// A scalar out of the product keeps the fetch cheap (n² adds against 2n³).
	sum := op.Sum(s.SubScope("sum"), c, op.Const(s.SubScope("axes"), []int32{0, 1}))
	init := vs.InitOp(s.SubScope("init"))
	g, err := s.Finalize()
	if err != nil {
		return res, err
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: threads})
	if err != nil {
		return res, err
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
		return res, err
	}
	res.Seconds, err = timeRuns(warmup, iters, func() error {
		_, err := sess.Run(nil, []tf.Output{sum}, nil)
		return err
	})
	return res, err
}
