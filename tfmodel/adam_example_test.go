package tfmodel_test

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Fit w to minimize mean((w − target)²) with AdamW, clipping and a
// warmup-cosine schedule fed through an lr placeholder.
func ExampleNewAdamW() {
	s := op.NewScope()
	st := tfmodel.NewStore(1, tf.Double)
	w := st.Variable(s.SubScope("fit"), "w", []int64{2}, tfmodel.Zeros())
	target := op.Const(s.SubScope("target"), []float64{3, -1})
	loss := op.Mean(s, op.Square(s, op.Sub(s, w.Value, target)), op.Const(s.SubScope("axis"), int32(0)))
	lr := op.Placeholder(s.SubScope("lr"), tf.Double, op.PlaceholderShape(tf.ScalarShape()))

	cfg := tfmodel.DefaultAdamConfig()
	cfg.WeightDecay = 0.01
	opt, err := tfmodel.NewAdamW(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	train, gradNorm, err := opt.Minimize(s, st, loss, lr, 1.0)
	if err != nil {
		fmt.Println(err)
		return
	}
	init := st.InitOp(s) // after Minimize: the optimizer state is in the store too
	sched, err := tfmodel.NewWarmupCosine(0.2, 0.01, 10, 300)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Names())

	g, err := s.Finalize()
	if err != nil {
		fmt.Println(err)
		return
	}
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
		fmt.Println(err)
		return
	}
	for step := 0; step < 300; step++ {
		lrT, err := tf.NewTensor(sched.LR(step))
		if err != nil {
			fmt.Println(err)
			return
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{lr: lrT}, []tf.Output{gradNorm}, []*tf.Operation{train})
		if err != nil {
			fmt.Println(err)
			return
		}
		if step == 0 {
			fmt.Printf("first gradient norm %.4f\n", out[0].Value().(float64)) // ‖(−3, 1)‖ = √10
		}
	}
	out, err := sess.Run(nil, []tf.Output{w.Value, opt.Step().Value}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := out[0].Value().([]float64)
	fmt.Printf("w = [%.2f %.2f] after %d steps\n", v[0], v[1], out[1].Value().(int64))
	// Output:
	// [fit/w optimizer/fit/w/m optimizer/fit/w/v optimizer/step]
	// first gradient norm 3.1623
	// w = [2.99 -1.00] after 300 steps
}
