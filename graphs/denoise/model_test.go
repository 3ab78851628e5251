package denoise

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/tfmodel"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"no blocks", func(c *Config) { c.Blocks = 0 }, ""},
		{"no noise", func(c *Config) { c.NoiseStd = 0 }, ""},
		{"zero crop", func(c *Config) { c.Crop = 0 }, "crop 0"},
		{"zero channels", func(c *Config) { c.Channels = 0 }, "channels 0"},
		{"groups do not divide", func(c *Config) { c.Groups = 3 }, "16 channels are not divisible into 3 groups"},
		{"zero groups", func(c *Config) { c.Groups = 0 }, "into 0 groups"},
		{"negative blocks", func(c *Config) { c.Blocks = -1 }, "blocks -1"},
		{"negative noise", func(c *Config) { c.NoiseStd = -0.1 }, "noise std"},
		{"NaN noise", func(c *Config) { c.NoiseStd = math.NaN() }, "noise std"},
		{"infinite clip", func(c *Config) { c.ClipNorm = math.Inf(1) }, "clip norm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if tc.want != "" {
				if _, err := Build(cfg, 1); err == nil {
					t.Error("Build accepted the invalid config")
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Beta1 = 1
	if _, err := Build(cfg, 1); err == nil || !strings.Contains(err.Error(), "Beta1") {
		t.Errorf("Beta1 = 1: error %v, want one naming Beta1", err)
	}
}

// The graph has the documented variables (the checkpoint keys), the saver
// covers all of them, and an untrained model is the identity.
func TestBuildVariablesAndIdentity(t *testing.T) {
	cfg := DefaultConfig()
	g, err := Build(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	names := g.Vars.Names()
	for _, want := range []string{"denoiser/conv_in/kernel", "denoiser/res0/norm1/gamma", "denoiser/res1/conv2/kernel",
		"denoiser/norm_out/beta", "denoiser/conv_out/bias", "optimizer/step", "optimizer/denoiser/conv_out/kernel/v"} {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			t.Errorf("variable %q missing from %v", want, names)
		}
	}
	if n, m := len(g.Saver.Variables()), len(g.Vars.All()); n != m {
		t.Errorf("saver covers %d of %d variables", n, m)
	}
	// 3x3 convs: conv_in 3→16, 2 blocks of two 16→16 and two GroupNorms,
	// norm_out, conv_out 16→3.
	wantParams := int64((27*16 + 16) + 2*(2*(144*16+16)+2*32) + 32 + (144*3 + 3))
	if got := g.Vars.NumParams(); got != wantParams {
		t.Errorf("NumParams = %d, want %d", got, wantParams)
	}

	c := newCrops(t, syntheticFolder(t, 4, 20), 4, cfg.Crop, cfg.NoiseStd, 1)
	tr, err := NewTrainer(g, c, tfmodel.ConstantLR(1e-3), tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	b, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	loss, base, err := tr.Evaluate(b)
	if err != nil {
		t.Fatal(err)
	}
	if loss != base || base == 0 {
		t.Errorf("untrained MSE %v, identity %v: want equal and non-zero", loss, base)
	}
}

func TestTrainerErrors(t *testing.T) {
	cfg := DefaultConfig()
	f := syntheticFolder(t, 4, 20)
	g, err := Build(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := newCrops(t, f, 2, cfg.Crop, cfg.NoiseStd, 1)
	sched := tfmodel.ConstantLR(1e-3)
	opts := tfmodel.SessionOptions{Threads: 1}

	t.Run("constructor", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			g     *Graph
			c     *Crops
			sched tfmodel.Schedule
			want  string
		}{
			{"nil graph", nil, c, sched, "graph not built"},
			{"nil crops", g, nil, sched, "nil crops"},
			{"nil schedule", g, c, nil, "nil schedule"},
			{"crop size", g, newCrops(t, f, 2, 8, 0.1, 1), sched, "crops of 8 pixels for a model of 16"},
		} {
			tr, err := NewTrainer(tc.g, tc.c, tc.sched, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
			}
			if tr != nil {
				tr.Close()
			}
		}
	})

	tr := newTrainer(t, cfg, 1, c, sched, 1)
	t.Run("evaluate bad batch", func(t *testing.T) {
		b, err := newCrops(t, f, 2, 8, 0.1, 1).Next()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Evaluate(b); err == nil {
			t.Error("Evaluate accepted 8x8 crops for a 16x16 model")
		}
		if _, _, err := tr.Evaluate(nil); err == nil {
			t.Error("Evaluate accepted a nil batch")
		}
	})

	if _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ckpt-1")
	if err := tr.Save(prefix); err != nil {
		t.Fatal(err)
	}
	if latest, err := tfmodel.LatestCheckpoint(dir); err != nil || latest != prefix {
		t.Fatalf("LatestCheckpoint = %q, %v; want %q", latest, err, prefix)
	}
	var st TrainState
	raw, err := os.ReadFile(StatePath(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.Step != 1 || st.Config != cfg || len(st.Crops.RNG) == 0 {
		t.Errorf("state file %+v, want step 1, the config and a random stream", st)
	}

	// restoreInto builds a trainer for cfg2 and restores p into it.
	restoreInto := func(t *testing.T, cfg2 Config, p string) error {
		t.Helper()
		return newTrainer(t, cfg2, 3, newCrops(t, f, 2, cfg2.Crop, cfg2.NoiseStd, 1), sched, 1).Restore(p)
	}
	writeState := func(t *testing.T, name string, edit func(*TrainState)) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		for _, ext := range []string{".index", ".data-00000-of-00001"} {
			b, err := os.ReadFile(prefix + ext)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p+ext, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s := st
		edit(&s)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(StatePath(p), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := cfg
	other.NoiseStd = 0.1
	wider := cfg
	wider.Channels = 32
	for _, tc := range []struct {
		name   string
		cfg    Config
		prefix func(t *testing.T) string
		want   string
	}{
		{"round trip", cfg, func(*testing.T) string { return prefix }, ""},
		{"missing state", cfg, func(t *testing.T) string {
			p := writeState(t, "ckpt", func(*TrainState) {})
			os.Remove(StatePath(p))
			return p
		}, "ckpt.json"},
		{"corrupt state", cfg, func(t *testing.T) string {
			p := writeState(t, "ckpt", func(*TrainState) {})
			os.WriteFile(StatePath(p), []byte("{"), 0o644)
			return p
		}, "is not a state file"},
		{"other config", other, func(*testing.T) string { return prefix }, "was saved with config"},
		{"other model", wider, func(t *testing.T) string {
			return writeState(t, "ckpt", func(s *TrainState) { s.Config = wider })
		}, "does not match the model"},
		{"step mismatch", cfg, func(t *testing.T) string {
			return writeState(t, "ckpt", func(s *TrainState) { s.Step = 5 })
		}, "says step 5, the checkpoint's optimizer made 1"},
		{"bad crop state", cfg, func(t *testing.T) string {
			return writeState(t, "ckpt", func(s *TrainState) { s.Crops.RNG = nil })
		}, "no random stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := restoreInto(t, tc.cfg, tc.prefix(t))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}

	t.Run("resume without checkpoint", func(t *testing.T) {
		ok, err := tr.Resume(t.TempDir())
		if ok || err != nil {
			t.Errorf("Resume(empty dir) = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("close twice", func(t *testing.T) {
		tr2 := newTrainer(t, cfg, 1, c, sched, 1)
		if err := tr2.Close(); err != nil {
			t.Fatal(err)
		}
		if err := tr2.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := tr2.Step(); err == nil {
			t.Error("Step after Close succeeded")
		}
	})
}
