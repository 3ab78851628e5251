package pipeline

import (
	"fmt"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Tokenizer encodes images to token grids and decodes them back. It is safe
// for concurrent use; Close releases it and is safe to call twice.
type Tokenizer struct {
	Cfg vqvae.Config
	// Checkpoint is the restored checkpoint prefix.
	Checkpoint string
	g          *vqvae.InferenceGraph
	sess       *tfmodel.Session
	closeOnce  sync.Once
	closeErr   error
}

// TokenizerCheckpoint reads a tokenizer run directory's model
// configuration and the checkpoint LoadTokenizer restores (best/model, else
// the latest step), without building a graph or opening a session.
func TokenizerCheckpoint(dir string) (vqvae.Config, string, error) {
	var rc struct {
		Model vqvae.Config `json:"model"`
	}
	if err := readRunConfig(dir, &rc); err != nil {
		return vqvae.Config{}, "", err
	}
	if err := rc.Model.Validate(); err != nil {
		return vqvae.Config{}, "", fmt.Errorf("%s/config.json: %w", dir, err)
	}
	ckpt, err := runCheckpoint(dir)
	if err != nil {
		return vqvae.Config{}, "", err
	}
	return rc.Model, ckpt, nil
}

// LoadTokenizer restores a tokenizer run directory.
func LoadTokenizer(dir string, opt Options) (*Tokenizer, error) {
	cfg, ckpt, err := TokenizerCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	g, err := vqvae.BuildInference(cfg, opt.Device)
	if err != nil {
		return nil, err
	}
	sess, err := restoredSession(g.Graph, g.Saver, ckpt, opt, opt.BFloat16Tokenizer)
	if err != nil {
		return nil, err
	}
	return &Tokenizer{Cfg: cfg, Checkpoint: ckpt, g: g, sess: sess}, nil
}

// Encode maps n images (float32 NHWC in [-1, 1], Resolution² each) to n
// grids of Grid² token ids.
func (t *Tokenizer) Encode(images []float32, n int) ([]int32, error) {
	r := t.Cfg.Resolution
	x, err := tfmodel.NewTensorShaped(images, int64(n), r, r, 3)
	if err != nil {
		return nil, fmt.Errorf("tokenizer encode: %w", err)
	}
	out, err := t.sess.Run(map[tf.Output]*tf.Tensor{t.g.Images: x}, []tf.Output{t.g.IDs}, nil)
	if err != nil {
		return nil, fmt.Errorf("tokenizer encode: %w", err)
	}
	return tfmodel.Int32s(out[0])
}

// Decode maps n token grids to n images (float32 NHWC in [-1, 1]).
func (t *Tokenizer) Decode(tokens []int32, n int) ([]float32, error) {
	gr := t.Cfg.Grid
	for i, id := range tokens {
		if id < 0 || int64(id) >= t.Cfg.Codes {
			return nil, fmt.Errorf("tokenizer decode: token %d = %d outside [0, %d)", i, id, t.Cfg.Codes)
		}
	}
	x, err := tfmodel.NewTensorShaped(tokens, int64(n), gr, gr)
	if err != nil {
		return nil, fmt.Errorf("tokenizer decode: %w", err)
	}
	out, err := t.sess.Run(map[tf.Output]*tf.Tensor{t.g.Tokens: x}, []tf.Output{t.g.Decoded}, nil)
	if err != nil {
		return nil, fmt.Errorf("tokenizer decode: %w", err)
	}
	return tfmodel.Float32s(out[0])
}

// Close releases the session.
func (t *Tokenizer) Close() error {
	t.closeOnce.Do(func() { t.closeErr = t.sess.Close() })
	return t.closeErr
}
