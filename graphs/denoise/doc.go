// Package denoise is the proof that training works from Go: a small
// convolutional denoiser built from the ops layers learns to remove Gaussian
// noise from random 16x16 crops of the cat-face images, and a run saved,
// restored and continued gives exactly the losses of an uninterrupted one.
//
// Build makes the training graph (conv_in, ResBlocks, GroupNorm, SiLU,
// conv_out predicting the noise; MSE loss; AdamW). Crops draws seeded random
// crops of a dataset.ImageIterator's images and adds seeded noise. Trainer
// owns the session and runs steps with a learning-rate schedule.
//
// # Determinism and resuming
//
// Every random choice is seeded: the initial weights by Build's seed (the
// Store's stateless initializers), the data order and flips by the
// iterator's seed, the crop corners and the noise by the PCG stream of
// NewCrops. A checkpoint written by Trainer.Save holds the variables, the
// AdamW moments and step counter (TensorFlow V2 checkpoint) and, in
// <prefix>.json, the step count, the iterator's State and the PCG's state.
// Trainer.Restore on a freshly built graph therefore continues with the same
// batches, the same learning rates and the same weights; with a fixed
// number of threads TensorFlow's CPU kernels are deterministic, so the
// losses are bit-for-bit those of the uninterrupted run.
package denoise
