// Package train holds the machinery both training stages share: the run
// directory (config, checkpoints, best checkpoint, TensorBoard events), the
// resumable trainer state saved beside every checkpoint (step, data order
// position, random stream), and the progress line.
//
// A run directory looks like
//
//	run/config.json              the stage's full config; --resume refuses a different one
//	run/ckpt/checkpoint          TensorFlow's checkpoint state file (latest first)
//	run/ckpt/step-00001000.*     V2 checkpoints (.index, .data-0000i-of-0000n shards of ≤ 16 MiB)
//	run/ckpt/step-00001000.json  trainer state at that checkpoint
//	run/best/model.*             the checkpoint with the best validation loss
//	run/best/model.json          its trainer state
//	run/events/                  TensorBoard event files
package train
