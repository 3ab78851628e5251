package pipeline

import (
	"errors"
	"fmt"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// NewTokenizer wraps an inference graph whose variables sess already holds
// (for example the tokenizer part of a loaded SavedModel: g's Images, IDs,
// Tokens and Decoded name tensors of that graph; g.Saver and g.Init may be
// nil). The Tokenizer owns sess: Close closes it. checkpoint is what
// Tokenizer.Checkpoint reports (the variables' prefix).
func NewTokenizer(g *vqvae.InferenceGraph, sess *tfmodel.Session, checkpoint string) (*Tokenizer, error) {
	if g == nil || sess == nil {
		return nil, errors.New("pipeline: NewTokenizer: nil graph or session")
	}
	if err := g.Cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: NewTokenizer: %w", err)
	}
	return &Tokenizer{Cfg: g.Cfg, Checkpoint: checkpoint, g: g, sess: sess}, nil
}

// NewTransformer wraps an inference graph whose variables sess already
// holds, as NewTokenizer does. The Transformer owns sess.
func NewTransformer(g *transformer.InferenceGraph, sess *tfmodel.Session, checkpoint string) (*Transformer, error) {
	if g == nil || sess == nil {
		return nil, errors.New("pipeline: NewTransformer: nil graph or session")
	}
	if err := g.Cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: NewTransformer: %w", err)
	}
	return &Transformer{Cfg: g.Cfg, Checkpoint: checkpoint, g: g, sess: sess}, nil
}

// NewModel pairs a tokenizer and a transformer (which may share one
// session: Model.Close closes each once) with the model's settings. It
// checks that they fit (codebook size, grid) and that the settings are
// valid; on error nothing is closed.
func NewModel(tok *Tokenizer, tr *Transformer, settings Settings) (*Model, error) {
	if tok == nil || tr == nil {
		return nil, errors.New("pipeline: NewModel: nil tokenizer or transformer")
	}
	if err := checkFit(tok, tr); err != nil {
		return nil, err
	}
	if _, err := settings.Options(0); err != nil {
		return nil, fmt.Errorf("pipeline: model settings: %w", err)
	}
	return &Model{Tokenizer: tok, Transformer: tr, Settings: settings}, nil
}

// checkFit reports a tokenizer that does not fit the transformer.
func checkFit(tok *Tokenizer, tr *Transformer) error {
	if tok.Cfg.Codes != tr.Cfg.Codes || tok.Cfg.Grid*tok.Cfg.Grid != tr.Cfg.Positions {
		return fmt.Errorf("tokenizer (%d codes, %dx%d grid) does not fit the transformer (%d codes, %d positions)",
			tok.Cfg.Codes, tok.Cfg.Grid, tok.Cfg.Grid, tr.Cfg.Codes, tr.Cfg.Positions)
	}
	return nil
}
