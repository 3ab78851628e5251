// Package pipeline loads trained maskgit models for inference: the
// tokenizer (images ↔ tokens) and the transformer (tokens → logits, an
// inpaint.Predictor), each from a run directory written by the training
// commands (its config.json and its best checkpoint).
//
// A model directory for inpainting is either a transformer run directory
// (whose config.json names its tokenizer run directory) or a directory
// holding "tokenizer/" and "transformer/" run directories side by side.
package pipeline
