package savedmodel

import (
	"reflect"
	"strings"
	"testing"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	fnpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	opdefpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/op_def_go_proto"
	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

func node(name, op string, inputs ...string) *nodepb.NodeDef {
	return &nodepb.NodeDef{Name: name, Op: op, Input: inputs, Attr: map[string]*attrpb.AttrValue{}}
}

func withStr(n *nodepb.NodeDef, key, v string) *nodepb.NodeDef {
	n.Attr[key] = &attrpb.AttrValue{Value: &attrpb.AttrValue_S{S: []byte(v)}}
	return n
}

func withFunc(n *nodepb.NodeDef, key, fn string) *nodepb.NodeDef {
	n.Attr[key] = &attrpb.AttrValue{Value: &attrpb.AttrValue_Func{Func: &attrpb.NameAttrList{Name: fn}}}
	return n
}

func function(name string, nodes ...*nodepb.NodeDef) *fnpb.FunctionDef {
	return &fnpb.FunctionDef{Signature: &opdefpb.OpDef{Name: name}, NodeDef: nodes}
}

// metaGraph builds a MetaGraphDef whose SaverDef restores with
// "save/restore_all" and saves with "save/control_dependency:0", and whose
// signature "sig" outputs "out:0".
func metaGraph(nodes []*nodepb.NodeDef, funcs ...*fnpb.FunctionDef) *pb.MetaGraphDef {
	return &pb.MetaGraphDef{
		GraphDef: &graphpb.GraphDef{Node: nodes, Library: &fnpb.FunctionDefLibrary{Function: funcs}},
		SaverDef: &pb.SaverDef{FilenameTensorName: "save/Const:0", SaveTensorName: "save/control_dependency:0", RestoreOpName: "save/restore_all"},
		SignatureDef: map[string]*pb.SignatureDef{"sig": {
			Inputs:  map[string]*pb.TensorInfo{"in": {Encoding: &pb.TensorInfo_Name{Name: "in:0"}}},
			Outputs: map[string]*pb.TensorInfo{"out": {Encoding: &pb.TensorInfo_Name{Name: "out:0"}}},
		}},
	}
}

// saverNodes is a tf.train.Saver-like save/restore subgraph.
func saverNodes() []*nodepb.NodeDef {
	return []*nodepb.NodeDef{
		node("v", "VarHandleOp"),
		node("read", "ReadVariableOp", "v"),
		node("save/Const", "Const"),
		node("save/SaveV2", "SaveV2", "save/Const", "names", "slices", "read"),
		node("save/control_dependency", "Identity", "save/Const", "^save/SaveV2"),
		node("save/RestoreV2", "RestoreV2", "save/Const", "names", "slices"),
		node("save/Assign", "AssignVariableOp", "v", "save/RestoreV2"),
		node("save/restore_all", "NoOp", "^save/Assign"),
	}
}

// TestUnsafeOps checks the deny-list on hand-built graphs: which nodes are
// refused, in which function, and that a saver's own checkpoint ops pass.
func TestUnsafeOps(t *testing.T) {
	in := node("in", "Placeholder")
	cases := []struct {
		name string
		mg   *pb.MetaGraphDef
		want []string // "function/node:op"
	}{
		{"safe model with its saver",
			metaGraph(append(saverNodes(), in, node("out", "AddV2", "in", "read"))), nil},
		{"ReadFile in the graph",
			metaGraph([]*nodepb.NodeDef{in, node("out", "ReadFile", "in")}), []string{"/out:ReadFile"}},
		{"ReadFile unreachable from any signature",
			metaGraph([]*nodepb.NodeDef{in, node("out", "Identity", "in"), node("r", "ReadFile", "in")}), []string{"/r:ReadFile"}},
		{"PrintV2 to stderr", metaGraph([]*nodepb.NodeDef{in, withStr(node("out", "PrintV2", "in"), "output_stream", "stderr")}), nil},
		{"PrintV2 with the default stream", metaGraph([]*nodepb.NodeDef{in, node("out", "PrintV2", "in")}), nil},
		{"PrintV2 to a file",
			metaGraph([]*nodepb.NodeDef{in, withStr(node("out", "PrintV2", "in"), "output_stream", "file:///tmp/log")}),
			[]string{"/out:PrintV2"}},
		{"DecodeProtoV2 with a descriptor file",
			metaGraph([]*nodepb.NodeDef{in, withStr(node("out", "DecodeProtoV2", "in"), "descriptor_source", "/etc/x.desc")}),
			[]string{"/out:DecodeProtoV2"}},
		{"DecodeProtoV2 with local descriptors",
			metaGraph([]*nodepb.NodeDef{in, withStr(node("out", "DecodeProtoV2", "in"), "descriptor_source", "local://")}), nil},
		{"SaveV2 outside the saver",
			metaGraph(append(saverNodes(), in, node("out", "Identity", "in"), node("leak", "SaveV2", "in", "names", "slices", "read"))),
			[]string{"/leak:SaveV2"}},
		{"signature output depends on the saver's RestoreV2",
			metaGraph(append(saverNodes(), in, node("out", "Identity", "save/RestoreV2"))), []string{"/save/RestoreV2:RestoreV2"}},
		{"init op depends on the saver's restore",
			func() *pb.MetaGraphDef {
				mg := metaGraph(append(saverNodes(), in, node("out", "Identity", "in"), node("init", "NoOp", "^save/restore_all")))
				mg.CollectionDef = map[string]*pb.CollectionDef{"saved_model_main_op": {Kind: &pb.CollectionDef_NodeList_{
					NodeList: &pb.CollectionDef_NodeList{Value: []string{"init"}}}}}
				return mg
			}(),
			[]string{"/save/RestoreV2:RestoreV2"}},
		{"WriteFile in a While body inside a called function",
			metaGraph([]*nodepb.NodeDef{in, withFunc(node("out", "StatefulPartitionedCall", "in"), "f", "outer")},
				function("outer", withFunc(node("loop", "While", "x"), "body", "body")),
				function("body", node("w", "WriteFile", "a", "b"))),
			[]string{"body/w:WriteFile"}},
		{"TF2-style saver functions (called by op name and by attribute)",
			func() *pb.MetaGraphDef {
				mg := metaGraph([]*nodepb.NodeDef{in, node("out", "Identity", "in"), node("saver_filename", "Placeholder"),
					withFunc(node("save_call", "StatefulPartitionedCall", "saver_filename"), "f", "traced_save"),
					node("restore_call", "traced_restore", "saver_filename")},
					function("traced_save", node("s", "SaveV2"), node("m", "MergeV2Checkpoints")),
					function("traced_restore", node("r", "RestoreV2")))
				mg.SaverDef = &pb.SaverDef{FilenameTensorName: "saver_filename:0", SaveTensorName: "save_call:0", RestoreOpName: "restore_call"}
				return mg
			}(), nil},
		{"saver function also called by a signature",
			metaGraph([]*nodepb.NodeDef{in, node("out", "helper", "in"),
				withFunc(node("save/restore_all", "StatefulPartitionedCall"), "f", "helper")},
				function("helper", node("r", "RestoreV2"))),
			[]string{"helper/r:RestoreV2"}},
		{"system ops", metaGraph([]*nodepb.NodeDef{in, node("out", "Identity", "in"), node("c", "ImmutableConst"), node("p", "PyFunc", "in"), node("m", "MatchingFiles", "in")}),
			[]string{"/c:ImmutableConst", "/p:PyFunc", "/m:MatchingFiles"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, u := range UnsafeOps(c.mg) {
				got = append(got, u.Function+"/"+u.Node+":"+u.Op)
				if u.Reason == "" {
					t.Errorf("%v has no reason", u.OpRef)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("UnsafeOps = %v, want %v", got, c.want)
			}
		})
	}
}

// TestListOps checks that graph nodes come first, then function bodies by
// function name.
func TestListOps(t *testing.T) {
	mg := metaGraph([]*nodepb.NodeDef{node("a", "Const"), node("b", "Identity", "a")},
		function("zf", node("z1", "Neg")), function("af", node("a1", "Abs"), node("a2", "Exp")))
	var got []string
	for _, r := range ListOps(mg) {
		got = append(got, r.String())
	}
	want := []string{`Const (node "a")`, `Identity (node "b")`, `Abs (node "a1" in function "af")`,
		`Exp (node "a2" in function "af")`, `Neg (node "z1" in function "zf")`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListOps = %v, want %v", got, want)
	}
	err := (&UnsafeOpsError{Dir: "d", Ops: []UnsafeOp{{OpRef{Node: "n", Op: "ReadFile"}, "reads any file"}}}).Error()
	if !strings.Contains(err, `ReadFile (node "n"): reads any file`) {
		t.Errorf("error text %q", err)
	}
}
