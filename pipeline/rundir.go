package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Options place and size the inference sessions.
type Options struct {
	// Device is "" or a TensorFlow device name ("/device:GPU:0").
	Device  string
	Threads int
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

// restoredSession opens a session for g and restores the run's checkpoint.
func restoredSession(g *tf.Graph, saver *tfmodel.Saver, ckpt string, opt Options) (*tfmodel.Session, error) {
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: opt.Threads, AllowSoftPlacement: true})
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
