package testutil

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// fatalTB records the message of Fatalf and ends the goroutine, as
// testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// varValues runs VarValues in its own goroutine with a fatalTB and returns
// the message it failed with ("" if it returned).
func varValues(t *testing.T, sess *tfmodel.Session, vars []*tfmodel.Variable) (vals map[string][]float32, msg string) {
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		vals = VarValues(tb, sess, vars)
	}()
	<-done
	return vals, tb.msg
}

// TestVarValues reads a 2x3 float32 variable flattened and fails on an
// int64 one.
func TestVarValues(t *testing.T) {
	s := op.NewScope()
	st := tfmodel.NewStore(1, tf.Float)
	w := st.Variable(s, "w", []int64{2, 3}, tfmodel.Constant(1.5))
	n := st.Variable(s, "n", nil, tfmodel.Zeros(), tfmodel.WithDType(tf.Int64))
	init := st.InitOp(s)
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess := InitSession(t, g, tfmodel.SessionOptions{Threads: 1}, init)
	defer sess.Close()
	vals, msg := varValues(t, sess, []*tfmodel.Variable{w})
	if msg != "" || len(vals) != 1 || fmt.Sprint(vals["w"]) != "[1.5 1.5 1.5 1.5 1.5 1.5]" {
		t.Errorf("float variable: %v (%q)", vals, msg)
	}
	if _, msg := varValues(t, sess, []*tfmodel.Variable{w, n}); !strings.Contains(msg, "variable n") {
		t.Errorf("int64 variable: failed with %q, want a message naming it", msg)
	}
}
