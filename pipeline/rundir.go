package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Options place, size and set the precision of the inference sessions.
// The zero value runs everything in float32 on TensorFlow's default
// placement with one thread per core.
type Options struct {
	// Device is "" or a TensorFlow device name ("/device:GPU:0").
	Device  string
	Threads int
	// BFloat16Tokenizer and BFloat16Transformer run that part's session
	// with oneDNN's bfloat16 auto mixed precision
	// (tfmodel.SessionOptions.BFloat16): TensorFlow's graph optimizer
	// rewrites the matmuls, convolutions and the ops between them to
	// bfloat16 (fast on CPUs with AVX512_BF16 or AMX), variables stay
	// float32. Results differ slightly from float32: see SetBFloat16, which
	// reads the command-line flag's values. Off by default.
	BFloat16Tokenizer, BFloat16Transformer bool
}

// PartDir returns dir/part when dir is a model directory holding that part
// (dir/part/config.json exists; part is "tokenizer" or "transformer"),
// else dir itself, a run directory.
func PartDir(dir, part string) string {
	if _, err := os.Stat(filepath.Join(dir, part, "config.json")); err == nil {
		return filepath.Join(dir, part)
	}
	return dir
}

// readRunConfig decodes the "model" part (and any other fields v has) of
// dir/config.json.
func readRunConfig(dir string, v interface{}) error {
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model directory %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// restoredSession opens a session for g, in bfloat16 mixed precision if
// bf16, and restores the run's checkpoint.
func restoredSession(g *tf.Graph, saver *tfmodel.Saver, ckpt string, opt Options, bf16 bool) (*tfmodel.Session, error) {
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: opt.Threads, AllowSoftPlacement: true, BFloat16: bf16})
	if err != nil {
		return nil, err
	}
	if err := saver.Restore(sess, ckpt); err != nil {
		sess.Close()
		return nil, err
	}
	return sess, nil
}

// runCheckpoint returns the checkpoint of a run directory: best/model if it
// exists, else the latest step checkpoint.
func runCheckpoint(dir string) (string, error) {
	best := filepath.Join(dir, "best", "model")
	if _, err := os.Stat(best + ".index"); err == nil {
		return best, nil
	}
	latest, err := tfmodel.LatestCheckpoint(filepath.Join(dir, "ckpt"))
	if err != nil {
		return "", fmt.Errorf("model directory %s: %w", dir, err)
	}
	if latest == "" {
		return "", fmt.Errorf("model directory %s has no checkpoint (best/model or ckpt/)", dir)
	}
	return latest, nil
}
