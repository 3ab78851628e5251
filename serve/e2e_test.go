package serve

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/examples"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// browserTools finds headless Chromium and node with playwright-core:
// $MASKGIT_CHROMIUM or chromium on PATH, node on PATH, and playwright-core
// reachable by require() (installed in the repository, or in a folder named
// by $MASKGIT_NODE_PATH, e.g. /work/cache/serve_e2e/node_modules).
func browserTools() (chromium, node string, env []string, missing string) {
	chromium = os.Getenv("MASKGIT_CHROMIUM")
	if chromium == "" {
		chromium, _ = exec.LookPath("chromium")
	}
	if chromium == "" {
		return "", "", nil, "no chromium (apt-get install chromium, or set MASKGIT_CHROMIUM)"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", nil, "no node on PATH"
	}
	env = os.Environ()
	if np := os.Getenv("MASKGIT_NODE_PATH"); np != "" {
		env = append(env, "NODE_PATH="+np)
	}
	cmd := exec.Command(node, "-e", "require.resolve('playwright-core')")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", nil, fmt.Sprintf("node cannot find playwright-core (npm install playwright-core, and set MASKGIT_NODE_PATH to its node_modules): %v %.200s", err, out)
	}
	return chromium, node, env, ""
}

// TestPageEndToEnd drives the web page in headless Chromium
// (scripts/serve_e2e.cjs): it draws a stroke on a sample image, submits
// with an untrained 64×64 model behind the server, and checks here that the
// returned image differs from the image the page sent only inside the hole
// the page sent, and that the step strip is shown. Skipped when Chromium,
// node or playwright-core are missing, except with CI=true.
func TestPageEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium, node, env, missing := browserTools()
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", missing)
		}
		t.Skipf("skipping the browser test: %s", missing)
	}
	const res = 64
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..")
	// MASKGIT_E2E_MODEL=models/catfaces64 runs the page on a trained model
	// (for the docs' screenshot); the default is an untrained tiny one.
	var cfg Config
	var model *pipeline.Model
	if dir := os.Getenv("MASKGIT_E2E_MODEL"); dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(repo, dir)
		}
		m, err := pipeline.Load(dir, pipeline.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		model, cfg = m, ModelConfig(m)
	} else {
		model, cfg = tinyModel(t, res), Config{Resolution: res}
	}
	_, ts := newTestServer(t, model, cfg)
	script := filepath.Join(repo, "scripts", "serve_e2e.cjs")
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, ts.URL+"/", out, chromium)
	cmd.Env = env
	cmd.Dir = filepath.Dir(script)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, log)
	}
	t.Logf("%s", strings.TrimSpace(string(log)))

	read := func(name string) image.Image {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return img
	}
	// MASKGIT_SCREENSHOT=docs/serve.png keeps the screenshot (the docs show it).
	if dst := os.Getenv("MASKGIT_SCREENSHOT"); dst != "" {
		if !filepath.IsAbs(dst) {
			dst = filepath.Join(repo, dst)
		}
		b, err := os.ReadFile(filepath.Join(out, "page.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The page opened on the shipped example, not a synthetic pattern.
	opening := toRGBA(read("opening.png"))
	f, err := examples.FS.Open("sample_000.png")
	if err != nil {
		t.Fatal(err)
	}
	shipped, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(opening, toRGBA(shipped)); d > 2 {
		t.Errorf("the page opened on an image that differs from examples/sample_000.png by up to %d levels", d)
	}
	input, result, steps := toRGBA(read("input.png")), toRGBA(read("result.png")), read("steps.png")
	mask, _ := inpaint.MaskFromImage(read("mask.png"))
	if input.Bounds().Dx() != res || result.Bounds() != input.Bounds() || mask.W != res {
		t.Fatalf("sizes: input %v, result %v, mask %dx%d", input.Bounds(), result.Bounds(), mask.W, mask.H)
	}
	holes := mask.Holes()
	if holes == 0 || holes == res*res {
		t.Fatalf("the stroke made %d hole pixels of %d", holes, res*res)
	}
	inside, outside := 0, 0
	for y := 0; y < res; y++ {
		for x := 0; x < res; x++ {
			if input.RGBAAt(x, y) == result.RGBAAt(x, y) {
				continue
			}
			if mask.Hole[y*res+x] {
				inside++
			} else {
				outside++
			}
		}
	}
	if outside != 0 || inside == 0 {
		t.Errorf("result differs from the input at %d pixels outside the %d-pixel hole (want 0) and %d inside (want > 0)", outside, holes, inside)
	}
	if w := steps.Bounds().Dx(); w < res || w%res != 0 || w > 4*res {
		t.Errorf("step strip is %d px wide; want 1..4 cells of %d (total_iter 4)", w, res)
	}
}

// maxDiff returns the largest channel difference of two same-sized images
// (256 when the sizes differ).
func maxDiff(a, b *image.RGBA) int {
	if a.Bounds() != b.Bounds() {
		return 256
	}
	d := 0
	for i := range a.Pix {
		v := int(a.Pix[i]) - int(b.Pix[i])
		if v < 0 {
			v = -v
		}
		d = max(d, v)
	}
	return d
}

func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}
