// Package savedmodel exports maskgit models as TensorFlow SavedModels and
// loads SavedModels safely.
//
// Export writes one MetaGraphDef (tags ["serve"]) holding the tokenizer and
// the transformer, with three signatures: "encode" (images → tokens),
// "decode" (tokens → images) and "logits" (tokens → logits), and the
// variables restored from the training checkpoints, saved with SaveV2 under
// variables/. The layout is the one TensorFlow 1's SavedModelBuilder and
// TensorFlow Java's exporter write (a SaverDef naming save and restore ops
// in the graph), which TensorFlow Python's tf.saved_model.load, the C API and
// these bindings all load.
//
// The export also writes assets.extra/maskgit.json (ExportedConfig): the
// image resolution, token grid, codebook size, mask id, image range
// [-1, 1], the model's best decoding settings (pipeline.Settings, from the
// model directory's inpaint.json) and the architectures, so the directory
// is all a deployment needs. LoadPipeline loads such an export (or a model
// directory) as a *pipeline.Model that runs the SavedModel's own graph: the
// loader of every command's --model and of the root package maskgit.
// docs/savedmodel.md documents the signature contract.
//
// Load opens any SavedModel (also ones written by TensorFlow Python) and runs
// its signatures by name. Before handing the graph to TensorFlow it lists
// every op, in the graph and in its function library, and refuses ops that
// touch files or the system (UnsafeOps; the list and the reasons are in
// denylist.go) unless Options.AllowUnsafeOps is set.
package savedmodel
