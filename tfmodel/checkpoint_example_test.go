package tfmodel_test

import (
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// A training loop saves checkpoints, records them in the directory's
// "checkpoint" file (keeping the last two) and resumes from the latest.
func ExampleSaver() {
	s := op.NewScope()
	st := tfmodel.NewStore(1, tf.Float)
	w := st.Variable(s.SubScope("dense"), "kernel", []int64{2}, tfmodel.Values([]float32{1, 2}))
	step := st.Variable(s, "global_step", nil, tfmodel.Zeros(), tfmodel.WithDType(tf.Int64), tfmodel.NotTrainable())
	inc := op.AssignAddVariableOp(s.SubScope("inc"), step.Handle, op.Const(s.SubScope("one"), int64(1)))
	saver := tfmodel.NewSaver(s, st.All())
	initOp := st.InitOp(s.SubScope("init"))
	g, err := s.Finalize()
	if err != nil {
		fmt.Println(err)
		return
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sess.Close()

	dir, err := os.MkdirTemp("", "example-ckpt")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if _, err := sess.Run(nil, nil, []*tf.Operation{initOp}); err != nil {
		fmt.Println(err)
		return
	}
	for i := 1; i <= 3; i++ {
		if _, err := sess.Run(nil, nil, []*tf.Operation{inc}); err != nil {
			fmt.Println(err)
			return
		}
		prefix := filepath.Join(dir, fmt.Sprintf("ckpt-%d", i))
		if err := saver.Save(sess, prefix); err != nil {
			fmt.Println(err)
			return
		}
		if err := tfmodel.RecordCheckpoint(prefix, 2); err != nil {
			fmt.Println(err)
			return
		}
	}

	// Resume: reset the variables, then restore the latest checkpoint.
	if _, err := sess.Run(nil, nil, []*tf.Operation{initOp}); err != nil {
		fmt.Println(err)
		return
	}
	latest, err := tfmodel.LatestCheckpoint(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := saver.Restore(sess, latest); err != nil {
		fmt.Println(err)
		return
	}
	out, err := sess.Run(nil, []tf.Output{step.Value, w.Value}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("restored", filepath.Base(latest), "step", out[0].Value(), "kernel", out[1].Value())
	list, err := tfmodel.ListCheckpoint(latest)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range list {
		fmt.Println(e.Name, e.Shape)
	}
	entries, _ := os.ReadDir(dir)
	fmt.Println(len(entries), "files: state + 2 checkpoints x 2")
	// Output:
	// restored ckpt-3 step 3 kernel [1 2]
	// dense/kernel [2]
	// global_step []
	// 5 files: state + 2 checkpoints x 2
}

func ExampleParseDevice() {
	for _, spec := range []string{"cpu", "gpu", "gpu:1", "tpu"} {
		dev, err := tfmodel.ParseDevice(spec)
		fmt.Printf("%q %v\n", dev, err)
	}
	// Output:
	// "/device:CPU:0" <nil>
	// "/device:GPU:0" <nil>
	// "/device:GPU:1" <nil>
	// "" device "tpu": want cpu, gpu or gpu:N
}
