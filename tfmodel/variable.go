package tfmodel

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Variable is a resource variable in a graph.
//
// Forward computations use Value, the single ReadVariableOp of the variable,
// so gradients taken with respect to Value are the variable's gradients.
type Variable struct {
	// Name is the full graph name and the checkpoint key, e.g. "encoder/conv_in/kernel".
	Name  string
	Shape []int64
	DType tf.DataType
	// Trainable variables are updated by optimizers; others (step counters,
	// optimizer slots, EMA statistics) are only saved and restored.
	Trainable bool
	// Handle is the VarHandleOp output (a DT_RESOURCE scalar).
	Handle tf.Output
	// Value reads the variable.
	Value tf.Output
	// Init assigns the initializer's value.
	Init *tf.Operation
}

// Store creates and tracks the variables of one graph. Initial values come
// from stateless random ops whose seed is (Store seed, hash of the variable
// name), so they do not depend on creation order and the same seed gives the
// same initial model.
type Store struct {
	seed   int64
	dtype  tf.DataType
	vars   []*Variable
	byName map[string]*Variable
}

// NewStore returns an empty store whose float variables default to dtype
// (tf.Float for models, tf.Double for gradient checks).
func NewStore(seed int64, dtype tf.DataType) *Store {
	return &Store{seed: seed, dtype: dtype, byName: map[string]*Variable{}}
}

// DType is the default floating-point type of the store's variables.
func (st *Store) DType() tf.DataType { return st.dtype }

// Seed is the store's base seed.
func (st *Store) Seed() int64 { return st.seed }

// VarOption changes how Variable creates a variable.
type VarOption func(*varOptions)

type varOptions struct {
	trainable bool
	dtype     tf.DataType
}

// NotTrainable marks a variable that optimizers must not update.
func NotTrainable() VarOption { return func(o *varOptions) { o.trainable = false } }

// WithDType overrides the store's default dtype (e.g. tf.Int64 for counters).
func WithDType(dt tf.DataType) VarOption { return func(o *varOptions) { o.dtype = dt } }

// Variable creates the variable name under scope s. Errors (bad shape, name
// collision) are recorded in s, following the op.Scope convention; the
// returned Variable is then unusable and s.Err() reports why.
func (st *Store) Variable(s *op.Scope, name string, shape []int64, init Initializer, opts ...VarOption) *Variable {
	o := varOptions{trainable: true, dtype: st.dtype}
	for _, f := range opts {
		f(&o)
	}
	v := &Variable{Shape: append([]int64(nil), shape...), DType: o.dtype, Trainable: o.trainable}
	if s.Err() != nil {
		return v
	}
	if name == "" || strings.Contains(name, "/") {
		s.UpdateErr("Variable", fmt.Errorf("variable name %q must be non-empty and contain no '/'", name))
		return v
	}
	for _, d := range shape {
		if d < 0 {
			s.UpdateErr("Variable", fmt.Errorf("variable %q: shape %v must be fully defined", name, shape))
			return v
		}
	}
	if init == nil {
		s.UpdateErr("Variable", fmt.Errorf("variable %q: nil initializer", name))
		return v
	}
	sub := s.SubScope(name)
	shapeT := op.Const(sub.SubScope("shape"), v.Shape)
	if s.Err() != nil {
		return v
	}
	// The shape constant is named "<full name>/shape/Const": its name tells the
	// variable's full path, which op.Scope does not expose.
	v.Name = strings.TrimSuffix(shapeT.Op.Name(), "/shape/Const")
	if _, dup := st.byName[v.Name]; dup {
		s.UpdateErr("Variable", fmt.Errorf("variable %q already exists", v.Name))
		return v
	}
	seed := op.Const(sub.SubScope("seed"), []int64{st.seed, nameHash(v.Name)})
	initial := init.Build(sub.SubScope("Initializer"), InitArgs{Shape: v.Shape, ShapeT: shapeT, DType: v.DType, Seed: seed})
	v.Handle = s.AddOperation(tf.OpSpec{
		Type: "VarHandleOp",
		Name: v.Name[strings.LastIndex(v.Name, "/")+1:],
		Attrs: map[string]interface{}{
			"dtype":       v.DType,
			"shape":       tf.MakeShape(v.Shape...),
			"shared_name": v.Name,
			"container":   "",
		},
	}).Output(0)
	if s.Err() != nil {
		return v
	}
	if got := v.Handle.Op.Name(); got != v.Name {
		s.UpdateErr("Variable", fmt.Errorf("variable %q: handle named %q (an op with that name already exists)", v.Name, got))
		return v
	}
	v.Init = op.AssignVariableOp(sub.SubScope("Assign"), v.Handle, initial)
	v.Value = op.ReadVariableOp(sub.SubScope("Read"), v.Handle, v.DType)
	if s.Err() != nil {
		return v
	}
	st.vars = append(st.vars, v)
	st.byName[v.Name] = v
	return v
}

// Get returns the variable with the given full name.
func (st *Store) Get(name string) (*Variable, bool) {
	v, ok := st.byName[name]
	return v, ok
}

// All returns every variable in creation order.
func (st *Store) All() []*Variable { return append([]*Variable(nil), st.vars...) }

// Trainable returns the trainable variables in creation order.
func (st *Store) Trainable() []*Variable {
	var out []*Variable
	for _, v := range st.vars {
		if v.Trainable {
			out = append(out, v)
		}
	}
	return out
}

// Names returns the sorted full names of all variables.
func (st *Store) Names() []string {
	names := make([]string, 0, len(st.vars))
	for _, v := range st.vars {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return names
}

// NumParams counts the elements of the trainable variables.
func (st *Store) NumParams() int64 {
	var n int64
	for _, v := range st.Trainable() {
		k := int64(1)
		for _, d := range v.Shape {
			k *= d
		}
		n += k
	}
	return n
}

// InitOp returns one op that runs every variable's initializer.
func (st *Store) InitOp(s *op.Scope) *tf.Operation {
	inits := make([]*tf.Operation, 0, len(st.vars))
	for _, v := range st.vars {
		inits = append(inits, v.Init)
	}
	return op.NoOp(s.WithControlDependencies(inits...))
}

// nameHash maps a variable name to the second word of its initializer seed.
func nameHash(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() >> 1)
}
