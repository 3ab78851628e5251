package testutil

import (
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// InitSession opens a session on g with opts and runs the init ops (the
// variables' initializers). It fails the test on an error; the caller
// closes the session.
func InitSession(t testing.TB, g *tf.Graph, opts tfmodel.SessionOptions, init ...*tf.Operation) *tfmodel.Session {
	t.Helper()
	sess, err := tfmodel.NewSession(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Run(nil, nil, init); err != nil {
		sess.Close()
		t.Fatalf("initialising: %v", err)
	}
	return sess
}
