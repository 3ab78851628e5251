package tfmodel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// The state file is a text-format CheckpointState proto. It is parsed and
// written here by hand, not with google.golang.org/protobuf's prototext,
// because no generated Go type for it exists to hand to prototext: the
// message is defined in tensorflow/python/training/checkpoint_state.proto,
// which the Go bindings (github.com/galeone/tensorflow/tensorflow/go, whose
// core/protobuf packages hold the tensorflow/core protos only) do not
// include, and the project does not vendor or generate protos of its own.
// The format needed is small: two string fields, one per line, with C
// escapes; other fields (timestamps) are skipped.

// CheckpointStateFile is the name of the state file TensorFlow keeps in a
// checkpoint directory.
const CheckpointStateFile = "checkpoint"

// CheckpointState is the content of a directory's "checkpoint" file, the text
// CheckpointState proto TensorFlow writes and tf.train.latest_checkpoint
// reads:
//
//	model_checkpoint_path: "ckpt-200"
//	all_model_checkpoint_paths: "ckpt-100"
//	all_model_checkpoint_paths: "ckpt-200"
type CheckpointState struct {
	// ModelCheckpointPath is the prefix of the latest checkpoint.
	ModelCheckpointPath string
	// AllModelCheckpointPaths lists the kept checkpoints, oldest first; the
	// latest is last.
	AllModelCheckpointPaths []string
}

// ReadCheckpointState parses dir/checkpoint. Relative paths are joined with
// dir, as TensorFlow does. A missing file gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func ReadCheckpointState(dir string) (CheckpointState, error) {
	path := filepath.Join(dir, CheckpointStateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return CheckpointState{}, fmt.Errorf("checkpoint state: %w", err)
	}
	var st CheckpointState
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, ok := strings.Cut(text, ":")
		if !ok {
			return CheckpointState{}, fmt.Errorf("checkpoint state %s:%d: want `field: value`, got %q", path, line, text)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "model_checkpoint_path", "all_model_checkpoint_paths":
			s, err := unquoteTextProto(val)
			if err != nil {
				return CheckpointState{}, fmt.Errorf("checkpoint state %s:%d: %s: %w", path, line, key, err)
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(dir, s)
			}
			if key == "model_checkpoint_path" {
				st.ModelCheckpointPath = s
			} else {
				st.AllModelCheckpointPaths = append(st.AllModelCheckpointPaths, s)
			}
		default:
			// Timestamps and fields of newer TensorFlow versions.
		}
	}
	if err := sc.Err(); err != nil {
		return CheckpointState{}, fmt.Errorf("checkpoint state %s: %w", path, err)
	}
	return st, nil
}

// WriteCheckpointState atomically replaces dir/checkpoint with st. Paths in
// dir are written relative to it so the directory can be moved. The latest
// checkpoint is appended to AllModelCheckpointPaths if it is not its last
// element, as TensorFlow requires.
func WriteCheckpointState(dir string, st CheckpointState) error {
	if st.ModelCheckpointPath == "" {
		return fmt.Errorf("checkpoint state %s: empty model checkpoint path", dir)
	}
	all := st.AllModelCheckpointPaths
	if len(all) == 0 || all[len(all)-1] != st.ModelCheckpointPath {
		all = append(removeString(all, st.ModelCheckpointPath), st.ModelCheckpointPath)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "model_checkpoint_path: %s\n", quoteTextProto(relativeTo(dir, st.ModelCheckpointPath)))
	for _, p := range all {
		fmt.Fprintf(&b, "all_model_checkpoint_paths: %s\n", quoteTextProto(relativeTo(dir, p)))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CheckpointStateFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, CheckpointStateFile), err)
	}
	return nil
}

// LatestCheckpoint returns the prefix of the latest checkpoint recorded in
// dir/checkpoint, or "" when dir has no state file or it names none. A state
// file naming a checkpoint whose .index is missing is an error.
func LatestCheckpoint(dir string) (string, error) {
	st, err := ReadCheckpointState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if st.ModelCheckpointPath == "" {
		return "", nil
	}
	if _, err := os.Stat(st.ModelCheckpointPath + ".index"); err != nil {
		return "", fmt.Errorf("%s names checkpoint %s: %w", filepath.Join(dir, CheckpointStateFile), st.ModelCheckpointPath, err)
	}
	return st.ModelCheckpointPath, nil
}

// RecordCheckpoint makes the checkpoint at prefix the latest one in the state
// file of its directory and, when keep > 0, deletes the oldest recorded
// checkpoints beyond the last keep. The state file is written before any
// checkpoint is deleted, so it never names a deleted checkpoint.
func RecordCheckpoint(prefix string, keep int) error {
	dir := filepath.Dir(prefix)
	st, err := ReadCheckpointState(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	all := append(removeString(st.AllModelCheckpointPaths, prefix), prefix)
	var drop []string
	if keep > 0 && len(all) > keep {
		drop, all = all[:len(all)-keep], all[len(all)-keep:]
	}
	if err := WriteCheckpointState(dir, CheckpointState{ModelCheckpointPath: prefix, AllModelCheckpointPaths: all}); err != nil {
		return err
	}
	for _, p := range drop {
		if err := RemoveCheckpoint(p); err != nil {
			return err
		}
	}
	return nil
}

// removeString returns a copy of list without the paths equal to p.
func removeString(list []string, p string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if filepath.Clean(s) != filepath.Clean(p) {
			out = append(out, s)
		}
	}
	return out
}

// relativeTo returns p relative to dir when p is directly inside dir.
func relativeTo(dir, p string) string {
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(p)
	if err1 == nil && err2 == nil && filepath.Dir(ap) == ad {
		return filepath.Base(ap)
	}
	return p
}

// quoteTextProto quotes s as protobuf text format does (C escapes).
func quoteTextProto(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// unquoteTextProto parses a protobuf text-format string literal.
func unquoteTextProto(v string) (string, error) {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return "", fmt.Errorf("want a quoted string, got %s", v)
	}
	q, body := v[0], v[1:len(v)-1]
	var out []byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == q {
			return "", fmt.Errorf("unescaped quote in %s", v)
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(body) {
			return "", fmt.Errorf("trailing backslash in %s", v)
		}
		switch e := body[i]; e {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'v':
			out = append(out, '\v')
		case '"', '\'', '\\', '?':
			out = append(out, e)
		case 'x':
			j := i + 1
			for j < len(body) && j < i+3 && strings.IndexByte("0123456789abcdefABCDEF", body[j]) >= 0 {
				j++
			}
			n, err := strconv.ParseUint(body[i+1:j], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad \\x escape in %s", v)
			}
			out = append(out, byte(n))
			i = j - 1
		default:
			j := i
			for j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7' {
				j++
			}
			n, err := strconv.ParseUint(body[i:j], 8, 8)
			if j == i || err != nil {
				return "", fmt.Errorf("bad escape \\%c in %s", e, v)
			}
			out = append(out, byte(n))
			i = j - 1
		}
	}
	return string(out), nil
}
