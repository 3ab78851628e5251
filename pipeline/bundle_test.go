package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func TestBundleGivesTheSameModel(t *testing.T) {
	src := tinyModel(t)
	out := filepath.Join(t.TempDir(), "bundle")
	if err := Bundle(filepath.Join(src, "tokenizer"), filepath.Join(src, "transformer"), out); err != nil {
		t.Fatal(err)
	}
	if err := Bundle(filepath.Join(src, "tokenizer"), "", out); err == nil {
		t.Error("bundle over an existing directory succeeded")
	}
	a, err := Load(src, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Load(out, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	jobs := testJobs(2)
	opt := InpaintOptions{Decode: inpaint.Config{Steps: 3, Temperature: 1}, Seed: 2}
	ra, err := a.Inpaint(context.Background(), jobs, opt)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.Inpaint(context.Background(), jobs, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ra {
		for p := range ra[i].Image.Pix {
			if ra[i].Image.Pix[p] != rb[i].Image.Pix[p] {
				t.Fatalf("image %d differs after bundling", i)
			}
		}
	}
	for _, p := range []string{"tokenizer/config.json", "tokenizer/best/model.index", "transformer/best/model.index"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}
