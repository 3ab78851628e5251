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
//
// Two options of TrainConfig serve a fine-tune of a trained tokenizer:
// DecoderOnly updates the decoder alone (the encoder and the codebook, hence
// every image's tokens and any transformer trained on them, stay as they
// are), and Perceptual adds an LPIPS-style distance on the first stages of
// FID's InceptionV3 (inception.BuildPerceptual), which pays the decoder for
// texture that L1 and L2 smooth away.
package vqvae
