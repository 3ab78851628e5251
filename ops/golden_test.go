package ops

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// The goldens in testdata/golden.json are made by scripts/ops_golden.py
// (independent NumPy implementations of every layer; regenerate with
// third_party/venv/bin/python scripts/ops_golden.py).
const goldenFile = "testdata/golden.json"

type goldenTensor struct {
	Shape []int64   `json:"shape"`
	DType string    `json:"dtype"`
	Data  []float64 `json:"data"`
}

type goldenConfig struct {
	Units      int64   `json:"units"`
	NoBias     bool    `json:"no_bias"`
	Filters    int64   `json:"filters"`
	Kernel     int64   `json:"kernel"`
	Stride     int64   `json:"stride"`
	Padding    string  `json:"padding"`
	Groups     int64   `json:"groups"`
	Eps        float64 `json:"eps"`
	Vocab      int64   `json:"vocab"`
	Dim        int64   `json:"dim"`
	Heads      int64   `json:"heads"`
	MLPDim     int64   `json:"mlp_dim"`
	PreLN      bool    `json:"pre_ln"`
	ApproxGELU bool    `json:"approx_gelu"`
	Out        int64   `json:"out"`
}

type goldenCase struct {
	Name    string                  `json:"name"`
	Layer   string                  `json:"layer"`
	Config  goldenConfig            `json:"config"`
	X       goldenTensor            `json:"x"`
	Weights map[string]goldenTensor `json:"weights"`
	Y       goldenTensor            `json:"y"`
}

// goldenBuilders build each layer type from a golden case's config; w maps
// variable paths relative to the layer to tfmodel.Values initializers
// holding the saved weights.
var goldenBuilders = map[string]func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output{
	"Dense": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		opts := w.options()
		if c.NoBias {
			opts = append(opts, NoBias())
		}
		return Dense(s, vs, "layer", x, c.Units, opts...)
	},
	"Conv2D": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		return Conv2D(s, vs, "layer", x, c.Filters, c.Kernel, c.Stride, c.Padding, w.options()...)
	},
	"Upsample2x": func(s *op.Scope, _ *tfmodel.Store, x tf.Output, _ goldenConfig, _ initMap) tf.Output {
		return Upsample2x(s, x)
	},
	"GroupNorm": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		return GroupNorm(s, vs, "layer", x, c.Groups, c.Eps, w.options()...)
	},
	"LayerNorm": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		return LayerNorm(s, vs, "layer", x, c.Eps, w.options()...)
	},
	"GELU": func(s *op.Scope, _ *tfmodel.Store, x tf.Output, _ goldenConfig, _ initMap) tf.Output {
		return GELU(s, x)
	},
	"GELUApprox": func(s *op.Scope, _ *tfmodel.Store, x tf.Output, _ goldenConfig, _ initMap) tf.Output {
		return GELUApprox(s, x)
	},
	"SiLU": func(s *op.Scope, _ *tfmodel.Store, x tf.Output, _ goldenConfig, _ initMap) tf.Output {
		return SiLU(s, x)
	},
	"Embedding": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		y, _ := Embedding(s, vs, "layer", x, c.Vocab, c.Dim, w.options()...)
		return y
	},
	"EmbeddingLogits": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		// "embeddings" belongs to an Embedding layer whose matrix the logits layer reuses.
		ids := op.Const(s.SubScope("ids"), []int32{0})
		_, emb := Embedding(s, vs, "emb", ids, c.Vocab, c.Dim, Init("embeddings", w["embeddings"]))
		return EmbeddingLogits(s, vs, "layer", x, emb, Init("bias", w["bias"]))
	},
	"MultiHeadSelfAttention": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		return MultiHeadSelfAttention(s, vs, "layer", x, c.Heads, tf.Output{}, tf.Output{}, w.options()...)
	},
	"TransformerBlock": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		cfg := TransformerConfig{Heads: c.Heads, MLPDim: c.MLPDim, Eps: c.Eps, PreLN: c.PreLN, ApproxGELU: c.ApproxGELU}
		return TransformerBlock(s, vs, "layer", x, cfg, w.options()...)
	},
	"ResBlock": func(s *op.Scope, vs *tfmodel.Store, x tf.Output, c goldenConfig, w initMap) tf.Output {
		return ResBlock(s, vs, "layer", x, c.Out, c.Groups, c.Eps, w.options()...)
	},
}

type initMap map[string]tfmodel.Initializer

// options turns every entry into an Init option, in a fixed order.
func (w initMap) options() []Option {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := make([]Option, 0, len(keys))
	for _, k := range keys {
		opts = append(opts, Init(k, w[k]))
	}
	return opts
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(goldenFile))
	if err != nil {
		t.Fatalf("%v (regenerate with scripts/ops_golden.py)", err)
	}
	var doc struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", goldenFile, err)
	}
	if len(doc.Cases) == 0 {
		t.Fatalf("%s: no cases", goldenFile)
	}
	return doc.Cases
}

// TestGolden checks float32 forward values of every layer against the NumPy
// references: |got - want| ≤ 1e-5·max(|want|, rms(want)) per element.
func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadGolden(t) {
		t.Run(c.Name, func(t *testing.T) {
			build, ok := goldenBuilders[c.Layer]
			if !ok {
				t.Fatalf("no builder for layer %q", c.Layer)
			}
			seen[c.Layer] = true
			s := op.NewScope()
			vs := tfmodel.NewStore(1, tf.Float)
			w := initMap{}
			for path, g := range c.Weights {
				w[path] = tfmodel.Values(values(t, tf.Float, g.Shape, g.Data))
			}
			xdt := tf.Float
			if c.X.DType == "int32" {
				xdt = tf.Int32
			}
			x := op.Const(s.SubScope("x"), newTensor(t, xdt, c.X.Shape, c.X.Data))
			y := build(s, vs, x, c.Config, w)
			initOp := vs.InitOp(s)
			sess := session(t, s)
			initStore(t, sess, initOp)
			res, err := sess.Run(nil, []tf.Output{y}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := res[0].Shape(); !equalShapes(got, c.Y.Shape) {
				t.Fatalf("output shape %v, want %v", got, c.Y.Shape)
			}
			if got := len(vs.All()); got != len(c.Weights) {
				t.Errorf("layer has %d variables, golden case %d", got, len(c.Weights))
			}
			if err := closeTo(flatten(t, res[0]), c.Y.Data, 1e-5, rms(c.Y.Data)); err != nil {
				t.Error(err)
			}
		})
	}
	for layer := range goldenBuilders {
		if !seen[layer] {
			t.Errorf("%s has no golden case in %s", layer, goldenFile)
		}
	}
}

func equalShapes(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func rms(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}
