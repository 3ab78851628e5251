package replicate

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Build builds one replica's pass on s from the placeholders in (keyed as
// the inputs given to ImportPass) and returns the tensors to import and the
// stores holding the variables it created, in the order of the chief's
// stores.
type Build func(s *op.Scope, in map[string]tf.Output) (outs []tf.Output, stores []*tfmodel.Store, err error)

// ImportPass builds a replica's pass with build in a graph of its own, on
// placeholders with the dtypes and static shapes of the tensors of in, and
// imports it into dst under prefix on device (see Import). The placeholders
// are mapped to the tensors of in, and the reads of the variables build
// created to the reads of the chief's variables of the same names: every
// store build returns must have the variables (names, dtypes, shapes, in
// order) of the chief's store at the same position. It returns the tensors
// of dst that correspond to build's outputs.
func ImportPass(dst *tf.Graph, prefix, device string, in map[string]tf.Output, chief []*tfmodel.Store, build Build) ([]tf.Output, error) {
	s := op.NewScope()
	ph := make(map[string]tf.Output, len(in))
	for name, x := range in {
		if x.Op == nil {
			return nil, fmt.Errorf("replica %s: input %q is a nil tensor", prefix, name)
		}
		ph[name] = op.Placeholder(s.SubScope(name), x.DataType(), op.PlaceholderShape(x.Shape()))
	}
	outs, stores, err := build(s, ph)
	if err == nil {
		err = s.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", prefix, err)
	}
	if len(stores) != len(chief) {
		return nil, fmt.Errorf("replica %s: %d variable stores, the chief %d", prefix, len(stores), len(chief))
	}
	mapping := map[tf.Output]tf.Output{}
	for name, p := range ph {
		mapping[p] = in[name]
	}
	for j, st := range stores {
		rv, cv := st.All(), chief[j].All()
		if len(rv) != len(cv) {
			return nil, fmt.Errorf("replica %s: store %d has %d variables, the chief's %d", prefix, j, len(rv), len(cv))
		}
		for i, v := range rv {
			c := cv[i]
			if c.Name != v.Name || c.DType != v.DType || fmt.Sprint(c.Shape) != fmt.Sprint(v.Shape) {
				return nil, fmt.Errorf("replica %s: variable %q %v has no match on the chief (%q %v)", prefix, v.Name, v.Shape, c.Name, c.Shape)
			}
			mapping[v.Value] = c.Value
		}
	}
	src, err := s.Finalize()
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", prefix, err)
	}
	return Import(dst, src, prefix, device, mapping, outs)
}

// Gradients returns the gradients of loss with respect to the values of
// vars, starting from dy (the initial gradient of loss, a scalar like it),
// under s. A variable the loss does not depend on is an error naming it.
func Gradients(s *op.Scope, loss tf.Output, vars []*tfmodel.Variable, dy tf.Output) ([]tf.Output, error) {
	xs := make([]tf.Output, len(vars))
	for i, v := range vars {
		xs[i] = v.Value
	}
	grads := op.Gradients(s, []tf.Output{loss}, xs, dy)
	if s.Err() != nil {
		return nil, s.Err()
	}
	for i, g := range grads {
		if g.Op == nil {
			return nil, fmt.Errorf("variable %q does not affect the loss (no gradient)", vars[i].Name)
		}
	}
	return grads, nil
}

// SumGradients adds the replicas' gradients: sets[i][j] is replica i's
// gradient of variable j; the result has one sum per variable, built under s.
func SumGradients(s *op.Scope, sets [][]tf.Output) ([]tf.Output, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("replicate: no gradients to add")
	}
	n := len(sets[0])
	out := make([]tf.Output, n)
	for j := range out {
		parts := make([]tf.Output, len(sets))
		for i, set := range sets {
			if len(set) != n {
				return nil, fmt.Errorf("replicate: replica %d has %d gradients, replica 0 %d", i, len(set), n)
			}
			parts[i] = set[j]
		}
		out[j] = Sum(s.SubScope(fmt.Sprintf("g%d", j)), parts)
	}
	return out, s.Err()
}
