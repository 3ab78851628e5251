package tfmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"sort"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	bundle "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// This file reads the .index file of a TensorFlow V2 checkpoint, so that
// Restore can check names, dtypes and shapes before running RestoreV2 and
// report a mismatch by variable and path. The index is a sorted string table
// (TensorFlow's LevelDB-style table): data blocks of prefix-compressed
// key/value entries, an index block pointing at them and a fixed 48-byte
// footer. Key "" holds a BundleHeaderProto, every other key a
// BundleEntryProto describing one tensor.

// CheckpointTensor describes one tensor stored in a checkpoint.
type CheckpointTensor struct {
	Name  string
	DType tf.DataType
	Shape []int64
}

// ListCheckpoint returns the tensors of the V2 checkpoint at prefix (the path
// without ".index"), sorted by name, like tf.train.list_variables.
func ListCheckpoint(prefix string) ([]CheckpointTensor, error) {
	idx, err := readBundleIndex(prefix)
	if err != nil {
		return nil, err
	}
	out := make([]CheckpointTensor, 0, len(idx.entries))
	for name, e := range idx.entries {
		out = append(out, CheckpointTensor{Name: name, DType: e.dtype, Shape: e.shape})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// bundleIndex is the parsed .index file of a checkpoint.
type bundleIndex struct {
	path      string // the .index file
	numShards int
	entries   map[string]bundleEntry
}

type bundleEntry struct {
	dtype        tf.DataType
	shape        []int64
	shard        int
	offset, size int64
}

// dataFile is the name of shard i of n of the checkpoint at prefix.
func dataFile(prefix string, i, n int) string {
	return fmt.Sprintf("%s.data-%05d-of-%05d", prefix, i, n)
}

// readBundleIndex parses prefix.index.
func readBundleIndex(prefix string) (*bundleIndex, error) {
	path := prefix + ".index"
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint %s: %s does not exist", prefix, path)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", prefix, err)
	}
	idx := &bundleIndex{path: path, entries: map[string]bundleEntry{}}
	sawHeader := false
	err = readTable(b, func(key string, value []byte) error {
		if key == "" {
			var h bundle.BundleHeaderProto
			if err := proto.Unmarshal(value, &h); err != nil {
				return fmt.Errorf("header: %w", err)
			}
			if h.Endianness != bundle.BundleHeaderProto_LITTLE {
				return errors.New("big-endian checkpoints are not supported")
			}
			if h.NumShards < 1 {
				return fmt.Errorf("header: %d shards", h.NumShards)
			}
			idx.numShards = int(h.NumShards)
			sawHeader = true
			return nil
		}
		var e bundle.BundleEntryProto
		if err := proto.Unmarshal(value, &e); err != nil {
			return fmt.Errorf("entry %q: %w", key, err)
		}
		if len(e.Slices) > 0 {
			// Partitioned tensors keep their slices under other keys;
			// the entry still gives the full dtype and shape.
			e.ShardId, e.Offset, e.Size = 0, 0, 0
		}
		be := bundleEntry{dtype: tf.DataType(e.Dtype), shard: int(e.ShardId), offset: e.Offset, size: e.Size}
		if e.Shape != nil {
			if e.Shape.UnknownRank {
				return fmt.Errorf("entry %q: unknown rank", key)
			}
			be.shape = make([]int64, len(e.Shape.Dim))
			for i, d := range e.Shape.Dim {
				be.shape[i] = d.Size
			}
		} else {
			be.shape = []int64{}
		}
		idx.entries[key] = be
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint index %s: %w", path, err)
	}
	if !sawHeader {
		return nil, fmt.Errorf("checkpoint index %s: no header entry", path)
	}
	for k, e := range idx.entries {
		if e.shard < 0 || e.shard >= idx.numShards {
			return nil, fmt.Errorf("checkpoint index %s: tensor %q in shard %d of %d", path, k, e.shard, idx.numShards)
		}
	}
	return idx, nil
}

const (
	tableFooterLen   = 48
	tableMagic       = 0xdb4775248b80fb57
	blockTrailerLen  = 5 // compression type byte + masked CRC32C
	noCompression    = 0
	snappyCompressed = 1
	crcMaskDelta     = 0xa282ead8
)

// readTable calls fn for every key/value pair of the table in file, in order.
func readTable(file []byte, fn func(key string, value []byte) error) error {
	if len(file) < tableFooterLen {
		return fmt.Errorf("file too short (%d bytes) to be a table", len(file))
	}
	footer := file[len(file)-tableFooterLen:]
	if binary.LittleEndian.Uint64(footer[40:]) != tableMagic {
		return errors.New("bad magic number: not a TensorFlow table")
	}
	// The footer holds the metaindex handle, then the index handle.
	_, n, err := decodeHandle(footer)
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	indexHandle, _, err := decodeHandle(footer[n:])
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	index, err := readBlock(file, indexHandle)
	if err != nil {
		return fmt.Errorf("index block: %w", err)
	}
	return iterBlock(index, func(_ string, v []byte) error {
		h, _, err := decodeHandle(v)
		if err != nil {
			return fmt.Errorf("index entry: %w", err)
		}
		data, err := readBlock(file, h)
		if err != nil {
			return fmt.Errorf("data block at %d: %w", h.offset, err)
		}
		return iterBlock(data, fn)
	})
}

type blockHandle struct{ offset, size uint64 }

func decodeHandle(b []byte) (blockHandle, int, error) {
	off, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return blockHandle{}, 0, errors.New("bad block handle")
	}
	size, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return blockHandle{}, 0, errors.New("bad block handle")
	}
	return blockHandle{off, size}, n1 + n2, nil
}

// readBlock returns the checked, uncompressed contents of the block at h.
func readBlock(file []byte, h blockHandle) ([]byte, error) {
	end := h.offset + h.size + blockTrailerLen
	if h.offset > uint64(len(file)) || end > uint64(len(file)) || end < h.offset {
		return nil, fmt.Errorf("block [%d, %d) past the end of the file (%d bytes)", h.offset, end, len(file))
	}
	raw := file[h.offset : h.offset+h.size+1] // contents + compression type
	stored := binary.LittleEndian.Uint32(file[h.offset+h.size+1:])
	rot := stored - crcMaskDelta
	if want := rot>>17 | rot<<15; crc32.Checksum(raw, crc32.MakeTable(crc32.Castagnoli)) != want {
		return nil, errors.New("checksum mismatch: the file is corrupt")
	}
	contents := raw[:h.size]
	switch raw[h.size] {
	case noCompression:
		return contents, nil
	case snappyCompressed:
		return snappyDecode(contents)
	}
	return nil, fmt.Errorf("unknown block compression %d", raw[h.size])
}

// iterBlock calls fn for each entry of a block. An entry is the varints
// shared, unshared and value length, then the unshared key suffix and the
// value; the key is the previous key's first `shared` bytes plus the suffix.
// The block ends with restart offsets and their count (uint32 each).
func iterBlock(b []byte, fn func(key string, value []byte) error) error {
	if len(b) < 4 {
		return errors.New("block too short")
	}
	nRestarts := uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if (nRestarts+1)*4 > uint64(len(b)) {
		return errors.New("bad restart count")
	}
	entries := b[:uint64(len(b))-(nRestarts+1)*4]
	var key []byte
	for p := 0; p < len(entries); {
		var hdr [3]uint64
		for i := range hdr {
			v, n := binary.Uvarint(entries[p:])
			if n <= 0 {
				return errors.New("bad entry header")
			}
			hdr[i] = v
			p += n
		}
		shared, unshared, vlen := hdr[0], hdr[1], hdr[2]
		if shared > uint64(len(key)) || unshared+vlen > uint64(len(entries)-p) {
			return errors.New("bad entry lengths")
		}
		key = append(key[:shared], entries[p:p+int(unshared)]...)
		p += int(unshared)
		if err := fn(string(key), entries[p:p+int(vlen)]); err != nil {
			return err
		}
		p += int(vlen)
	}
	return nil
}

// snappyDecode decompresses a Snappy block: the uncompressed length as a
// varint, then literals and back-references (tag low bits 0: literal, 1-3:
// copy with a 1-, 2- or 4-byte offset).
func snappyDecode(src []byte) ([]byte, error) {
	bad := errors.New("corrupt snappy block")
	dlen, n := binary.Uvarint(src)
	if n <= 0 || dlen > 1<<30 {
		return nil, bad
	}
	dst := make([]byte, 0, dlen)
	for i := n; i < len(src); {
		tag := src[i]
		var length, offset int
		switch tag & 3 {
		case 0:
			length = int(tag>>2) + 1
			i++
			if extra := length - 60; extra > 0 { // 1-4 more bytes hold length-1
				if i+extra > len(src) {
					return nil, bad
				}
				length = 0
				for k := extra - 1; k >= 0; k-- {
					length = length<<8 | int(src[i+k])
				}
				length++
				i += extra
			}
			if length > len(src)-i || uint64(len(dst)+length) > dlen {
				return nil, bad
			}
			dst = append(dst, src[i:i+length]...)
			i += length
			continue
		case 1:
			if i+2 > len(src) {
				return nil, bad
			}
			length = 4 + int(tag>>2&7)
			offset = int(tag&0xe0)<<3 | int(src[i+1])
			i += 2
		case 2:
			if i+3 > len(src) {
				return nil, bad
			}
			length = 1 + int(tag>>2)
			offset = int(binary.LittleEndian.Uint16(src[i+1:]))
			i += 3
		case 3:
			if i+5 > len(src) {
				return nil, bad
			}
			length = 1 + int(tag>>2)
			offset = int(binary.LittleEndian.Uint32(src[i+1:]))
			i += 5
		}
		if offset <= 0 || offset > len(dst) || uint64(len(dst)+length) > dlen {
			return nil, bad
		}
		for k := 0; k < length; k++ { // byte by byte: the copy may overlap itself
			dst = append(dst, dst[len(dst)-offset])
		}
	}
	if uint64(len(dst)) != dlen {
		return nil, bad
	}
	return dst, nil
}
