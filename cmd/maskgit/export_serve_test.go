package main

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/pipeline"
)

// exportedFixture is labFixture's model with its own settings (not the
// defaults, so that settings lost in the export would show), and its
// export as a SavedModel.
func exportedFixture(t *testing.T) (model, saved, images, masks string) {
	t.Helper()
	model, images, masks = labFixture(t)
	s := pipeline.Settings{Schedule: "linear", TotalIter: 4, SweetSpot: 3, Temperature: 2, Order: "confidence",
		Sample: true, Composite: "hard", Prefill: "grey", Seed: 6}
	if err := pipeline.WriteSettings(model, s); err != nil {
		t.Fatal(err)
	}
	saved = filepath.Join(t.TempDir(), "saved")
	if code, _, stderr := runCLI(t, "export", "--model", model, "--out", saved, "--threads", "1"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	return model, saved, images, masks
}

// sameTrees fails unless the files under a and b are byte for byte equal.
func sameTrees(t *testing.T, what, a, b string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		x, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		n++
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs between the model directory and the SavedModel", what, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n == 0 {
		t.Fatalf("%s: no files written", what)
	}
}

// TestSavedModelAsModel runs inpaint, generate and demo on a model
// directory and on its SavedModel, with the model's own settings (no
// decoding flags), and compares the files they write.
func TestSavedModelAsModel(t *testing.T) {
	model, saved, images, masks := exportedFixture(t)
	outs := map[string]string{}
	for _, m := range []string{model, saved} {
		root := t.TempDir()
		outs[m] = root
		for _, args := range [][]string{
			{"inpaint", "--images", images, "--masks", masks, "--out", filepath.Join(root, "inpaint"), "--save-steps"},
			{"generate", "--n", "2", "--out", filepath.Join(root, "generate")},
			{"demo", "--examples", filepath.Join(root, "generate"), "--out", filepath.Join(root, "demo", "demo.png")},
		} {
			args = append(args, "--model", m, "--threads", "1")
			if args[0] == "generate" {
				args = append(args, "--with-masks", "blob")
			}
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("%s --model %s: exit %d: %s", args[0], m, code, stderr)
			}
		}
	}
	for _, sub := range []string{"inpaint", "generate", "demo"} {
		sameTrees(t, sub, filepath.Join(outs[model], sub), filepath.Join(outs[saved], sub))
	}
}

// TestServeSavedModel serves the SavedModel and the model directory and
// compares the PNGs of one inpainting request.
func TestServeSavedModel(t *testing.T) {
	model, saved, images, masks := exportedFixture(t)
	a := serveOnce(t, model, filepath.Join(images, "image_000.png"), filepath.Join(masks, "mask_000.png"))
	b := serveOnce(t, saved, filepath.Join(images, "image_000.png"), filepath.Join(masks, "mask_000.png"))
	if !bytes.Equal(a, b) {
		t.Error("serve: the SavedModel's PNG differs from the model directory's")
	}
}

// serveOnce starts serve on model, posts one inpainting request with the
// server's defaults (the model's settings), stops it and returns the PNG.
func serveOnce(t *testing.T, model, image, mask string) []byte {
	t.Helper()
	s := startServeCmd(t, model, 60*time.Second)
	body, ctype := inpaintForm(t, image, mask)
	resp, err := http.Post(s.base+"/v1/inpaint", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("serve --model %s: %d %.200s", model, resp.StatusCode, png)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("serve --model %s: exit %d: %s", model, code, s.stderr.String())
	}
	return png
}

// TestSavedModelAsModelRefused: the unsafe-op check applies to --model, and
// a SavedModel that is not a maskgit export is named as such.
func TestSavedModelAsModelRefused(t *testing.T) {
	testdata := filepath.Join("..", "..", "savedmodel", "testdata")
	for _, tc := range []struct{ dir, want string }{
		{"tf_readfile", "ReadFile"},
		{"tf_affine", "not a maskgit export"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "generate", "--model", filepath.Join(testdata, tc.dir), "--n", "1", "--out", out, "--threads", "1")
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.dir, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written", tc.dir)
		}
	}
}
