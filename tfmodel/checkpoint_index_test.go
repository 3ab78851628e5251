package tfmodel

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	bundle "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

func TestSnappyDecode(t *testing.T) {
	long := strings.Repeat("0123456789", 7)
	cases := []struct {
		name    string
		in      []byte
		want    string
		wantErr bool
	}{
		// literal "abc", then copy 9 bytes from 3 back (1-byte offset, overlapping), then literal "X".
		{"copy1 overlapping", []byte{13, 0x08, 'a', 'b', 'c', 0x15, 3, 0x00, 'X'}, "abcabcabcabcX", false},
		{"copy2", []byte{12, 0x14, 'h', 'e', 'l', 'l', 'o', ' ', 0x12, 6, 0, 0x00, '!'}, "hello hello!", false},
		{"copy4", []byte{12, 0x14, 'h', 'e', 'l', 'l', 'o', ' ', 0x13, 6, 0, 0, 0, 0x00, '!'}, "hello hello!", false},
		{"long literal", append([]byte{70, 0xf0, 69}, long...), long, false},
		{"length mismatch", []byte{14, 0x08, 'a', 'b', 'c', 0x15, 3, 0x00, 'X'}, "", true},
		{"offset zero", []byte{8, 0x08, 'a', 'b', 'c', 0x15, 0}, "", true},
		{"offset too far", []byte{12, 0x08, 'a', 'b', 'c', 0x15, 4}, "", true},
		{"truncated literal", []byte{5, 0x10, 'a', 'b'}, "", true},
		{"output too long", []byte{2, 0x08, 'a', 'b', 'c'}, "", true},
		{"empty", []byte{}, "", true},
	}
	for _, c := range cases {
		got, err := snappyDecode(c.in)
		if (err != nil) != c.wantErr || string(got) != c.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", c.name, got, err, c.want, c.wantErr)
		}
	}
}

// tableBlock appends to file one block holding the sorted entries (no key
// sharing, one restart point), Snappy-compressed as literals when compress is
// set, with its trailer, and returns the file and the block's handle.
func tableBlock(file []byte, entries [][2]string, compress bool) ([]byte, []byte) {
	var blk []byte
	for _, e := range entries {
		blk = binary.AppendUvarint(blk, 0)
		blk = binary.AppendUvarint(blk, uint64(len(e[0])))
		blk = binary.AppendUvarint(blk, uint64(len(e[1])))
		blk = append(append(blk, e[0]...), e[1]...)
	}
	blk = binary.LittleEndian.AppendUint32(blk, 0) // restart at 0
	blk = binary.LittleEndian.AppendUint32(blk, 1) // one restart
	typ := byte(noCompression)
	if compress {
		typ = snappyCompressed
		c := binary.AppendUvarint(nil, uint64(len(blk)))
		for rest := blk; len(rest) > 0; {
			n := min(len(rest), 60)
			c = append(append(c, byte(n-1)<<2), rest[:n]...)
			rest = rest[n:]
		}
		blk = c
	}
	handle := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(len(file))), uint64(len(blk)))
	file = append(append(file, blk...), typ)
	crc := crc32.Checksum(append(append([]byte(nil), blk...), typ), crc32.MakeTable(crc32.Castagnoli))
	return binary.LittleEndian.AppendUint32(file, (crc>>15|crc<<17)+crcMaskDelta), handle
}

// TestListCheckpointSnappyIndex reads an index whose blocks are Snappy
// compressed, as older TensorFlow versions may write when merging shards.
func TestListCheckpointSnappyIndex(t *testing.T) {
	header, err := proto.Marshal(&bundle.BundleHeaderProto{NumShards: 1})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := proto.Marshal(&bundle.BundleEntryProto{
		Dtype: typespb.DataType_DT_DOUBLE,
		Shape: &shapepb.TensorShapeProto{Dim: []*shapepb.TensorShapeProto_Dim{{Size: 4}, {Size: 2}}},
		Size:  64,
	})
	if err != nil {
		t.Fatal(err)
	}
	file, data := tableBlock(nil, [][2]string{{"", string(header)}, {"layer/kernel", string(entry)}, {"scalar", string(entry[:2])}}, true)
	file, meta := tableBlock(file, nil, false)
	file, index := tableBlock(file, [][2]string{{"z", string(data)}}, true)
	footer := append(append([]byte(nil), meta...), index...)
	footer = append(footer, make([]byte, 40-len(footer))...)
	file = append(file, binary.LittleEndian.AppendUint64(footer, tableMagic)...)

	prefix := filepath.Join(t.TempDir(), "ckpt")
	if err := os.WriteFile(prefix+".index", file, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ListCheckpoint(prefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []CheckpointTensor{{"layer/kernel", tf.Double, []int64{4, 2}}, {"scalar", tf.Double, []int64{}}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].DType != want[i].DType || !sameShape(got[i].Shape, want[i].Shape) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
