package vqvae

import (
	"fmt"
	"math/bits"
)

// Config sizes the tokenizer.
type Config struct {
	// Resolution is the image side (64); Grid the token grid side (16).
	Resolution int64 `json:"resolution"`
	Grid       int64 `json:"grid"`
	// Channels lists the width of each encoder level (the decoder mirrors
	// it). The first log2(Resolution/Grid) levels end with a stride-2
	// downsample; the others (at least one) work at the grid resolution.
	Channels []int64 `json:"channels"`
	// ResBlocks per level.
	ResBlocks int `json:"res_blocks"`
	// Groups for GroupNorm; must divide every width.
	Groups int64 `json:"groups"`
	// Latent is the code vector size, Codes the codebook size K.
	Latent int64 `json:"latent"`
	Codes  int64 `json:"codes"`
	// Beta weighs the commitment loss.
	Beta float64 `json:"beta"`
	// Normalize uses l2-normalised codes and encodings (see Quantizer).
	Normalize bool `json:"normalize"`
}

// Downsamples is log2(Resolution/Grid).
func (c Config) Downsamples() int {
	return bits.TrailingZeros64(uint64(c.Resolution / c.Grid))
}

// Validate reports a config that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Resolution <= 0 || c.Grid <= 0 || c.Resolution%c.Grid != 0:
		return fmt.Errorf("vqvae: resolution %d must be a positive multiple of grid %d", c.Resolution, c.Grid)
	case bits.OnesCount64(uint64(c.Resolution/c.Grid)) != 1:
		return fmt.Errorf("vqvae: resolution/grid = %d must be a power of two", c.Resolution/c.Grid)
	case len(c.Channels) < c.Downsamples()+1:
		return fmt.Errorf("vqvae: %d channel levels cannot downsample %dx (need ≥ %d)", len(c.Channels), c.Resolution/c.Grid, c.Downsamples()+1)
	case c.ResBlocks < 1:
		return fmt.Errorf("vqvae: res_blocks = %d, want ≥ 1", c.ResBlocks)
	case c.Latent < 1 || c.Codes < 2:
		return fmt.Errorf("vqvae: latent %d / codes %d too small", c.Latent, c.Codes)
	case c.Groups < 1:
		return fmt.Errorf("vqvae: groups = %d, want ≥ 1", c.Groups)
	}
	for _, ch := range c.Channels {
		if ch <= 0 || ch%c.Groups != 0 {
			return fmt.Errorf("vqvae: channel width %d must be a positive multiple of groups %d", ch, c.Groups)
		}
	}
	return nil
}
