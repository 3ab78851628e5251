package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// Token cache file format, version 1. All integers are little-endian.
//
//	offset  size     field
//	0       8        magic "MGTOKENS"
//	8       4        version (uint32) = 1
//	12      4        N, number of images (uint32)
//	16      4        H, token grid height (uint32)
//	20      4        W, token grid width (uint32)
//	24      4        codebook size K (uint32, 1..65536)
//	28      4        M, metadata length in bytes (uint32)
//	32      M        metadata: a UTF-8 JSON object (TokenMeta)
//	32+M    2*N*H*W  tokens (uint16), image after image, row-major, each < K
//	end     4        CRC-32 (IEEE) of every byte before it
//
// The file size is therefore exactly 36 + M + 2*N*H*W.
const (
	TokenMagic   = "MGTOKENS"
	TokenVersion = 1
	tokenHeader  = 32
)

// TokenMeta says where the tokens of a cache come from.
type TokenMeta struct {
	// Checkpoint identifies the tokenizer that produced the tokens (for
	// example its checkpoint path and step).
	Checkpoint string `json:"checkpoint"`
	// Source is the image folder that was encoded.
	Source string `json:"source"`
	// Files are the encoded images, relative to Source, in token order
	// (optional; the hash is kept either way).
	Files []string `json:"files,omitempty"`
	// FilesSHA256 is FilesSHA256(Files), hex.
	FilesSHA256 string `json:"files_sha256"`
}

// FilesSHA256 hashes a file list: SHA-256 of each name followed by '\n'.
func FilesSHA256(files []string) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TokenCache holds the tokens of N images, each an H x W grid of ids in
// [0, Codebook).
type TokenCache struct {
	N, H, W  int
	Codebook int
	Meta     TokenMeta
	// Tokens has N*H*W ids, image after image, row-major.
	Tokens []uint16
}

// Image returns the H*W tokens of image i (a view, not a copy).
func (c *TokenCache) Image(i int) []uint16 {
	n := c.H * c.W
	return c.Tokens[i*n : (i+1)*n]
}

// Validate checks the sizes, the token range and the metadata.
func (c *TokenCache) Validate() error {
	if c.N <= 0 || c.H <= 0 || c.W <= 0 {
		return fmt.Errorf("token cache: N=%d, H=%d, W=%d must be positive", c.N, c.H, c.W)
	}
	if c.H > 1<<16 || c.W > 1<<16 || c.N > 1<<31/(c.H*c.W) {
		return fmt.Errorf("token cache: N=%d images of %dx%d tokens is too many", c.N, c.H, c.W)
	}
	if c.Codebook <= 0 || c.Codebook > 1<<16 {
		return fmt.Errorf("codebook size %d is not in [1, 65536]", c.Codebook)
	}
	if len(c.Tokens) != c.N*c.H*c.W {
		return fmt.Errorf("%d tokens, want N*H*W = %d", len(c.Tokens), c.N*c.H*c.W)
	}
	for k, t := range c.Tokens {
		if int(t) >= c.Codebook {
			i, p := k/(c.H*c.W), k%(c.H*c.W)
			return fmt.Errorf("token %d of image %d (row %d, column %d) is %d, not below the codebook size %d",
				p, i, p/c.W, p%c.W, t, c.Codebook)
		}
	}
	if len(c.Meta.Files) > 0 {
		if len(c.Meta.Files) != c.N {
			return fmt.Errorf("metadata lists %d files for %d images", len(c.Meta.Files), c.N)
		}
		if h := FilesSHA256(c.Meta.Files); h != c.Meta.FilesSHA256 {
			return fmt.Errorf("metadata files_sha256 %q does not match its file list (%s)", c.Meta.FilesSHA256, h)
		}
	}
	return nil
}

// WriteTokenCache validates c and writes it to path atomically (a temporary
// file in the same folder, renamed over path). When c.Meta.Files is set and
// FilesSHA256 is empty, the hash is filled in.
func WriteTokenCache(path string, c *TokenCache) error {
	if len(c.Meta.Files) > 0 && c.Meta.FilesSHA256 == "" {
		c.Meta.FilesSHA256 = FilesSHA256(c.Meta.Files)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("dataset: token cache %s: %w", path, err)
	}
	meta, err := json.Marshal(c.Meta)
	if err != nil {
		return fmt.Errorf("dataset: token cache %s: metadata: %w", path, err)
	}
	var buf bytes.Buffer
	buf.Grow(tokenHeader + len(meta) + 2*len(c.Tokens) + 4)
	buf.WriteString(TokenMagic)
	for _, v := range []int{TokenVersion, c.N, c.H, c.W, c.Codebook, len(meta)} {
		_ = binary.Write(&buf, binary.LittleEndian, uint32(v))
	}
	buf.Write(meta)
	_ = binary.Write(&buf, binary.LittleEndian, c.Tokens)
	_ = binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dataset: writing %s: %w", path, err)
	}
	return nil
}

// ReadTokenCache reads and validates a token cache. A wrong magic, an
// unknown version, a truncated or over-long file, a bad checksum, a token
// not below the codebook size or inconsistent metadata is an error naming
// the file.
func ReadTokenCache(path string) (*TokenCache, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: token cache: %w", err)
	}
	c, err := parseTokenCache(data)
	if err != nil {
		return nil, fmt.Errorf("dataset: token cache %s: %w", path, err)
	}
	return c, nil
}

func parseTokenCache(data []byte) (*TokenCache, error) {
	if len(data) < len(TokenMagic) || string(data[:len(TokenMagic)]) != TokenMagic {
		return nil, fmt.Errorf("not a token cache (wrong magic; want %q)", TokenMagic)
	}
	if len(data) < tokenHeader {
		return nil, fmt.Errorf("truncated: %d bytes, shorter than the %d-byte header", len(data), tokenHeader)
	}
	var h [6]uint32
	for i := range h {
		h[i] = binary.LittleEndian.Uint32(data[8+4*i:])
	}
	if h[0] != TokenVersion {
		return nil, fmt.Errorf("format version %d, this reader knows version %d", h[0], TokenVersion)
	}
	n, gh, gw, k, m := uint64(h[1]), uint64(h[2]), uint64(h[3]), int(h[4]), uint64(h[5])
	if gh == 0 || gw == 0 || gh > 1<<16 || gw > 1<<16 || n > (1<<40)/(gh*gw) || m > 1<<40 {
		return nil, fmt.Errorf("implausible header: N=%d, H=%d, W=%d, metadata %d bytes", n, gh, gw, m)
	}
	want := tokenHeader + m + 2*n*gh*gw + 4
	if uint64(len(data)) < want {
		return nil, fmt.Errorf("truncated: %d bytes, the header (N=%d, H=%d, W=%d, metadata %d bytes) needs %d",
			len(data), n, gh, gw, m, want)
	}
	if uint64(len(data)) > want {
		return nil, fmt.Errorf("%d bytes, %d more than the header (N=%d, H=%d, W=%d, metadata %d bytes) describes",
			len(data), uint64(len(data))-want, n, gh, gw, m)
	}
	body := data[:len(data)-4]
	if got, sum := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(data)-4:]); got != sum {
		return nil, fmt.Errorf("corrupt: CRC-32 is %08x, the file says %08x", got, sum)
	}
	c := &TokenCache{N: int(n), H: int(gh), W: int(gw), Codebook: k}
	if err := json.Unmarshal(data[tokenHeader:tokenHeader+m], &c.Meta); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	raw := body[tokenHeader+m:]
	c.Tokens = make([]uint16, len(raw)/2)
	for i := range c.Tokens {
		c.Tokens[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}
