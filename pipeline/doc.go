// Package pipeline loads trained maskgit models for inference: the
// tokenizer (images ↔ tokens) and the transformer (tokens → logits, an
// inpaint.Predictor), each from a run directory written by the training
// commands (its config.json and its best checkpoint).
//
// A model directory for inpainting is either a transformer run directory
// (whose config.json names its tokenizer run directory) or a directory
// holding "tokenizer/" and "transformer/" run directories side by side, as
// Bundle writes (weights only, no optimizer state) for shipping.
//
// An exported SavedModel is loaded by savedmodel.LoadPipeline (which reads
// both kinds), building the Model from the SavedModel's graph with
// NewTokenizer, NewTransformer and NewModel.
//
// Model.Inpaint fills holes (encode, iterative decoding, decode, keep the
// known pixels); Model.Generate draws unconditional samples from an
// all-[MASK] grid. WriteUntrained writes a freshly initialised model
// directory for smoke tests.
package pipeline
