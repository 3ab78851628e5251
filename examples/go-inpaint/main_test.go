package main

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/savedmodel"
)

// TestGoInpaint exports the shipped model, builds this program, runs it on
// a shipped example and checks the PNG it writes: the model's size, the
// known pixels of the input kept.
func TestGoInpaint(t *testing.T) {
	root := filepath.Join("..", "..")
	dir := t.TempDir()
	saved := filepath.Join(dir, "catfaces64.savedmodel")
	if err := savedmodel.Export(filepath.Join(root, "models", "catfaces64"), saved, savedmodel.ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "go-inpaint")
	if msg, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	in, mask := filepath.Join(root, "examples", "sample_000.png"), filepath.Join(root, "examples", "sample_000_mask.png")
	out := filepath.Join(dir, "inpainted.png")
	cmd := exec.Command(bin, "--model", saved, "--image", in, "--mask", mask, "--out", out)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=2")
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("go-inpaint: %v", err)
	}
	if !strings.Contains(string(stdout), "wrote "+out+" (64x64)") {
		t.Errorf("stdout %q", stdout)
	}
	src, m, res := readPNG(t, in), readPNG(t, mask), readPNG(t, out)
	known, holes, changed := 0, 0, 0
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			r0, g0, b0, _ := src.At(x, y).RGBA()
			r1, g1, b1, _ := res.At(x, y).RGBA()
			same := r0 == r1 && g0 == g1 && b0 == b1
			if g, _, _, _ := m.At(x, y).RGBA(); g>>8 >= 128 {
				known++
				if !same {
					t.Fatalf("known pixel (%d,%d) changed", x, y)
				}
			} else {
				holes++
				if !same {
					changed++
				}
			}
		}
	}
	if holes == 0 || changed == 0 || known == 0 {
		t.Errorf("%d known, %d hole pixels, %d changed", known, holes, changed)
	}
	// Bad input: a clear error and a non-zero exit, no output file.
	bad := filepath.Join(dir, "bad.png")
	cmd = exec.Command(bin, "--model", saved, "--image", in, "--mask", filepath.Join(root, "README.md"), "--out", bad)
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "README.md") {
		t.Errorf("bad mask: err %v, output %s", err, msg)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("bad mask: output written")
	}
	// A tiny PNG whose header declares 20000x20000 pixels (and no pixel
	// data): refused by its header's size, not by a failed decode.
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, pngHeader(20000, 20000), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "--model", saved, "--image", huge, "--mask", mask, "--out", bad)
	msg, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "huge.png is 20000x20000; the model takes 64x64") {
		t.Errorf("huge image: err %v, output %s", err, msg)
	}
}

// pngHeader returns a greyscale PNG's signature and IHDR chunk for w×h
// pixels, without any pixel data.
func pngHeader(w, h int) []byte {
	chunk := []byte("IHDR")
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(w))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(h))
	chunk = append(chunk, 8, 0, 0, 0, 0)
	out := binary.BigEndian.AppendUint32([]byte("\x89PNG\r\n\x1a\n"), uint32(len(chunk)-4))
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
