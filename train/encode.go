package train

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/pipeline"
)

// EncodeOptions configure EncodeFolder.
type EncodeOptions struct {
	Batch   int
	SkipBad bool
	// Flip also encodes every image mirrored left-right (after the
	// originals), doubling the token data.
	Flip bool
	Log  io.Writer
}

// encodeProgressEvery is how often encoding prints a progress line.
const encodeProgressEvery = 10 * time.Second

// CountImages says what a token cache counts: "7,556 images" or, with
// mirrored copies, "7,556 images (+7,556 mirrored)".
func CountImages(c *dataset.TokenCache) string {
	mirrored := 0
	for _, f := range c.Meta.Files {
		if strings.HasSuffix(f, "#flip") {
			mirrored++
		}
	}
	if len(c.Meta.Files) != c.N {
		mirrored = 0 // no file list: count what is there
	}
	if mirrored == 0 {
		return plural(c.N, "image")
	}
	return fmt.Sprintf("%s (+%s mirrored)", plural(c.N-mirrored, "image"), thousands(mirrored))
}

// plural returns "1 image", "7,556 images".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

// thousands formats n with comma separators: 7556 → "7,556".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// EncodeFolder encodes every image under dir with the tokenizer and writes
// the token cache to out (atomically). Training the transformer then reads
// tokens, not pixels.
func EncodeFolder(ctx context.Context, tok *pipeline.Tokenizer, dir, out string, opt EncodeOptions) (*dataset.TokenCache, error) {
	c, err := EncodeImages(ctx, tok, dir, opt)
	if err != nil {
		return nil, err
	}
	if err := dataset.WriteTokenCache(out, c); err != nil {
		return nil, err
	}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "encoded %s of %s into %s\n", CountImages(c), dir, out)
	}
	return c, nil
}

// EncodeImages encodes every image under dir with the tokenizer into a
// token cache in memory.
func EncodeImages(ctx context.Context, tok *pipeline.Tokenizer, dir string, opt EncodeOptions) (*dataset.TokenCache, error) {
	if opt.Batch <= 0 {
		opt.Batch = 64
	}
	f, err := OpenImages(dir, int(tok.Cfg.Resolution), opt.SkipBad)
	if err != nil {
		return nil, inputErr(err)
	}
	reportSkipped(opt.Log, f)
	skipped := map[string]bool{}
	for _, s := range f.Skipped() {
		skipped[s] = true
	}
	var idx []int
	var files []string
	for i, name := range f.Files() {
		if !skipped[name] {
			idx = append(idx, i)
			files = append(files, name)
		}
	}
	gr := int(tok.Cfg.Grid)
	passes := []bool{false}
	if opt.Flip {
		passes = append(passes, true)
		flipped := make([]string, len(files))
		for i, n := range files {
			flipped[i] = n + "#flip"
		}
		files = append(files, flipped...)
	}
	c := &dataset.TokenCache{H: gr, W: gr, Codebook: int(tok.Cfg.Codes),
		Meta: dataset.TokenMeta{Checkpoint: tok.Checkpoint, Source: dir, Files: files, FilesSHA256: dataset.FilesSHA256(files)}}
	res := int(tok.Cfg.Resolution)
	per := 3 * res * res
	total, lastLine := len(idx)*len(passes), time.Now()
	for _, flip := range passes {
		for start := 0; start < len(idx); start += opt.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			end := min(start+opt.Batch, len(idx))
			b, err := f.Batch(idx[start:end])
			if err != nil {
				return nil, inputErr(err)
			}
			if flip {
				for i := 0; i < b.N; i++ {
					rgba, err := b.Image(i)
					if err != nil {
						return nil, err
					}
					dataset.ToFloat(b.Data[i*per:(i+1)*per], dataset.RGBBytes(rgba), res, true)
				}
			}
			ids, err := tok.Encode(b.Data, b.N)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				c.Tokens = append(c.Tokens, uint16(id))
			}
			c.N += b.N
			if opt.Log != nil && time.Since(lastLine) >= encodeProgressEvery && c.N < total {
				fmt.Fprintf(opt.Log, "encoding %s: %s of %s images\n", dir, thousands(c.N), thousands(total))
				lastLine = time.Now()
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, inputErr(fmt.Errorf("tokens of %s: %w", dir, err))
	}
	return c, nil
}
