// Package tfmodel holds the TensorFlow plumbing every maskgit graph shares:
// resource variables with named, seeded initializers (Store), a session type
// whose methods return errors and whose Close is safe to call twice,
// TensorFlow V2 checkpoints (SaveV2/RestoreV2, written atomically), the Adam
// and AdamW optimizers with gradient clipping, and learning-rate schedules.
//
// Variable names are the checkpoint contract: a variable created as "kernel"
// under the scope "encoder/conv_in" is stored under the key
// "encoder/conv_in/kernel", exactly as TensorFlow Python names it, so
// tf.train.load_checkpoint reads what Go writes and the other way round.
package tfmodel
