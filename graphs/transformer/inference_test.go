package transformer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"golang.org/x/sys/cpu"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestInferenceMatchesTrainingGraph restores a training checkpoint into the
// inference graph and compares logits (dropout off in both).
func TestInferenceMatchesTrainingGraph(t *testing.T) {
	cfg := tinyConfig()
	g, err := BuildTrain(cfg, TrainConfig{Beta1: 0.9, Beta2: 0.98, ClipNorm: 1}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	in, target, weight, _, _, _ := batch(t, cfg, 4, rng)
	lr := mustTensor(t, float32(1e-3))
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight, g.LR: lr}, nil, []*tf.Operation{g.Step}); err != nil {
		t.Fatal(err)
	}
	logitsOp := g.Graph.Operation("transformer/head/add_bias/Add").Output(0)
	want, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in}, []tf.Output{logitsOp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "ckpt")
	if err := g.Saver.Save(sess, prefix); err != nil {
		t.Fatal(err)
	}
	ig, err := BuildInference(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	is, err := tfmodel.NewSession(ig.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	if err := ig.Saver.Restore(is, prefix); err != nil {
		t.Fatal(err)
	}
	got, err := is.Run(map[tf.Output]*tf.Tensor{ig.Tokens: in}, []tf.Output{ig.Logits}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tfmodel.Float32s(want[0])
	b, _ := tfmodel.Float32s(got[0])
	if len(a) != len(b) {
		t.Fatalf("%d vs %d logits", len(a), len(b))
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("logit %d: inference %v, training %v", i, b[i], a[i])
		}
	}
}

// TestInferenceChoices runs the inference graph (random initial weights)
// and checks its argmax and samples, which come from the masked-rows path
// (maskedRowLogits), against the Go choose on its full logits, and that an
// image's choices do not depend on its batch. The images have different
// numbers of masked positions (half, all, none, half), so the last block
// runs with padding slots; a batch with nothing masked gives zeros.
//
// In bfloat16 (oneDNN auto mixed precision: inpaint --bf16=transformer)
// the choices' own path and the full logits round differently, so only
// the batch invariance is checked there, bit for bit as in float32. On a
// CPU without AVX512_BF16 the graph stays float32 and the bfloat16 case
// repeats the float32 one.
func TestInferenceChoices(t *testing.T) {
	wide := tinyConfig()
	wide.Positions = 96 // the last block's slots: 16, 32, …, 96
	for _, cfg := range []Config{tinyConfig(), wide} {
		for _, bf16 := range []bool{false, true} {
			t.Run(fmt.Sprintf("positions=%d/bf16=%v", cfg.Positions, bf16), func(t *testing.T) { testInferenceChoices(t, cfg, bf16) })
		}
	}
}

func testInferenceChoices(t *testing.T, cfg Config, bf16 bool) {
	ig, err := BuildInference(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(ig.Graph, tfmodel.SessionOptions{Threads: 1, BFloat16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{ig.Init}); err != nil {
		t.Fatal(err)
	}
	const b = 4
	n, k := int(cfg.Positions), int(cfg.Codes)
	rng := rand.New(rand.NewPCG(5, 6))
	tokens := make([]int32, b*n)
	uniform := make([]float64, b*n)
	for i := range tokens {
		tokens[i] = int32(rng.IntN(k))
		if img := i / n; img == 1 || (img != 2 && rng.IntN(2) == 0) {
			tokens[i] = cfg.MaskID()
		}
		uniform[i] = rng.Float64()
	}
	run := func(tok []int32, u []float64, rows int) []*tf.Tensor {
		out, err := sess.Run(map[tf.Output]*tf.Tensor{ig.Tokens: mustTensor(t, tok, int64(rows), cfg.Positions), ig.Uniform: mustTensor(t, u, int64(rows), cfg.Positions)},
			[]tf.Output{ig.Logits, ig.Argmax, ig.ArgmaxLogP, ig.Sample, ig.SampleLogP}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := run(tokens, uniform, b)
	logits, _ := tfmodel.Float32s(out[0])
	// The argmax (inpaint's greedy steps) needs no uniforms fed.
	greedy, err := sess.Run(map[tf.Output]*tf.Tensor{ig.Tokens: mustTensor(t, tokens, b, cfg.Positions)}, []tf.Output{ig.Argmax, ig.ArgmaxLogP}, nil)
	if err != nil {
		t.Fatalf("argmax without uniforms: %v", err)
	}
	if a, _ := tfmodel.Int32s(greedy[0]); !slices.Equal(a, mustInt32s(out[1])) || !slices.Equal(float64s(greedy[1]), float64s(out[2])) {
		t.Fatal("argmax without uniforms differs from the argmax with them")
	}
	if bf16 && cpu.X86.HasAVX512BF16 {
		// The rewrite must have happened: float32 logits differ.
		fs, err := tfmodel.NewSession(ig.Graph, tfmodel.SessionOptions{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		if _, err := fs.Run(nil, nil, []*tf.Operation{ig.Init}); err != nil {
			t.Fatal(err)
		}
		f32, err := fs.Run(map[tf.Output]*tf.Tensor{ig.Tokens: mustTensor(t, tokens, b, cfg.Positions)}, []tf.Output{ig.Logits}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := tfmodel.Float32s(f32[0]); slices.Equal(want, logits) {
			t.Fatal("bfloat16 session gave the float32 logits bit for bit: the mixed-precision rewrite did not run")
		}
	}
	argmax, _ := tfmodel.Int32s(out[1])
	sample, _ := tfmodel.Int32s(out[3])
	argmaxLogP, sampleLogP := float64s(out[2]), float64s(out[4])
	for i := 0; i < b*n; i++ {
		if tokens[i] != cfg.MaskID() {
			if argmax[i] != 0 || sample[i] != 0 {
				t.Fatalf("known position %d: argmax %d, sample %d, want 0", i, argmax[i], sample[i])
			}
			continue
		}
		if bf16 {
			continue
		}
		r := logits[i*k : (i+1)*k]
		wa, wal := refChoose(r, 0, false)
		ws, wsl := refChoose(r, uniform[i], true)
		// 1e-5: the choices' logits come from their own path (float32
		// rounding of a separate query matmul), not from these logits.
		if argmax[i] != wa || math.Abs(argmaxLogP[i]-wal) > 1e-5 || sample[i] != ws || math.Abs(sampleLogP[i]-wsl) > 1e-5 {
			t.Fatalf("position %d: argmax %d (%v) sample %d (%v), Go %d (%v) %d (%v)", i, argmax[i], argmaxLogP[i], sample[i], sampleLogP[i], wa, wal, ws, wsl)
		}
	}
	// Each image alone gets the same choices as in the batch, the same
	// bits, in float32 and in bfloat16.
	for img := 0; img < b; img++ {
		alone := run(tokens[img*n:(img+1)*n], uniform[img*n:(img+1)*n], 1)
		gotA, _ := tfmodel.Int32s(alone[1])
		gotS, _ := tfmodel.Int32s(alone[3])
		gotAL, gotSL := float64s(alone[2]), float64s(alone[4])
		for p := range gotS {
			i := img*n + p
			if gotA[p] != argmax[i] || gotS[p] != sample[i] || gotAL[p] != argmaxLogP[i] || gotSL[p] != sampleLogP[i] {
				t.Fatalf("image %d position %d: alone %d %v %d %v, in a batch of %d %d %v %d %v",
					img, p, gotA[p], gotAL[p], gotS[p], gotSL[p], b, argmax[i], argmaxLogP[i], sample[i], sampleLogP[i])
			}
		}
	}
	// Nothing masked anywhere: zeros.
	none := run(tokens[2*n:3*n], uniform[2*n:3*n], 1)
	for j, o := range none[1:] {
		if sh := o.Shape(); len(sh) != 2 || sh[0] != 1 || sh[1] != int64(n) || !allZero(o) {
			t.Fatalf("output %d with nothing masked: %v, want zeros", j+1, o.Value())
		}
	}
}

// allZero reports whether every element of an int32 or float64 tensor is 0.
func mustInt32s(t *tf.Tensor) []int32 {
	v, _ := tfmodel.Int32s(t)
	return v
}

func allZero(t *tf.Tensor) bool {
	switch v := t.Value().(type) {
	case [][]int32:
		return allZeroRows(v)
	case [][]float64:
		return allZeroRows(v)
	}
	return false
}

func allZeroRows[T int32 | float64](rows [][]T) bool {
	for _, row := range rows {
		for _, x := range row {
			if x != 0 {
				return false
			}
		}
	}
	return true
}
