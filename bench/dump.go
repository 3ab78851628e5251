package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/pipeline"
)

// DumpSteps is the number of decoding steps of the dump's "filled" tokens.
const DumpSteps = 8

// Array describes one raw little-endian array file of a dump.
type Array struct {
	File  string  `json:"file"`
	DType string  `json:"dtype"` // float32, int32 or uint8
	Shape []int64 `json:"shape"`
}

// Manifest is dir/manifest.json of a dump.
type Manifest struct {
	Model  string           `json:"model"`
	Names  []string         `json:"names"`
	MaskID int32            `json:"mask_id"`
	Steps  int              `json:"steps"` // of "filled"
	Arrays map[string]Array `json:"arrays"`
}

// Dump runs the model on the inputs and writes, as raw arrays with a
// manifest, what bench/check.py compares with the PyTorch mirror:
//
//	images    float32 [n, R, R, 3]  the inputs in [-1, 1]
//	holes     uint8   [n, R, R]     1 where the mask is a hole
//	ids       int32   [n, G·G]      the tokenizer's encoding of images
//	tokens    int32   [m, G·G]      transformer inputs: ids with the hole
//	                                tokens set to [MASK] for the first
//	                                m−1 images, then an all-[MASK] grid
//	logits    float32 [m, G·G, K]   the transformer's logits for tokens
//	decoded   float32 [n, R, R, 3]  the tokenizer's reconstruction of ids
//	filled    int32   [m, G·G]      tokens after inpaint.Decoder on tokens
//	                                (DumpSteps cosine steps, argmax,
//	                                temperature 0: no randomness)
//
// m is min(n, maxLogits−1)+1.
func Dump(ctx context.Context, m *pipeline.Model, modelDir string, in *Inputs, maxLogits int, dir string) error {
	n, res := len(in.Images), in.Res
	if n == 0 || maxLogits < 2 {
		return fmt.Errorf("bench dump: %d images, max logits rows %d", n, maxLogits)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ids, err := m.Tokenizer.Encode(in.Pixels, n)
	if err != nil {
		return err
	}
	decoded, err := m.Tokenizer.Decode(ids, n)
	if err != nil {
		return err
	}
	grid := int(m.Tokenizer.Cfg.Grid)
	g := grid * grid
	maskID := m.Transformer.Cfg.MaskID()
	rows := min(n, maxLogits-1)
	tokens := make([]int32, 0, (rows+1)*g)
	for i := 0; i < rows; i++ {
		tm, err := in.Masks[i].TokenMask(grid, grid, false)
		if err != nil {
			return err
		}
		for p, t := range ids[i*g : (i+1)*g] {
			if tm[p] {
				t = maskID
			}
			tokens = append(tokens, t)
		}
	}
	for p := 0; p < g; p++ {
		tokens = append(tokens, maskID)
	}
	logits, err := m.Transformer.Predict(ctx, tokens, rows+1)
	if err != nil {
		return err
	}
	dcfg := inpaint.DefaultConfig()
	dcfg.Steps, dcfg.Temperature, dcfg.Batch = DumpSteps, 0, rows+1
	dec, err := inpaint.NewDecoder(m.DecodeConfig(dcfg))
	if err != nil {
		return err
	}
	dins := make([]inpaint.Input, rows+1)
	for i := range dins {
		dins[i] = inpaint.Input{Tokens: tokens[i*g : (i+1)*g]}
	}
	filledRes, err := dec.Decode(ctx, m.Transformer, dins)
	if err != nil {
		return err
	}
	filled := make([]int32, 0, len(tokens))
	for _, r := range filledRes {
		filled = append(filled, r.Tokens...)
	}
	holes := make([]uint8, 0, n*res*res)
	for _, mk := range in.Masks {
		for _, h := range mk.Hole {
			b := uint8(0)
			if h {
				b = 1
			}
			holes = append(holes, b)
		}
	}
	r, k := int64(res), m.Transformer.Cfg.Codes
	man := Manifest{Model: modelDir, Names: in.Names, MaskID: maskID, Steps: DumpSteps, Arrays: map[string]Array{}}
	write := func(name, dtype string, data interface{}, shape ...int64) error {
		a := Array{File: name + ".bin", DType: dtype, Shape: shape}
		f, err := os.Create(filepath.Join(dir, a.File))
		if err != nil {
			return err
		}
		if err := binary.Write(f, binary.LittleEndian, data); err != nil {
			f.Close()
			return fmt.Errorf("bench dump: %s: %w", a.File, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		man.Arrays[name] = a
		return nil
	}
	nn, m1 := int64(n), int64(rows+1)
	for _, w := range []struct {
		name, dtype string
		data        interface{}
		shape       []int64
	}{
		{"images", "float32", in.Pixels, []int64{nn, r, r, 3}},
		{"holes", "uint8", holes, []int64{nn, r, r}},
		{"ids", "int32", ids, []int64{nn, int64(g)}},
		{"tokens", "int32", tokens, []int64{m1, int64(g)}},
		{"logits", "float32", logits, []int64{m1, int64(g), k}},
		{"decoded", "float32", decoded, []int64{nn, r, r, 3}},
		{"filled", "int32", filled, []int64{m1, int64(g)}},
	} {
		if err := write(w.name, w.dtype, w.data, w.shape...); err != nil {
			return err
		}
	}
	return atomicfile.WriteJSON(filepath.Join(dir, "manifest.json"), man)
}
