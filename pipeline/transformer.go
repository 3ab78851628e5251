package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Transformer predicts logits for token grids; it implements
// inpaint.Predictor and inpaint.Chooser (the choice made in the graph, so a
// step copies [batch, N] ids and log-probabilities out of TensorFlow, not
// the [batch, N, K] logits). Safe for concurrent use; Close is safe to call
// twice.
type Transformer struct {
	Cfg transformer.Config
	// TokenizerDir is the tokenizer run directory named by the config.
	TokenizerDir string
	Checkpoint   string
	g            *transformer.InferenceGraph
	sess         *tfmodel.Session
	closeOnce    sync.Once
	closeErr     error
}

// transformerRunConfig is the part of a transformer run's config.json the
// pipeline needs.
type transformerRunConfig struct {
	Model transformer.Config `json:"model"`
	// TokenizerDir is absolute, or relative to the transformer run directory.
	TokenizerDir string `json:"tokenizer_dir"`
}

// TransformerCheckpoint reads a transformer run directory's model
// configuration and the checkpoint LoadTransformer restores (best/model,
// else the latest step), without building a graph or opening a session.
func TransformerCheckpoint(dir string) (transformer.Config, string, error) {
	rc, ckpt, err := readTransformerRun(dir)
	return rc.Model, ckpt, err
}

// readTransformerRun reads a transformer run directory's config.json and
// finds its checkpoint.
func readTransformerRun(dir string) (transformerRunConfig, string, error) {
	var rc transformerRunConfig
	if err := readRunConfig(dir, &rc); err != nil {
		return rc, "", err
	}
	if err := rc.Model.Validate(); err != nil {
		return rc, "", fmt.Errorf("%s/config.json: %w", dir, err)
	}
	ckpt, err := runCheckpoint(dir)
	return rc, ckpt, err
}

// LoadTransformer restores a transformer run directory.
func LoadTransformer(dir string, opt Options) (*Transformer, error) {
	rc, ckpt, err := readTransformerRun(dir)
	if err != nil {
		return nil, err
	}
	g, err := transformer.BuildInference(rc.Model, opt.Device)
	if err != nil {
		return nil, err
	}
	sess, err := restoredSession(g.Graph, g.Saver, ckpt, opt, opt.BFloat16Transformer)
	if err != nil {
		return nil, err
	}
	tok := rc.TokenizerDir
	if tok != "" && !filepath.IsAbs(tok) {
		tok = filepath.Join(dir, tok)
	}
	return &Transformer{Cfg: rc.Model, TokenizerDir: tok, Checkpoint: ckpt, g: g, sess: sess}, nil
}

// Predict returns logits [batch, Positions, Codes] for token grids
// [batch, Positions] (MaskID where unknown).
func (t *Transformer) Predict(ctx context.Context, tokens []int32, batch int) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x, err := tfmodel.NewTensorShaped(tokens, int64(batch), t.Cfg.Positions)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	out, err := t.sess.Run(map[tf.Output]*tf.Tensor{t.g.Tokens: x}, []tf.Output{t.g.Logits}, nil)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	return tfmodel.Float32s(out[0])
}

// Choose implements inpaint.Chooser: for every position of token grids
// [batch, Positions], the argmax code (uniforms nil) or the inverse-CDF
// sample for uniforms [batch, Positions] in [0, 1), with its
// log-probability, computed in the graph.
func (t *Transformer) Choose(ctx context.Context, tokens []int32, batch int, uniforms []float64) ([]int32, []float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	x, err := tfmodel.NewTensorShaped(tokens, int64(batch), t.Cfg.Positions)
	if err != nil {
		return nil, nil, fmt.Errorf("transformer: %w", err)
	}
	feeds := map[tf.Output]*tf.Tensor{t.g.Tokens: x}
	fetches := []tf.Output{t.g.Argmax, t.g.ArgmaxLogP}
	if uniforms != nil {
		u, err := tfmodel.NewTensorShaped(uniforms, int64(batch), t.Cfg.Positions)
		if err != nil {
			return nil, nil, fmt.Errorf("transformer: uniforms: %w", err)
		}
		feeds[t.g.Uniform] = u
		fetches = []tf.Output{t.g.Sample, t.g.SampleLogP}
	}
	out, err := t.sess.Run(feeds, fetches, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("transformer: %w", err)
	}
	ids, err := tfmodel.Int32s(out[0])
	if err != nil {
		return nil, nil, fmt.Errorf("transformer: %w", err)
	}
	logp, err := float64s(out[1])
	if err != nil {
		return nil, nil, fmt.Errorf("transformer: %w", err)
	}
	return ids, logp, nil
}

// float64s returns a float64 tensor's elements in row-major order. It
// flattens t in place.
func float64s(t *tf.Tensor) ([]float64, error) {
	if t.DataType() != tf.Double {
		return nil, fmt.Errorf("tensor has dtype %v, want float64", t.DataType())
	}
	n := int64(1)
	for _, d := range t.Shape() {
		n *= d
	}
	if err := t.Reshape([]int64{n}); err != nil {
		return nil, err
	}
	return t.Value().([]float64), nil
}

// Close releases the session.
func (t *Transformer) Close() error {
	t.closeOnce.Do(func() { t.closeErr = t.sess.Close() })
	return t.closeErr
}

// Model is a loaded tokenizer and transformer pair.
type Model struct {
	Tokenizer   *Tokenizer
	Transformer *Transformer
	// Settings are the model's own inpainting settings (SettingsFile in
	// the model directory, else DefaultSettings).
	Settings Settings
}

// Load opens a model directory: a transformer run directory whose config
// names its tokenizer, or a directory with "transformer/" and "tokenizer/"
// run directories; its SettingsFile, if any, gives Model.Settings.
//
// A SavedModel directory (from savedmodel.Export) is refused with an error
// that names savedmodel.LoadPipeline, which loads both kinds.
func Load(dir string, opt Options) (*Model, error) {
	if _, err := os.Stat(filepath.Join(dir, "saved_model.pb")); err == nil {
		return nil, fmt.Errorf("model %s is a SavedModel: load it with savedmodel.LoadPipeline (or maskgit.Load), which reads both kinds", dir)
	}
	settings, _, err := ReadSettings(dir)
	if err != nil {
		return nil, err
	}
	tr, err := LoadTransformer(PartDir(dir, "transformer"), opt)
	if err != nil {
		return nil, err
	}
	tokDir := tr.TokenizerDir
	if tokDir == "" {
		tokDir = filepath.Join(dir, "tokenizer")
	}
	tok, err := LoadTokenizer(tokDir, opt)
	if err != nil {
		tr.Close()
		return nil, err
	}
	if err := checkFit(tok, tr); err != nil {
		tr.Close()
		tok.Close()
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	return &Model{Tokenizer: tok, Transformer: tr, Settings: settings}, nil
}

// Close releases both models; safe to call twice.
func (m *Model) Close() error {
	err1 := m.Transformer.Close()
	err2 := m.Tokenizer.Close()
	if err1 != nil {
		return err1
	}
	return err2
}
