package savedmodel

import (
	"strings"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
)

// A SavedModel is a program: loading it runs its restore and init ops, and
// its signatures run whatever ops their outputs depend on, with the
// permissions of the loading process. Load refuses the op types below
// (unless Options.AllowUnsafeOps) because they reach outside the tensors a
// model computes on: they read, list or write files, write summaries or
// debug dumps to paths, or run host code. Kernels come only from the linked
// libtensorflow (no graph op loads a shared library; an unknown op type
// fails when the graph is imported), so the list names the registered ops
// that touch the file system or the process.
//
// The checkpoint ops (checkpointOps) are how a SavedModel restores its own
// variables, so they are allowed where the SaverDef uses them: in the
// ancestors of its restore op and save tensor (following called
// functions), provided no signature output or init op also depends on them.
// Anywhere else they are file reads and writes at a path the graph chooses.
// The exemption trusts the saver's own subgraph: the paths its checkpoint
// ops use are not checked to derive from the fed filename tensor (TF2 savers
// build them inside functions), so a hostile SaverDef could still read or
// write checkpoint-format files at other paths while restoring.
var deniedOps = map[string]string{
	// Direct file system access.
	"ReadFile":                      "reads any file",
	"WriteFile":                     "writes any file",
	"MatchingFiles":                 "lists the file system",
	"ImmutableConst":                "memory-maps a file",
	"FileSystemSetConfiguration":    "changes file system settings",
	"InitializeTableFromTextFile":   "reads a vocabulary file",
	"InitializeTableFromTextFileV2": "reads a vocabulary file",
	"LoadAndRemapMatrix":            "reads a checkpoint file",
	"GenerateVocabRemapping":        "reads vocabulary files",
	// Queue-based readers: read the files named in a queue.
	"FixedLengthRecordReader":   "reads files",
	"FixedLengthRecordReaderV2": "reads files",
	"TextLineReader":            "reads files",
	"TextLineReaderV2":          "reads files",
	"TFRecordReader":            "reads files",
	"TFRecordReaderV2":          "reads files",
	"WholeFileReader":           "reads files",
	"WholeFileReaderV2":         "reads files",
	"LMDBReader":                "reads files",
	// tf.data sources and sinks backed by files or databases.
	"TextLineDataset":               "reads files",
	"TFRecordDataset":               "reads files",
	"TFRecordDatasetV2":             "reads files",
	"FixedLengthRecordDataset":      "reads files",
	"FixedLengthRecordDatasetV2":    "reads files",
	"CSVDataset":                    "reads files",
	"CSVDatasetV2":                  "reads files",
	"ExperimentalCSVDataset":        "reads files",
	"LMDBDataset":                   "reads files",
	"ExperimentalLMDBDataset":       "reads files",
	"SqlDataset":                    "opens a database file",
	"ExperimentalSqlDataset":        "opens a database file",
	"LoadDataset":                   "reads a saved dataset",
	"SaveDataset":                   "writes files",
	"SaveDatasetV2":                 "writes files",
	"SnapshotDataset":               "reads and writes snapshot files",
	"SnapshotDatasetV2":             "reads and writes snapshot files",
	"SnapshotDatasetReader":         "reads snapshot files",
	"SnapshotNestedDatasetReader":   "reads snapshot files",
	"SnapshotChunkDataset":          "reads snapshot files",
	"ListSnapshotChunksDataset":     "lists snapshot files",
	"DistributedSave":               "writes files",
	"DatasetToTFRecord":             "writes a file",
	"ExperimentalDatasetToTFRecord": "writes a file",
	"CacheDataset":                  "caches to a file",
	"CacheDatasetV2":                "caches to a file",
	// Summaries and events: write files at a graph-chosen path.
	"CreateSummaryFileWriter": "writes event files",
	"CreateSummaryDbWriter":   "writes a database file",
	"SummaryWriter":           "writes event files",
	"WriteSummary":            "writes event files",
	"WriteScalarSummary":      "writes event files",
	"WriteHistogramSummary":   "writes event files",
	"WriteImageSummary":       "writes event files",
	"WriteAudioSummary":       "writes event files",
	"WriteGraphSummary":       "writes event files",
	"WriteRawProtoSummary":    "writes event files",
	"ImportEvent":             "writes event files",
	"FlushSummaryWriter":      "writes event files",
	"CloseSummaryWriter":      "writes event files",
	// Debugger taps: dump tensors to file:// or grpc:// URLs.
	"DebugIdentity":         "dumps tensors to debug URLs",
	"DebugIdentityV2":       "dumps tensors to a directory",
	"DebugIdentityV3":       "dumps tensors to debug URLs",
	"DebugNanCount":         "dumps tensors to debug URLs",
	"DebugNumericSummary":   "dumps tensors to debug URLs",
	"DebugNumericSummaryV2": "debugger tap",
	// Host code and remote execution.
	"PyFunc":          "calls back into the host Python process",
	"PyFuncStateless": "calls back into the host Python process",
	"EagerPyFunc":     "calls back into the host Python process",
	"RemoteCall":      "runs a function on another task",
	// Cloud credentials and settings.
	"GcsConfigureCredentials": "sets cloud storage credentials",
	"GcsConfigureBlockCache":  "changes cloud storage settings",
	"BigQueryReader":          "reads from BigQuery",
}

// checkpointOps read or write checkpoint files. They are allowed only as a
// SaverDef's own ops (see deniedOps).
var checkpointOps = map[string]string{
	"Save":               "writes a checkpoint",
	"SaveSlices":         "writes a checkpoint",
	"SaveV2":             "writes a checkpoint",
	"Restore":            "reads a checkpoint",
	"RestoreSlice":       "reads a checkpoint",
	"RestoreV2":          "reads a checkpoint",
	"MergeV2Checkpoints": "renames and deletes checkpoint files",
}

// printStreams are PrintV2's output streams that do not name a file.
var printStreams = map[string]bool{
	"stderr": true, "stdout": true, "log(info)": true, "log(warning)": true, "log(error)": true,
}

// attrReason returns why a node that is safe by type is unsafe through its
// attributes ("" when it is not): PrintV2 printing to a file, and proto
// codecs reading their descriptors from a file.
func attrReason(n *nodepb.NodeDef) string {
	switch n.GetOp() {
	case "PrintV2":
		stream := "stderr" // the op's default
		if a, ok := n.GetAttr()["output_stream"]; ok {
			s, isStr := a.GetValue().(*attrpb.AttrValue_S)
			if !isStr {
				return "prints to an output stream set at run time"
			}
			stream = string(s.S)
		}
		if !printStreams[stream] {
			return "prints to " + stream
		}
	case "DecodeProtoV2", "EncodeProto":
		src := "local://"
		if a, ok := n.GetAttr()["descriptor_source"]; ok {
			s, isStr := a.GetValue().(*attrpb.AttrValue_S)
			if !isStr {
				return "reads its proto descriptors from a source set at run time"
			}
			src = string(s.S)
		}
		if src != "" && src != "local://" && !strings.HasPrefix(src, "bytes://") {
			return "reads proto descriptors from the file " + src
		}
	}
	return ""
}
