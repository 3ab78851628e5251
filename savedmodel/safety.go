package savedmodel

import (
	"fmt"
	"sort"
	"strings"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

// OpRef names one node of a MetaGraphDef: a graph node (Function empty) or
// a node in the body of a library function.
type OpRef struct {
	Function string
	Node     string
	Op       string
}

func (r OpRef) String() string {
	if r.Function == "" {
		return fmt.Sprintf("%s (node %q)", r.Op, r.Node)
	}
	return fmt.Sprintf("%s (node %q in function %q)", r.Op, r.Node, r.Function)
}

// UnsafeOp is a node Load refuses, and why.
type UnsafeOp struct {
	OpRef
	Reason string
}

func (u UnsafeOp) String() string { return u.OpRef.String() + ": " + u.Reason }

// UnsafeOpsError is Load's refusal of a SavedModel with unsafe ops.
type UnsafeOpsError struct {
	Dir string
	Ops []UnsafeOp
}

func (e *UnsafeOpsError) Error() string {
	const show = 10
	var b strings.Builder
	fmt.Fprintf(&b, "SavedModel %s has %d op(s) that touch files or the system; refusing to load it (allow unsafe ops only for models you trust): ", e.Dir, len(e.Ops))
	for i, u := range e.Ops {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Ops)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(u.String())
	}
	return b.String()
}

// ListOps lists every node of mg: the graph's nodes in order, then the
// nodes of each library function, functions sorted by name.
func ListOps(mg *pb.MetaGraphDef) []OpRef {
	var out []OpRef
	gd := mg.GetGraphDef()
	for _, n := range gd.GetNode() {
		out = append(out, OpRef{Node: n.GetName(), Op: n.GetOp()})
	}
	for _, f := range sortedFunctions(mg) {
		for _, n := range f.nodes {
			out = append(out, OpRef{Function: f.name, Node: n.GetName(), Op: n.GetOp()})
		}
	}
	return out
}

// UnsafeOps returns the nodes of mg that Load refuses, in ListOps order
// (see deniedOps for the list and the reasons).
func UnsafeOps(mg *pb.MetaGraphDef) []UnsafeOp {
	ix := newGraphIndex(mg)
	sd := mg.GetSaverDef()
	saver := ix.reach([]string{nodeName(sd.GetRestoreOpName()), nodeName(sd.GetSaveTensorName())})
	run := ix.reach(runRoots(mg))
	var out []UnsafeOp
	check := func(ref OpRef, n *nodepb.NodeDef, inSaver, inRun bool) {
		if why, ok := deniedOps[n.GetOp()]; ok {
			out = append(out, UnsafeOp{ref, why})
			return
		}
		if why, ok := checkpointOps[n.GetOp()]; ok {
			switch {
			case !inSaver:
				out = append(out, UnsafeOp{ref, why + " outside the SaverDef's restore and save ops"})
			case inRun:
				out = append(out, UnsafeOp{ref, why + " and a signature or init op depends on it"})
			}
			return
		}
		if why := attrReason(n); why != "" {
			out = append(out, UnsafeOp{ref, why})
		}
	}
	for _, n := range mg.GetGraphDef().GetNode() {
		check(OpRef{Node: n.GetName(), Op: n.GetOp()}, n, saver.nodes[n.GetName()], run.nodes[n.GetName()])
	}
	for _, f := range sortedFunctions(mg) {
		for _, n := range f.nodes {
			check(OpRef{Function: f.name, Node: n.GetName(), Op: n.GetOp()}, n, saver.funcs[f.name], run.funcs[f.name])
		}
	}
	return out
}

// runRoots are the nodes that run when the model is used: signature
// outputs (including the TF2 "__saved_model_init_op" signature) and the
// nodes named by collections (init ops such as "saved_model_main_op",
// "legacy_init_op" and "table_initializer").
func runRoots(mg *pb.MetaGraphDef) []string {
	var roots []string
	for _, sig := range mg.GetSignatureDef() {
		for _, ti := range sig.GetOutputs() {
			roots = append(roots, tensorInfoNodes(ti)...)
		}
	}
	for _, c := range mg.GetCollectionDef() {
		for _, v := range c.GetNodeList().GetValue() {
			roots = append(roots, nodeName(v))
		}
	}
	return roots
}

// tensorInfoNodes names the nodes behind a dense, sparse or composite
// TensorInfo.
func tensorInfoNodes(ti *pb.TensorInfo) []string {
	var out []string
	switch e := ti.GetEncoding().(type) {
	case *pb.TensorInfo_Name:
		out = append(out, nodeName(e.Name))
	case *pb.TensorInfo_CooSparse_:
		out = append(out, nodeName(e.CooSparse.GetValuesTensorName()), nodeName(e.CooSparse.GetIndicesTensorName()),
			nodeName(e.CooSparse.GetDenseShapeTensorName()))
	case *pb.TensorInfo_CompositeTensor_:
		for _, c := range e.CompositeTensor.GetComponents() {
			out = append(out, tensorInfoNodes(c)...)
		}
	}
	return out
}

// nodeName strips a tensor or control input name ("^a", "a:1") to its node.
func nodeName(s string) string {
	s = strings.TrimPrefix(s, "^")
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

type libFunction struct {
	name  string
	nodes []*nodepb.NodeDef
}

func sortedFunctions(mg *pb.MetaGraphDef) []libFunction {
	var fs []libFunction
	for _, f := range mg.GetGraphDef().GetLibrary().GetFunction() {
		fs = append(fs, libFunction{f.GetSignature().GetName(), f.GetNodeDef()})
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
	return fs
}

// graphIndex finds graph nodes and library functions by name.
type graphIndex struct {
	nodes map[string]*nodepb.NodeDef
	funcs map[string][]*nodepb.NodeDef
}

func newGraphIndex(mg *pb.MetaGraphDef) *graphIndex {
	ix := &graphIndex{nodes: map[string]*nodepb.NodeDef{}, funcs: map[string][]*nodepb.NodeDef{}}
	for _, n := range mg.GetGraphDef().GetNode() {
		ix.nodes[n.GetName()] = n
	}
	for _, f := range mg.GetGraphDef().GetLibrary().GetFunction() {
		ix.funcs[f.GetSignature().GetName()] = f.GetNodeDef()
	}
	return ix
}

// closure is a set of graph nodes and whole functions.
type closure struct {
	nodes map[string]bool
	funcs map[string]bool
}

// reach returns the graph nodes roots depend on (data and control inputs)
// and every function they call, directly or through other functions
// (function-valued attributes such as StatefulPartitionedCall's "f" or
// While's "body", and nodes whose op is a library function).
func (ix *graphIndex) reach(roots []string) closure {
	c := closure{nodes: map[string]bool{}, funcs: map[string]bool{}}
	var markFunc func(name string)
	calls := func(n *nodepb.NodeDef) {
		if _, ok := ix.funcs[n.GetOp()]; ok {
			markFunc(n.GetOp())
		}
		for _, name := range funcAttrs(n.GetAttr()) {
			markFunc(name)
		}
	}
	markFunc = func(name string) {
		if c.funcs[name] {
			return
		}
		body, ok := ix.funcs[name]
		if !ok {
			return
		}
		c.funcs[name] = true
		for _, n := range body {
			calls(n)
		}
	}
	stack := append([]string(nil), roots...)
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, ok := ix.nodes[name]
		if !ok || c.nodes[name] {
			continue
		}
		c.nodes[name] = true
		calls(n)
		for _, in := range n.GetInput() {
			stack = append(stack, nodeName(in))
		}
	}
	return c
}

// funcAttrs returns the function names in attrs (func and list(func)
// values, and functions named inside their own attributes).
func funcAttrs(attrs map[string]*attrpb.AttrValue) []string {
	var out []string
	//lint:ignore S1021 the closure calls itself, so it is declared first
	var addNAL func(f *attrpb.NameAttrList)
	addNAL = func(f *attrpb.NameAttrList) {
		if f == nil {
			return
		}
		out = append(out, f.GetName())
		out = append(out, funcAttrs(f.GetAttr())...)
	}
	for _, a := range attrs {
		switch v := a.GetValue().(type) {
		case *attrpb.AttrValue_Func:
			addNAL(v.Func)
		case *attrpb.AttrValue_List:
			for _, f := range v.List.GetFunc() {
				addNAL(f)
			}
		}
	}
	return out
}
