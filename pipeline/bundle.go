package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// Bundle writes a model directory for inference and shipping: out/tokenizer
// and (when transformerRun is not empty) out/transformer, each with the
// run's config.json and its checkpoint reduced to the model's variables (no
// optimizer state), plus the trainer state of that checkpoint as
// training_state.json. The transformer's config points at "../tokenizer".
// The directory is assembled beside out and renamed into place.
func Bundle(tokenizerRun, transformerRun, out string) (err error) {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("bundle: %s already exists", out)
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	tok, err := LoadTokenizer(tokenizerRun, Options{})
	if err != nil {
		return err
	}
	err = bundleRun(tokenizerRun, tok.Checkpoint, filepath.Join(tmp, "tokenizer"), nil, func(prefix string) error {
		return tok.g.Saver.Save(tok.sess, prefix)
	})
	if cerr := tok.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if transformerRun != "" {
		tr, err := LoadTransformer(transformerRun, Options{})
		if err != nil {
			return err
		}
		err = bundleRun(transformerRun, tr.Checkpoint, filepath.Join(tmp, "transformer"), map[string]interface{}{"tokenizer_dir": "../tokenizer"},
			func(prefix string) error { return tr.g.Saver.Save(tr.sess, prefix) })
		if cerr := tr.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return os.Rename(tmp, out)
}

// bundleRun writes one run's config (with overrides), model-only checkpoint
// and the checkpoint's trainer state into dir.
func bundleRun(run, ckpt, dir string, override map[string]interface{}, save func(prefix string) error) error {
	var cfg map[string]interface{}
	b, err := os.ReadFile(filepath.Join(run, "config.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("%s/config.json: %w", run, err)
	}
	for k, v := range override {
		cfg[k] = v
	}
	if err := os.MkdirAll(filepath.Join(dir, "best"), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, "config.json"), cfg); err != nil {
		return err
	}
	if err := save(filepath.Join(dir, "best", "model")); err != nil {
		return err
	}
	if st, err := os.ReadFile(ckpt + ".json"); err == nil {
		return atomicfile.WriteFile(filepath.Join(dir, "training_state.json"), st, 0o644)
	}
	return nil
}
