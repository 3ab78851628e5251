package train

import (
	"fmt"
	"sort"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
)

// PresetNames lists the presets: "tiny" (tests: seconds), "cpu" (a useful
// model in about two hours per stage on 2 CPU cores), "lab" (the reference
// lab's sizes).
// "cpu-large" is a transformer preset only (its tokenizer is "cpu"'s).
func PresetNames() []string { return []string{"tiny", "cpu", "cpu-large", "lab"} }

// TokenizerPreset returns the tokenizer config of a preset; data folders
// are left empty for the caller.
func TokenizerPreset(name string) (TokenizerConfig, error) {
	base := TokenizerConfig{
		Train: vqvae.TrainConfig{L1: 1, L2: 1, Beta1: 0.9, Beta2: 0.99, WeightDecay: 1e-4, ClipNorm: 1, DiscChannels: 32},
		Seed:  1, Flip: true, DiscWeight: 0.1, DeadCodeEvery: 200,
	}
	switch name {
	case "tiny":
		base.Model = vqvae.Config{Resolution: 64, Grid: 16, Channels: []int64{8, 8, 16}, ResBlocks: 1, Groups: 4, Latent: 8, Codes: 64, Beta: 0.25, Normalize: true}
		base.LR = LRConfig{Base: 2e-3, Schedule: "step", StepSize: 100, Gamma: 0.5, Warmup: 2, Min: 1e-4}
		base.Batch, base.Steps, base.DeadCodeEvery = 4, 20, 10
	case "cpu", "cpu-large":
		base.Model = vqvae.Config{Resolution: 64, Grid: 16, Channels: []int64{32, 64, 128}, ResBlocks: 1, Groups: 8, Latent: 32, Codes: 1024, Beta: 0.25, Normalize: true}
		base.LR = LRConfig{Base: 1e-3, Schedule: "cosine", Warmup: 200, Min: 5e-5, StepSize: 4000, Gamma: 0.5}
		base.Batch, base.Steps = 32, 3000
	case "lab":
		base.Model = vqvae.Config{Resolution: 64, Grid: 16, Channels: []int64{128, 128, 256, 256, 512}, ResBlocks: 2, Groups: 32, Latent: 256, Codes: 1024, Beta: 0.25}
		base.Train.Disc, base.Train.DiscChannels = true, 64
		base.LR = LRConfig{Base: 1e-4, Schedule: "step", StepSize: 20000, Gamma: 0.5, Warmup: 1000, Min: 1e-6}
		base.Batch, base.Steps, base.DiscStart = 32, 100000, 30000
	default:
		return TokenizerConfig{}, fmt.Errorf("unknown preset %q (%v)", name, PresetNames())
	}
	return base, nil
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TransformerPreset returns the transformer config of a preset; the
// tokenizer and data paths are left empty for the caller.
func TransformerPreset(name string) (TransformerConfig, error) {
	base := TransformerConfig{
		Train:        transformer.TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.045, ClipNorm: 1},
		Seed:         1,
		MaskSchedule: "cosine",
		FlipTokens:   true,
	}
	switch name {
	case "tiny":
		base.Model = transformer.Config{Codes: 64, Positions: 256, Dim: 32, Layers: 1, Heads: 2, MLPDim: 64, Dropout: 0.1}
		base.LR = LRConfig{Base: 1e-3, Schedule: "step", StepSize: 100, Gamma: 0.5, Warmup: 2, Min: 1e-5}
		base.Batch, base.Steps = 4, 20
	case "cpu":
		// ≈ 22 samples/s on 2 idle cores: 5000 steps of 32 in about two hours.
		base.Model = transformer.Config{Codes: 1024, Positions: 256, Dim: 192, Layers: 4, Heads: 8, MLPDim: 768, Dropout: 0.1}
		base.LR = LRConfig{Base: 6e-4, Schedule: "cosine", Warmup: 300, Min: 1e-5, StepSize: 2000, Gamma: 0.5}
		base.Batch, base.Steps = 32, 5000
	case "cpu-large":
		// 5.2 M parameters, about 2.2 times the cpu preset's work per sample:
		// 20,000 steps are several sittings of --resume on 2 cores. Half of
		// the training masks are brush strokes like the benchmark's.
		base.Model = transformer.Config{Codes: 1024, Positions: 256, Dim: 256, Layers: 6, Heads: 8, MLPDim: 1024, Dropout: 0.1}
		base.LR = LRConfig{Base: 5e-4, Schedule: "cosine", Warmup: 1000, Min: 1e-5, StepSize: 5000, Gamma: 0.5}
		base.Batch, base.Steps, base.StrokeMasks = 32, 20000, 0.5
	case "lab":
		base.Model = transformer.Config{Codes: 1024, Positions: 256, Dim: 768, Layers: 15, Heads: 16, MLPDim: 1536, Dropout: 0.1}
		base.LR = LRConfig{Base: 1e-4, Schedule: "step", StepSize: 20000, Gamma: 0.5, Warmup: 1000, Min: 1e-6}
		base.Batch, base.Steps = 32, 100000
	default:
		return TransformerConfig{}, fmt.Errorf("unknown preset %q (%v)", name, PresetNames())
	}
	return base, nil
}
