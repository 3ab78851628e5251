package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// WriteUntrained writes a model directory (tokenizer/ and transformer/ run
// directories with config.json and best/model) holding freshly initialised
// weights: the layout Load reads, for smoke tests of everything downstream
// of training. Its outputs are meaningless images.
func WriteUntrained(dir string, tok vqvae.Config, tr transformer.Config, seed int64) error {
	if err := tok.Validate(); err != nil {
		return err
	}
	if err := tr.Validate(); err != nil {
		return err
	}
	tg, err := vqvae.BuildInference(tok, "")
	if err != nil {
		return err
	}
	if err := saveInitialised(tg.Graph, tg.Init, tg.Saver, filepath.Join(dir, "tokenizer"), map[string]interface{}{"model": tok}); err != nil {
		return err
	}
	rg, err := transformer.BuildInference(tr, "")
	if err != nil {
		return err
	}
	return saveInitialised(rg.Graph, rg.Init, rg.Saver, filepath.Join(dir, "transformer"),
		map[string]interface{}{"model": tr, "tokenizer_dir": "../tokenizer"})
}

func saveInitialised(g *tf.Graph, init *tf.Operation, saver *tfmodel.Saver, dir string, cfg interface{}) error {
	if err := os.MkdirAll(filepath.Join(dir, "best"), 0o755); err != nil {
		return err
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{})
	if err != nil {
		return err
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
		return fmt.Errorf("initialising %s: %w", dir, err)
	}
	if err := saver.Save(sess, filepath.Join(dir, "best", "model")); err != nil {
		return err
	}
	return atomicfile.WriteJSON(filepath.Join(dir, "config.json"), cfg)
}
