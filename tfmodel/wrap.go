package tfmodel

import (
	"errors"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// WrapSession takes ownership of sess, an open session of g made elsewhere
// (by tf.LoadSavedModel, say), and returns it as a Session: closing the
// result closes sess.
func WrapSession(g *tf.Graph, sess *tf.Session) (*Session, error) {
	if g == nil || sess == nil {
		return nil, errors.New("tfmodel: WrapSession: nil graph or session")
	}
	return &Session{g: g, sess: sess}, nil
}
