package ops

// Shape and dtype checks, error reporting and small graph helpers shared by the builders.

import (
	"fmt"
	"hash/fnv"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// fail records an error naming the layer type and its full scope path.
// ls is the layer's own scope.
func fail(ls *op.Scope, layer, format string, args ...interface{}) {
	if ls.Err() != nil {
		return
	}
	path := "?"
	// op.Scope does not expose its namespace: learn it from the name of a
	// throw-away op. The graph is unusable after the error anyway.
	if probe := ls.AddOperation(tf.OpSpec{Type: "NoOp", Name: "error_path"}); probe != nil {
		path = strings.TrimSuffix(probe.Name(), "/error_path")
	}
	ls.UpdateErr(layer, fmt.Errorf("ops.%s %q: %s", layer, path, fmt.Sprintf(format, args...)))
}

// checkFloat reports whether x is a usable float32/float64 input of the
// layer; if vs is not nil, x must also have the store's dtype.
func checkFloat(ls *op.Scope, layer string, vs *tfmodel.Store, x tf.Output) bool {
	if ls.Err() != nil {
		return false
	}
	if x.Op == nil {
		fail(ls, layer, "input is not set")
		return false
	}
	dt := x.DataType()
	if dt != tf.Float && dt != tf.Double {
		fail(ls, layer, "input dtype %v, want float32 or float64", dtypeName(dt))
		return false
	}
	if vs == nil {
		return true
	}
	if vs.DType() != dt {
		fail(ls, layer, "input dtype %v differs from the variable store's %v", dtypeName(dt), dtypeName(vs.DType()))
		return false
	}
	return true
}

// dtypeName names the dtypes that appear in error messages.
func dtypeName(dt tf.DataType) string {
	switch dt {
	case tf.Float:
		return "float32"
	case tf.Double:
		return "float64"
	case tf.Int32:
		return "int32"
	case tf.Int64:
		return "int64"
	case tf.Bool:
		return "bool"
	case tf.Half:
		return "float16"
	case tf.Bfloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("DataType(%d)", int(dt))
}

// staticShape returns the input's static shape, or nil if its rank is unknown.
func staticShape(x tf.Output) []int64 {
	sh := x.Shape()
	if sh.NumDimensions() < 0 {
		return nil
	}
	dims := make([]int64, sh.NumDimensions())
	for i := range dims {
		dims[i] = sh.Size(i)
	}
	return dims
}

// checkRank returns x's static shape if its rank is want (or at least
// want, if atLeast), with the given dimensions known.
func checkRank(ls *op.Scope, layer string, x tf.Output, want int, atLeast bool, known ...int) ([]int64, bool) {
	dims := staticShape(x)
	if dims == nil {
		fail(ls, layer, "input rank is unknown, want %d", want)
		return nil, false
	}
	if len(dims) < want || (!atLeast && len(dims) != want) {
		fail(ls, layer, "input shape %v has rank %d, want %s%d", dims, len(dims), map[bool]string{true: "≥ ", false: ""}[atLeast], want)
		return nil, false
	}
	for _, k := range known {
		if k < 0 {
			k += len(dims)
		}
		if dims[k] < 0 {
			fail(ls, layer, "input shape %v: dimension %d must be known", dims, k)
			return nil, false
		}
	}
	return dims, true
}

// scalar is a constant of dtype dt (float32 or float64) in its own sub-scope.
func scalar(s *op.Scope, name string, v float64, dt tf.DataType) tf.Output {
	s = s.SubScope(name)
	if dt == tf.Float {
		return op.Const(s, float32(v))
	}
	return op.Const(s, v)
}

// reshapeLike reshapes x to ref's leading nLead dimensions followed by tail.
// Known dimensions become constants; a single unknown one becomes -1; more
// than one unknown dimension is read from Shape(ref) at run time.
func reshapeLike(s *op.Scope, x, ref tf.Output, nLead int, tail []int64) tf.Output {
	dims := staticShape(ref)
	unknown := 0
	for _, d := range dims[:nLead] {
		if d < 0 {
			unknown++
		}
	}
	for _, d := range tail {
		if d < 0 {
			unknown++
		}
	}
	if unknown <= 1 {
		shape := append(append([]int64(nil), dims[:nLead]...), tail...)
		for i, d := range shape {
			if d < 0 {
				shape[i] = -1
			}
		}
		return op.Reshape(s, x, op.Const(s.SubScope("shape"), shape))
	}
	ds := s.SubScope("dynamic_shape")
	lead := op.StridedSlice(ds, op.Shape(ds, ref, op.ShapeOutType(tf.Int64)),
		op.Const(ds.SubScope("begin"), []int64{0}), op.Const(ds.SubScope("end"), []int64{int64(nLead)}),
		op.Const(ds.SubScope("strides"), []int64{1}))
	shape := op.ConcatV2(ds, []tf.Output{lead, op.Const(ds.SubScope("tail"), append([]int64{}, tail...))},
		op.Const(ds.SubScope("axis"), int32(0)))
	return op.Reshape(s, x, shape)
}

// nameHash maps an op name to a 63-bit constant (per-layer random streams).
func nameHash(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() >> 1)
}
