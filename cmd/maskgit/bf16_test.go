package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/savedmodel"
)

// TestBF16Flag: not given (or auto), --bf16 is "transformer" for a model directory
// on a CPU with native bfloat16 products and "off" elsewhere and for a
// SavedModel; alone it means both parts, with a value the part named; a
// bad value is refused as the flags are parsed.
func TestBF16Flag(t *testing.T) {
	auto := "off"
	if cpuHasBF16() {
		auto = "transformer"
	}
	dir, saved := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(saved, "saved_model.pb"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !savedmodel.IsSavedModel(saved) {
		t.Fatal("the fake SavedModel is not one")
	}
	for _, c := range []struct {
		args []string
		want string // pipeline.Options.BFloat16(), or "error"
	}{
		{[]string{"--model", dir}, auto},
		{[]string{"--model", saved}, "off"},
		{[]string{"--model", dir, "--bf16=off"}, "off"},
		{[]string{"--model", dir, "--bf16=all", "--bf16=auto"}, auto},
		{[]string{"--model", saved, "--bf16"}, "all"},
		{[]string{"--bf16"}, "all"},
		{[]string{"--bf16=transformer"}, "transformer"},
		{[]string{"--bf16=tokenizer"}, "tokenizer"},
		{[]string{"--bf16=false"}, "off"},
		{[]string{"--bf16=half"}, "error"},
	} {
		var mf modelFlags
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		fs.SetOutput(&strings.Builder{})
		mf.register(fs)
		err := fs.Parse(c.args)
		if c.want == "error" {
			if err == nil || !strings.Contains(err.Error(), "transformer, tokenizer") {
				t.Errorf("%q: %v, want an error listing the values", c.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		opt, err := mf.options()
		if err != nil {
			t.Fatal(err)
		}
		if opt.BFloat16() != c.want {
			t.Errorf("%q: bfloat16 %q, want %q", c.args, opt.BFloat16(), c.want)
		}
	}
}

// TestBF16FlagOnCommands: every command that loads a model for decoding
// has --bf16, whose help says results can differ from float32; inpaint
// runs with it and says so.
func TestBF16FlagOnCommands(t *testing.T) {
	for _, cmd := range []string{"inpaint", "sweep", "serve", "generate", "demo"} {
		code, out, errOut := runCLI(t, "help", cmd)
		if code != 0 || !strings.Contains(out+errOut, "--bf16") || !strings.Contains(out+errOut, "differ slightly from float32") {
			t.Errorf("%s: exit %d, help lacks --bf16 and its float32 note:\n%s%s", cmd, code, out, errOut)
		}
	}
	model, images, masks := labFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--threads", "1", "--bf16")
	if code != 0 || !strings.Contains(stdout, "bfloat16 all") {
		t.Errorf("inpaint --bf16: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
