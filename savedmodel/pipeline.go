package savedmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// IsSavedModel reports whether dir holds a SavedModel (saved_model.pb).
func IsSavedModel(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "saved_model.pb"))
	return err == nil
}

// ReadConfig reads assets.extra/maskgit.json of an exported model. Exports
// older than the Settings field get pipeline.DefaultSettings; invalid
// configurations or settings are errors naming the file.
func ReadConfig(dir string) (ExportedConfig, error) {
	path := filepath.Join(dir, "assets.extra", ConfigFile)
	cfg := ExportedConfig{Settings: pipeline.DefaultSettings(), ImageRange: [2]float32{-1, 1}}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return cfg, fmt.Errorf("SavedModel %s is not a maskgit export (no assets.extra/%s): %w", dir, ConfigFile, err)
		}
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Tokenizer.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: tokenizer: %w", path, err)
	}
	if err := cfg.Transformer.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: transformer: %w", path, err)
	}
	if _, err := cfg.Settings.Options(0); err != nil {
		return cfg, fmt.Errorf("%s: settings: %w", path, err)
	}
	if cfg.ImageRange != [2]float32{-1, 1} {
		return cfg, fmt.Errorf("%s: image_range %v: this version reads [-1, 1] only", path, cfg.ImageRange)
	}
	return cfg, nil
}

// LoadPipeline loads dir for inpainting and generation: a SavedModel
// written by Export, or else a model directory (pipeline.Load). A
// SavedModel goes through Load (the unsafe-op check always applies); the
// tokenizer and transformer then run the SavedModel's own graph through
// its signatures "encode", "decode" and "logits", sharing its one session,
// with the configurations and settings of assets.extra/maskgit.json.
// Model.Tokenizer.Checkpoint and Model.Transformer.Checkpoint name the
// SavedModel's variables (dir/variables/variables), so the model can be
// exported again. opt.Device does not apply to a SavedModel (TensorFlow
// places its ops). A SavedModel's tokenizer and transformer share one
// session, so bfloat16 applies to both or neither: asking for one part
// only (opt.BFloat16Tokenizer ≠ opt.BFloat16Transformer) is an error.
func LoadPipeline(dir string, opt pipeline.Options) (*pipeline.Model, error) {
	if !IsSavedModel(dir) {
		return pipeline.Load(dir, opt)
	}
	if opt.BFloat16Tokenizer != opt.BFloat16Transformer {
		return nil, fmt.Errorf("SavedModel %s runs its tokenizer and transformer in one session: bfloat16 applies to both or neither, not to the %s alone (ask for both, or load a model directory)",
			dir, opt.BFloat16())
	}
	sm, err := Load(dir, Options{Threads: opt.Threads, BFloat16: opt.BFloat16Transformer})
	if err != nil {
		return nil, err
	}
	pm, err := pipelineOf(sm)
	if err != nil {
		sm.Close()
		return nil, fmt.Errorf("SavedModel %s: %w", dir, err)
	}
	return pm, nil
}

// pipelineOf builds the pipeline model on sm's graph and takes over its
// session (on success sm no longer owns it).
func pipelineOf(sm *Model) (*pipeline.Model, error) {
	cfg, err := ReadConfig(sm.Dir)
	if err != nil {
		return nil, err
	}
	tc, rc := cfg.Tokenizer, cfg.Transformer
	if tc.Codes != rc.Codes || tc.Grid*tc.Grid != rc.Positions || cfg.MaskID != rc.MaskID() ||
		cfg.Resolution != tc.Resolution || cfg.Grid != tc.Grid || cfg.Codes != tc.Codes {
		return nil, fmt.Errorf("assets.extra/%s is inconsistent (resolution %d, grid %d, codes %d, mask id %d; tokenizer %+v; transformer %+v)",
			ConfigFile, cfg.Resolution, cfg.Grid, cfg.Codes, cfg.MaskID, tc, rc)
	}
	r, g, n, k := tc.Resolution, tc.Grid, rc.Positions, rc.Codes
	var images, ids, tokens, decoded, trTokens, logits tf.Output
	for _, w := range []struct {
		sig, key string
		input    bool
		dtype    tf.DataType
		shape    []int64
		dst      *tf.Output
	}{
		{SigEncode, InImages, true, tf.Float, []int64{-1, r, r, 3}, &images},
		{SigEncode, OutTokens, false, tf.Int32, []int64{-1, g, g}, &ids},
		{SigDecode, InTokens, true, tf.Int32, []int64{-1, g, g}, &tokens},
		{SigDecode, OutImages, false, tf.Float, []int64{-1, r, r, 3}, &decoded},
		{SigLogits, InTokens, true, tf.Int32, []int64{-1, n}, &trTokens},
		{SigLogits, OutLogits, false, tf.Float, []int64{-1, n, k}, &logits},
	} {
		sig, ok := sm.signatures[w.sig]
		if !ok {
			return nil, fmt.Errorf("no signature %q (it has %v)", w.sig, sm.SignatureNames())
		}
		infos, kind := sig.Outputs, "output"
		if w.input {
			infos, kind = sig.Inputs, "input"
		}
		ti, ok := infos[w.key]
		if !ok {
			return nil, fmt.Errorf("signature %q has no %s %q", w.sig, kind, w.key)
		}
		if ti.DType != w.dtype || ti.Shape.NumDimensions() != len(w.shape) {
			return nil, fmt.Errorf("signature %q %s %q is %v %v, want %v %v", w.sig, kind, w.key, ti.DType, ti.Shape, w.dtype, w.shape)
		}
		for i, d := range w.shape {
			if ti.Shape.Size(i) != d {
				return nil, fmt.Errorf("signature %q %s %q has shape %v, want %v (from assets.extra/%s)", w.sig, kind, w.key, ti.Shape, w.shape, ConfigFile)
			}
		}
		if *w.dst, err = sm.output(ti.Name); err != nil {
			return nil, err
		}
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.sess == nil {
		return nil, ErrClosed
	}
	sess, err := tfmodel.WrapSession(sm.graph, sm.sess)
	if err != nil {
		return nil, err
	}
	vars := filepath.Join(sm.Dir, "variables", "variables")
	tok, err := pipeline.NewTokenizer(&vqvae.InferenceGraph{Graph: sm.graph, Cfg: tc, Images: images, IDs: ids, Tokens: tokens, Decoded: decoded}, sess, vars)
	if err != nil {
		return nil, err
	}
	tg := &transformer.InferenceGraph{Graph: sm.graph, Cfg: rc, Tokens: trTokens, Logits: logits}
	// The inpainting loop fetches each masked position's choice, not the
	// logits: add those ops to the loaded graph (exports of any age work).
	if err := transformer.AddChoices(op.NewScopeWithGraph(sm.graph).SubScope("maskgit_choose"), tg); err != nil {
		return nil, err
	}
	tr, err := pipeline.NewTransformer(tg, sess, vars)
	if err != nil {
		return nil, err
	}
	pm, err := pipeline.NewModel(tok, tr, cfg.Settings)
	if err != nil {
		return nil, err
	}
	sm.sess = nil // owned by sess now
	return pm, nil
}
