package transformer

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	"google.golang.org/protobuf/proto"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// benchVariant is one form of the training step: graph options and
// session options.
type benchVariant struct {
	name string
	bo   buildOptions
	so   tfmodel.SessionOptions
}

// benchVariants are cumulative: each adds one change to the one before
// ("old" is the graph before the speed work; "new" is BuildTrain).
func benchVariants(threads int) []benchVariant {
	so := tfmodel.SessionOptions{Threads: threads}
	bf16, xla := so, so
	bf16.BFloat16, xla.XLA = true, true
	return []benchVariant{
		{"old", buildOptions{referenceModel: true, referenceAdam: true}, so},
		{"fused_adam", buildOptions{referenceModel: true}, so},
		{"qkv_2d", buildOptions{denseLoss: true, batchMatMul: true, opsDropout: true}, so},
		{"masked_ce", buildOptions{batchMatMul: true, opsDropout: true}, so},
		{"einsum", buildOptions{opsDropout: true}, so},
		{"new", buildOptions{}, so},
		{"new_bf16", buildOptions{}, bf16},
		{"new_xla", buildOptions{}, xla},
		// XLA compiles per input shape: the masked-only loss has a new
		// shape every batch, the dense one a fixed shape.
		{"qkv_2d_xla", buildOptions{denseLoss: true, batchMatMul: true, opsDropout: true}, xla},
	}
}

// stepOps counts the graph nodes a training step runs: those the fetches
// (Loss, Accuracy, GradNorm) and the Step target reach through data and
// control inputs.
func stepOps(b *testing.B, g *TrainGraph) int {
	var buf bytes.Buffer
	if _, err := g.Graph.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	var def graphpb.GraphDef
	if err := proto.Unmarshal(buf.Bytes(), &def); err != nil {
		b.Fatal(err)
	}
	inputs := map[string][]string{}
	for _, n := range def.Node {
		inputs[n.Name] = n.Input
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		name = strings.TrimPrefix(name, "^")
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name = name[:i]
		}
		if seen[name] {
			return
		}
		seen[name] = true
		for _, in := range inputs[name] {
			walk(in)
		}
	}
	for _, op := range []*tf.Operation{g.Loss.Op, g.Accuracy.Op, g.GradNorm.Op, g.Step} {
		walk(op.Name())
	}
	return len(seen)
}

// benchBatch draws B images of random codes with a cosine-schedule share
// of each masked, as training does.
func benchBatch(b *testing.B, cfg Config, B int, rng *rand.Rand) map[string]*tf.Tensor {
	n := int(cfg.Positions)
	in, tgt, w := make([]int32, B*n), make([]int32, B*n), make([]float32, B*n)
	for i := 0; i < B; i++ {
		k := int(math.Ceil(math.Cos(math.Pi/2*rng.Float64()) * float64(n)))
		for p := 0; p < n; p++ {
			tgt[i*n+p] = int32(rng.IntN(int(cfg.Codes)))
			in[i*n+p] = tgt[i*n+p]
		}
		for _, p := range rng.Perm(n)[:max(k, 1)] {
			in[i*n+p], w[i*n+p] = cfg.MaskID(), 1
		}
	}
	mk := func(v interface{}) *tf.Tensor {
		t, err := tfmodel.NewTensorShaped(v, int64(B), int64(n))
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	return map[string]*tf.Tensor{"input": mk(in), "target": mk(tgt), "weight": mk(w)}
}

// BenchmarkTrainStep times training steps of the cpu preset's transformer
// (batch 32, dropout 0.1, 2 threads) for each benchVariant, interleaved
// round by round in one process (b.N × MASKGIT_BENCH_ROUNDS (default 3)
// rounds of one step per variant, after MASKGIT_BENCH_WARMUP (default 2)
// warm-up steps each; XLA compiles in its first few), so that a
// machine loaded by other work slows them alike: compare the reported
// ratios, not the absolute rates. Run it with -benchtime 1x (graphs are
// built and warmed up per b.N). MASKGIT_BENCH_VARIANTS (comma-separated
// names) selects variants; MASKGIT_BENCH_CONFIG=tiny runs a small model.
//
//	go test -run '^$' -bench TrainStep -benchtime 1x ./graphs/transformer/
func BenchmarkTrainStep(b *testing.B) {
	cfg := Config{Codes: 1024, Positions: 256, Dim: 192, Layers: 4, Heads: 8, MLPDim: 768, Dropout: 0.1}
	batchSize := 32
	if os.Getenv("MASKGIT_BENCH_CONFIG") == "tiny" {
		cfg, batchSize = Config{Codes: 64, Positions: 256, Dim: 32, Layers: 1, Heads: 2, MLPDim: 64, Dropout: 0.1}, 8
	}
	tc := TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.045, ClipNorm: 1}
	variants := benchVariants(2)
	if sel := os.Getenv("MASKGIT_BENCH_VARIANTS"); sel != "" {
		keep := map[string]bool{}
		for _, n := range strings.Split(sel, ",") {
			keep[strings.TrimSpace(n)] = true
		}
		var vs []benchVariant
		for _, v := range variants {
			if keep[v.name] {
				vs = append(vs, v)
			}
		}
		variants = vs
	}
	type running struct {
		benchVariant
		g       *TrainGraph
		sess    *tfmodel.Session
		elapsed time.Duration
		losses  []float64
		ops     int
		cpu     time.Duration // process CPU time (user + system) in the steps
	}
	var rs []*running
	for _, v := range variants {
		g, err := buildTrain(cfg, tc, 1, "", v.bo)
		if err != nil {
			b.Fatal(err)
		}
		sess, err := tfmodel.NewSession(g.Graph, v.so)
		if err != nil {
			b.Fatal(err)
		}
		defer sess.Close()
		if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
			b.Fatal(err)
		}
		rs = append(rs, &running{benchVariant: v, g: g, sess: sess, ops: stepOps(b, g)})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const nBatches = 4
	var batches []map[string]*tf.Tensor
	for i := 0; i < nBatches; i++ {
		batches = append(batches, benchBatch(b, cfg, batchSize, rng))
	}
	lr, _ := tf.NewTensor(float32(3e-4))
	rate, _ := tf.NewTensor(float32(cfg.Dropout))
	step := func(r *running, k int) time.Duration {
		bt := batches[k%nBatches]
		seed, _ := tf.NewTensor([]int64{1, int64(k)})
		feeds := map[tf.Output]*tf.Tensor{r.g.Input: bt["input"], r.g.Target: bt["target"], r.g.Weight: bt["weight"],
			r.g.LR: lr, r.g.Rate: rate, r.g.Seed: seed}
		cpu0 := cpuTime(b)
		start := time.Now()
		out, err := r.sess.Run(feeds, []tf.Output{r.g.Loss, r.g.Accuracy, r.g.GradNorm}, []*tf.Operation{r.g.Step})
		if err != nil {
			b.Fatalf("%s: %v", r.name, err)
		}
		d := time.Since(start)
		r.cpu += cpuTime(b) - cpu0
		r.losses = append(r.losses, float64(out[0].Value().(float32)))
		return d
	}
	warmup := 2
	if v, err := strconv.Atoi(os.Getenv("MASKGIT_BENCH_WARMUP")); err == nil && v >= 0 {
		warmup = v
	}
	for k := 0; k < warmup; k++ {
		for _, r := range rs {
			step(r, k)
		}
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("MASKGIT_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		// Rotate the order each round so no variant always follows another.
		for j := range rs {
			r := rs[(i+j)%len(rs)]
			r.elapsed += step(r, i+warmup)
		}
	}
	b.StopTimer()
	base, baseCPU := 0.0, 0.0
	for _, r := range rs {
		samples := float64(b.N * rounds * batchSize)
		perSec, perCPU := samples/r.elapsed.Seconds(), samples/r.cpu.Seconds()
		if base == 0 {
			base, baseCPU = perSec, perCPU
		}
		b.ReportMetric(perSec, "samples/s-"+r.name)
		b.ReportMetric(perSec/base, "x-"+r.name)
		// Samples per CPU-second (all of the process's threads): the work a
		// step costs, less sensitive than wall time to other processes.
		b.ReportMetric(perCPU, "samples/cpu-s-"+r.name)
		b.ReportMetric(perCPU/baseCPU, "xcpu-"+r.name)
		b.ReportMetric(float64(r.ops), "ops-"+r.name)
		b.Logf("%-10s %7.2f samples/s %.3fx   %7.2f samples/cpu-s %.3fx   %5d ops  losses %s",
			r.name, perSec, perSec/base, perCPU, perCPU/baseCPU, r.ops, fmtLosses(r.losses))
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fmtLosses(l []float64) string {
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = fmt.Sprintf("%.4f", x)
	}
	return strings.Join(parts, " ")
}
