// Package vqvae builds the VQ tokenizer of maskgit as TensorFlow graphs from
// Go: a convolutional encoder from 64x64x3 images to a 16x16 grid of
// latents, a vector quantizer that maps each latent to the nearest of K
// codebook vectors (the image's tokens), and a decoder back to pixels.
//
// The quantizer uses the straight-through estimator z + stop_gradient(q − z),
// a codebook loss and a β-weighted commitment loss; dead codes are
// re-initialised from recent encodings by the trainer. BuildTrain builds the
// training graph on one device, BuildReplicatedTrain one replica of the same
// pass per device (data-parallel, in-graph replication).
package vqvae
