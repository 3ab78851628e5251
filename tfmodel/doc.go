// Package tfmodel holds the TensorFlow plumbing every maskgit graph shares:
// resource variables with named, seeded initializers (Store), a session type
// whose methods return errors and whose Close is safe to call twice,
// TensorFlow V2 checkpoints (SaveV2/RestoreV2, written atomically), the Adam
// and AdamW optimizers (TensorFlow's fused ResourceApplyAdam with torch's
// semantics) with gradient clipping, and learning-rate schedules.
//
// # Sessions and threads
//
// Every session of the project goes through NewSession (FID's Inception
// and image decoding, summary writers and SavedModel loading, via
// SessionOptions.ProcessConfigProto, included). TensorFlow creates its
// intra-op and inter-op thread pools once per process, sized by the first
// session, and shares them with every later session, whatever that one
// asks for. So the size is a process setting: call SetThreads once at
// program start (or let the first session fix it); NewSession then
// configures every session with it and Threads reports it. A one-thread
// helper session opened first would otherwise leave the whole process on
// one core. The size also sets how kernels split their float sums, so it
// is part of what makes a run reproducible. So is Grappler's graph
// optimization: SessionOptions give it no deadline, because past
// TensorFlow's default of 5 minutes (easily reached on a loaded machine)
// the graph would silently run unoptimized.
//
// SessionOptions.BFloat16 (oneDNN auto mixed precision) and XLA are
// available but off: on this project's CPU bfloat16 gained a few per cent
// at most on the transformer's training step (within noise) and XLA lost
// a quarter (docs/benchmarks.md). Inference can ask for bfloat16 per part
// (pipeline.Options, the commands' --bf16).
//
// # Checkpoints
//
// Variable names are the checkpoint contract: a variable created as "kernel"
// under the scope "encoder/conv_in" is stored under the key
// "encoder/conv_in/kernel", exactly as TensorFlow Python names it, so
// tf.train.load_checkpoint reads what Go writes and the other way round.
package tfmodel
