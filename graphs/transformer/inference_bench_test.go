package transformer

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// BenchmarkInferenceChoices measures a decoding step's transformer call,
// batch 32 of the cpu preset (random weights), two ways in one session,
// interleaved: the choices from the masked-rows path (BuildInference's
// Argmax, what the decoding loop runs) and from the full logits
// (AddChoices, the path before it). Each b.N iteration runs both on the
// token grids of an 8-step cosine decoding of masks with 40% of the tokens
// unknown (step t sees cos(π/2·t/8) of them masked). It reports
// images/s per transformer call for each and their ratio.
// MASKGIT_BENCH_CONFIG=tiny runs a small model.
//
//	go test -run '^$' -bench InferenceChoices -benchtime 3x ./graphs/transformer/
func BenchmarkInferenceChoices(b *testing.B) {
	cfg := Config{Codes: 1024, Positions: 256, Dim: 192, Layers: 4, Heads: 8, MLPDim: 768}
	batch := 32
	if os.Getenv("MASKGIT_BENCH_CONFIG") == "tiny" {
		cfg, batch = Config{Codes: 64, Positions: 256, Dim: 32, Layers: 1, Heads: 2, MLPDim: 64}, 8
	}
	ig, err := BuildInference(cfg, "")
	if err != nil {
		b.Fatal(err)
	}
	rowsArgmax, rowsLogP := ig.Argmax, ig.ArgmaxLogP
	if err := AddChoices(op.NewScopeWithGraph(ig.Graph).SubScope("full"), ig); err != nil {
		b.Fatal(err)
	}
	fullArgmax, fullLogP := ig.Argmax, ig.ArgmaxLogP
	sess := testutil.InitSession(b, ig.Graph, tfmodel.SessionOptions{Threads: 2}, ig.Init)
	defer sess.Close()
	grids := decodingGrids(b, cfg, batch, 0.4, 8)
	call := func(tok *tf.Tensor, fetch ...tf.Output) time.Duration {
		start := time.Now()
		if _, err := sess.Run(map[tf.Output]*tf.Tensor{ig.Tokens: tok}, fetch, nil); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for _, g := range grids { // warm-up
		call(g, rowsArgmax, rowsLogP)
		call(g, fullArgmax, fullLogP)
	}
	var tRows, tFull time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, g := range grids {
			if (i+k)%2 == 0 {
				tRows += call(g, rowsArgmax, rowsLogP)
				tFull += call(g, fullArgmax, fullLogP)
			} else {
				tFull += call(g, fullArgmax, fullLogP)
				tRows += call(g, rowsArgmax, rowsLogP)
			}
		}
	}
	calls := float64(b.N * len(grids) * batch)
	b.ReportMetric(calls/tRows.Seconds(), "images/s-rows")
	b.ReportMetric(calls/tFull.Seconds(), "images/s-full")
	b.ReportMetric(tFull.Seconds()/tRows.Seconds(), "speedup")
}

// decodingGrids returns the token grids [batch, N] a steps-step cosine
// decoding passes through: each image has frac of its positions unknown
// (random positions), and at step t the first ⌊cos(π/2·t/steps)·unknown⌋
// of them (at least one) are still [MASK].
func decodingGrids(b *testing.B, cfg Config, batch int, frac float64, steps int) []*tf.Tensor {
	rng := rand.New(rand.NewPCG(3, 4))
	n := int(cfg.Positions)
	unknown := int(frac * float64(n))
	perm := make([][]int, batch)
	base := make([][]int32, batch)
	for i := range perm {
		perm[i] = rng.Perm(n)
		base[i] = make([]int32, n)
		for p := range base[i] {
			base[i][p] = int32(rng.IntN(int(cfg.Codes)))
		}
	}
	var grids []*tf.Tensor
	for t := 0; t < steps; t++ {
		masked := max(1, int(math.Cos(math.Pi/2*float64(t)/float64(steps))*float64(unknown)))
		g := make([][]int32, batch)
		for i := range g {
			g[i] = append([]int32(nil), base[i]...)
			for _, p := range perm[i][:masked] {
				g[i][p] = cfg.MaskID()
			}
		}
		tt, err := tf.NewTensor(g)
		if err != nil {
			b.Fatal(err)
		}
		grids = append(grids, tt)
	}
	return grids
}
