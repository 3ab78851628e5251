package savedmodel

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// saverOps are the save and restore ops a SavedModel's SaverDef names, in
// the layout of TensorFlow 1's tf.train.Saver: loaders (TensorFlow's C++
// LoadSavedModel, tf.saved_model.load in Python) feed the variables path
// ("<dir>/variables/variables") to Filename and run Restore; running Save
// with the same feed writes the variables with SaveV2.
type saverOps struct {
	Filename tf.Output     // string scalar, "save/Const:0"
	Save     tf.Output     // the filename, after SaveV2 ran: "save/control_dependency/Identity:0"
	Restore  *tf.Operation // NoOp after every assign: "save/restore_all/NoOp"
}

// buildSaver adds the SavedModel saver for vars under s.SubScope("save").
// The checkpoint keys are the variables' names. Errors are recorded in s.
func buildSaver(s *op.Scope, vars []*tfmodel.Variable) saverOps {
	var sv saverOps
	if s.Err() != nil {
		return sv
	}
	if len(vars) == 0 {
		s.UpdateErr("savedmodel saver", errors.New("no variables to save"))
		return sv
	}
	names := make([]string, len(vars))
	values := make([]tf.Output, len(vars))
	dtypes := make([]tf.DataType, len(vars))
	for i, v := range vars {
		if v == nil || v.Handle.Op == nil || v.Value.Op == nil {
			s.UpdateErr("savedmodel saver", fmt.Errorf("variable %d was not created", i))
			return sv
		}
		names[i], values[i], dtypes[i] = v.Name, v.Value, v.DType
	}
	sub := s.SubScope("save")
	cpu := sub.WithDevice("/device:CPU:0")
	// A Const, as in tf.train.Saver: loaders feed it; its value is a
	// placeholder path that is never written to.
	sv.Filename = op.Const(cpu, "model")
	namesT := op.Const(cpu.SubScope("tensor_names"), names)
	slicesT := op.Const(cpu.SubScope("shape_and_slices"), make([]string, len(vars)))
	save := op.SaveV2(cpu, sv.Filename, namesT, slicesT, values)
	if s.Err() != nil {
		return sv
	}
	sv.Save = op.Identity(cpu.SubScope("control_dependency").WithControlDependencies(save), sv.Filename)
	restored := op.RestoreV2(cpu, sv.Filename, namesT, slicesT, dtypes)
	if s.Err() != nil {
		return sv
	}
	assigns := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		assigns[i] = op.AssignVariableOp(sub.SubScope("Assign"), v.Handle, restored[i], op.AssignVariableOpValidateShape(true))
	}
	sv.Restore = op.NoOp(sub.SubScope("restore_all").WithControlDependencies(assigns...))
	return sv
}

// saverDef describes sv for the MetaGraphDef. Sharded is set as TensorFlow
// Java's exporter does; restoring reads whatever shards the index lists.
func (sv saverOps) saverDef() *pb.SaverDef {
	return &pb.SaverDef{
		FilenameTensorName:        tensorName(sv.Filename),
		SaveTensorName:            tensorName(sv.Save),
		RestoreOpName:             sv.Restore.Name(),
		MaxToKeep:                 5,
		Sharded:                   true,
		KeepCheckpointEveryNHours: 10000,
		Version:                   pb.SaverDef_V2,
	}
}

// tensorName is the "op:index" name of an output.
func tensorName(o tf.Output) string {
	return fmt.Sprintf("%s:%d", o.Op.Name(), o.Index)
}
