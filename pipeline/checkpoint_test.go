package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestRunCheckpoints: PartDir finds a model directory's parts;
// TokenizerCheckpoint and TransformerCheckpoint name
// the configuration and checkpoint LoadTokenizer / LoadTransformer restore,
// fall back to the latest step checkpoint without best/, and fail with the
// folder's name on a missing config, a bad config or no checkpoint.
func TestRunCheckpoints(t *testing.T) {
	dir := tinyModel(t)
	tokDir, trDir := filepath.Join(dir, "tokenizer"), filepath.Join(dir, "transformer")
	for _, c := range []struct{ dir, part, want string }{
		{dir, "tokenizer", tokDir}, {dir, "transformer", trDir}, {tokDir, "tokenizer", tokDir}, {trDir, "tokenizer", trDir},
	} {
		if got := PartDir(c.dir, c.part); got != c.want {
			t.Errorf("PartDir(%s, %s) = %s, want %s", c.dir, c.part, got, c.want)
		}
	}

	tcfg, tckpt, err := TokenizerCheckpoint(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokenizer(tokDir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	if !reflect.DeepEqual(tcfg, tok.Cfg) || tckpt != tok.Checkpoint || tckpt != filepath.Join(tokDir, "best", "model") {
		t.Errorf("TokenizerCheckpoint = %+v, %s; LoadTokenizer has %+v, %s", tcfg, tckpt, tok.Cfg, tok.Checkpoint)
	}

	rcfg, rckpt, err := TransformerCheckpoint(trDir)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTransformer(trDir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if rcfg != tr.Cfg || rckpt != tr.Checkpoint {
		t.Errorf("TransformerCheckpoint = %+v, %s; LoadTransformer has %+v, %s", rcfg, rckpt, tr.Cfg, tr.Checkpoint)
	}

	// Without best/, the latest step checkpoint: move best/model into ckpt/.
	if err := os.MkdirAll(filepath.Join(tokDir, "ckpt"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(tokDir, "best"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "model.") {
			continue
		}
		to := filepath.Join(tokDir, "ckpt", "step-00000007"+strings.TrimPrefix(e.Name(), "model"))
		if err := os.Rename(filepath.Join(tokDir, "best", e.Name()), to); err != nil {
			t.Fatal(err)
		}
	}
	if err := tfmodel.RecordCheckpoint(filepath.Join(tokDir, "ckpt", "step-00000007"), 0); err != nil {
		t.Fatal(err)
	}
	if _, ckpt, err := TokenizerCheckpoint(tokDir); err != nil || ckpt != filepath.Join(tokDir, "ckpt", "step-00000007") {
		t.Errorf("without best/: %q, %v; want ckpt/step-00000007", ckpt, err)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "config.json"), []byte(`{"model": {"codes": 0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cfgJSON, err := json.Marshal(map[string]interface{}{"model": tcfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "config.json"), cfgJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, dir, want string }{
		{"missing folder", filepath.Join(dir, "nope"), "nope"},
		{"bad config", bad, "config.json"},
		{"no checkpoint", empty, "no checkpoint"},
	} {
		if _, _, err := TokenizerCheckpoint(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TokenizerCheckpoint, %s: %v; want an error mentioning %q", c.name, err, c.want)
		}
		if c.name != "no checkpoint" {
			if _, _, err := TransformerCheckpoint(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("TransformerCheckpoint, %s: %v; want an error mentioning %q", c.name, err, c.want)
			}
		}
	}
}
