package ops_test

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// A Dense layer with fixed weights: y = x·kernel + bias.
func ExampleDense() {
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Float)
	x := op.Const(s.SubScope("x"), [][]float32{{1, 2}, {3, 4}})
	y := ops.Dense(s, vs, "proj", x, 3,
		ops.Init("kernel", tfmodel.Values([][]float32{{1, 0, 1}, {0, 1, 1}})),
		ops.Init("bias", tfmodel.Values([]float32{0.5, 0, -1})))
	initOp := vs.InitOp(s)
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
	if _, err := sess.Run(nil, nil, []*tf.Operation{initOp}); err != nil {
		fmt.Println(err)
		return
	}
	out, err := sess.Run(nil, []tf.Output{y}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(vs.Names())
	fmt.Println(out[0].Value())
	// Output:
	// [proj/bias proj/kernel]
	// [[1.5 2 2] [3.5 4 6]]
}

// A TransformerBlock's variables, the checkpoint keys of one layer.
func ExampleTransformerBlock() {
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Float)
	x := op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 16, 8)))
	ops.TransformerBlock(s.SubScope("transformer"), vs, "block_0", x, ops.TransformerConfig{Heads: 2, MLPDim: 32, Eps: 1e-12})
	if _, err := s.Finalize(); err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range vs.Names() {
		v, _ := vs.Get(name)
		fmt.Println(name, v.Shape)
	}
	fmt.Println(vs.NumParams(), "parameters")
	// Output:
	// transformer/block_0/attn/key/bias [8]
	// transformer/block_0/attn/key/kernel [8 8]
	// transformer/block_0/attn/out/bias [8]
	// transformer/block_0/attn/out/kernel [8 8]
	// transformer/block_0/attn/query/bias [8]
	// transformer/block_0/attn/query/kernel [8 8]
	// transformer/block_0/attn/value/bias [8]
	// transformer/block_0/attn/value/kernel [8 8]
	// transformer/block_0/ln1/beta [8]
	// transformer/block_0/ln1/gamma [8]
	// transformer/block_0/ln2/beta [8]
	// transformer/block_0/ln2/gamma [8]
	// transformer/block_0/mlp/fc1/bias [32]
	// transformer/block_0/mlp/fc1/kernel [8 32]
	// transformer/block_0/mlp/fc2/bias [8]
	// transformer/block_0/mlp/fc2/kernel [32 8]
	// 872 parameters
}
