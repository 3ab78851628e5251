package dataset

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTokenCacheGolden reads testdata/tokens_v1.mgtok, written from the
// format description by scripts/dataset_golden.py, and checks that Go
// writes the same bytes.
func TestTokenCacheGolden(t *testing.T) {
	var want struct {
		N, H, W, Codebook int
		Meta              TokenMeta
		Tokens            []uint16
	}
	data, err := os.ReadFile("testdata/tokens_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	c, err := ReadTokenCache("testdata/tokens_v1.mgtok")
	if err != nil {
		t.Fatal(err)
	}
	if c.N != want.N || c.H != want.H || c.W != want.W || c.Codebook != want.Codebook ||
		!reflect.DeepEqual(c.Meta, want.Meta) || !slices.Equal(c.Tokens, want.Tokens) {
		t.Fatalf("read %+v, want %+v", c, want)
	}
	if !slices.Equal(c.Image(1), want.Tokens[8:16]) {
		t.Errorf("Image(1) = %v", c.Image(1))
	}
	out := filepath.Join(t.TempDir(), "tokens.mgtok")
	if err := WriteTokenCache(out, c); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	ref, _ := os.ReadFile("testdata/tokens_v1.mgtok")
	if !bytes.Equal(got, ref) {
		t.Errorf("Go wrote %d bytes that differ from the reference %d bytes", len(got), len(ref))
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func sampleCache() *TokenCache {
	c := &TokenCache{N: 5, H: 2, W: 3, Codebook: 1024, Meta: TokenMeta{
		Checkpoint: "ckpt-7", Source: "/data/train", Files: []string{"1.jpg", "2.jpg", "3.jpg", "4.jpg", "5.jpg"},
	}}
	for i := 0; i < 30; i++ {
		c.Tokens = append(c.Tokens, uint16(i*37%1024))
	}
	return c
}

func TestTokenCacheRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.mgtok")
	c := sampleCache()
	if err := WriteTokenCache(path, c); err != nil {
		t.Fatal(err)
	}
	if c.Meta.FilesSHA256 != FilesSHA256(c.Meta.Files) {
		t.Errorf("hash not filled in: %q", c.Meta.FilesSHA256)
	}
	got, err := ReadTokenCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("read %+v, want %+v", got, c)
	}
	// A cache may keep only the hash of its file list.
	c.Meta.Files = nil
	if err := WriteTokenCache(path, c); err != nil {
		t.Fatal(err)
	}
	if got, err = ReadTokenCache(path); err != nil || got.Meta.FilesSHA256 != c.Meta.FilesSHA256 {
		t.Errorf("hash-only cache: %v, %+v", err, got)
	}
}

// withCRC replaces the trailing checksum so that a change reaches the check
// behind it.
func withCRC(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func TestTokenCacheReadErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mgtok")
	if err := WriteTokenCache(good, sampleCache()); err != nil {
		t.Fatal(err)
	}
	ref, _ := os.ReadFile(good)
	metaLen := int(binary.LittleEndian.Uint32(ref[28:]))
	tokens := 32 + metaLen
	tests := []struct {
		name  string
		spoil func(b []byte) []byte
		want  string
	}{
		{"wrong magic", func(b []byte) []byte { b[0] = 'X'; return b }, "wrong magic"},
		{"empty", func(b []byte) []byte { return nil }, "wrong magic"},
		{"short header", func(b []byte) []byte { return b[:20] }, "truncated"},
		{"truncated tokens", func(b []byte) []byte { return b[:len(b)-7] }, "truncated"},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0) }, "1 more than the header"},
		{"version", func(b []byte) []byte { b[8] = 2; return withCRC(b) }, "format version 2"},
		{"bad checksum", func(b []byte) []byte { b[tokens] ^= 1; return b }, "CRC-32"},
		{"token too large", func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[tokens+2*7:], 1024) // image 1, token 1
			return withCRC(b)
		}, "token 1 of image 1 (row 0, column 1) is 1024"},
		{"file list hash", func(b []byte) []byte {
			i := bytes.Index(b, []byte("1.jpg"))
			b[i] = '9'
			return withCRC(b)
		}, "files_sha256"},
		{"implausible header", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[16:], 1<<20)
			return b
		}, "implausible header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".mgtok")
			writeFile(t, path, tc.spoil(slices.Clone(ref)))
			_, err := ReadTokenCache(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
	if _, err := ReadTokenCache(filepath.Join(dir, "absent.mgtok")); err == nil || !strings.Contains(err.Error(), "absent.mgtok") {
		t.Errorf("missing file error %v", err)
	}
}

func TestWriteTokenCacheRejects(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(c *TokenCache)
		want  string
	}{
		{"token too large", func(c *TokenCache) { c.Tokens[29] = 1024 }, "token 5 of image 4"},
		{"token count", func(c *TokenCache) { c.Tokens = c.Tokens[:29] }, "29 tokens"},
		{"codebook", func(c *TokenCache) { c.Codebook = 1 << 17 }, "codebook size"},
		{"file count", func(c *TokenCache) { c.Meta.Files = c.Meta.Files[:4] }, "4 files for 5 images"},
		{"zero images", func(c *TokenCache) { c.N, c.Tokens = 0, nil }, "must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c.mgtok")
			c := sampleCache()
			tc.spoil(c)
			err := WriteTokenCache(path, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want %q naming %s", err, tc.want, path)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files left after a failed write: %v", entries)
			}
		})
	}
}

func TestTokenIterator(t *testing.T) {
	c := sampleCache()
	opt := IterOptions{BatchSize: 3, Seed: 21, Shuffle: true}
	it, err := c.Iterator(opt)
	if err != nil {
		t.Fatal(err)
	}
	var batches []*TokenBatch
	var states []State
	for range 4 { // 12 samples = epochs 0, 1 and 2 of 5 images
		states = append(states, it.State())
		batches = append(batches, it.Next())
	}
	b := batches[0]
	if !reflect.DeepEqual(b.Shape(), []int64{3, 2, 3}) || len(b.Tokens) != 18 {
		t.Fatalf("shape %v, %d tokens", b.Shape(), len(b.Tokens))
	}
	for k, i := range b.Indices {
		for j, tok := range c.Image(i) {
			if b.Tokens[k*6+j] != int32(tok) {
				t.Fatalf("batch sample %d (image %d) token %d = %d, want %d", k, i, j, b.Tokens[k*6+j], tok)
			}
		}
	}
	// Same order as the image iterator with the same seed.
	order0, _ := EpochOrder(5, 21, 0, true)
	order1, _ := EpochOrder(5, 21, 1, true)
	var seq []int
	for _, b := range batches {
		seq = append(seq, b.Indices...)
	}
	if !slices.Equal(seq[:10], append(order0, order1...)) {
		t.Errorf("order %v, want %v then %v", seq[:10], order0, order1)
	}
	for k, st := range states {
		it2, _ := c.Iterator(opt)
		if err := it2.SetState(st); err != nil {
			t.Fatal(err)
		}
		for j := k; j < len(batches); j++ {
			if got := it2.Next(); !reflect.DeepEqual(got, batches[j]) {
				t.Fatalf("resumed at %v: batch %d = %v, want %v", st, j, got.Indices, batches[j].Indices)
			}
		}
	}
	if _, err := c.Iterator(IterOptions{BatchSize: 2, Flip: true}); err == nil {
		t.Error("token iterator accepted Flip")
	}
	if _, err := c.Iterator(IterOptions{}); err == nil {
		t.Error("token iterator accepted batch size 0")
	}
}
