package tfmodel

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckpointStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "odd \"name\"\\ with\nnewline é")
	cases := []struct {
		name string
		in   CheckpointState
		file string // expected content of dir/checkpoint
		out  CheckpointState
	}{
		{
			name: "relative in dir",
			in:   CheckpointState{ModelCheckpointPath: filepath.Join(dir, "ckpt-2"), AllModelCheckpointPaths: []string{filepath.Join(dir, "ckpt-1"), filepath.Join(dir, "ckpt-2")}},
			file: "model_checkpoint_path: \"ckpt-2\"\nall_model_checkpoint_paths: \"ckpt-1\"\nall_model_checkpoint_paths: \"ckpt-2\"\n",
			out:  CheckpointState{ModelCheckpointPath: filepath.Join(dir, "ckpt-2"), AllModelCheckpointPaths: []string{filepath.Join(dir, "ckpt-1"), filepath.Join(dir, "ckpt-2")}},
		},
		{
			name: "latest appended",
			in:   CheckpointState{ModelCheckpointPath: filepath.Join(dir, "b"), AllModelCheckpointPaths: []string{filepath.Join(dir, "b"), filepath.Join(dir, "a")}},
			file: "model_checkpoint_path: \"b\"\nall_model_checkpoint_paths: \"a\"\nall_model_checkpoint_paths: \"b\"\n",
			out:  CheckpointState{ModelCheckpointPath: filepath.Join(dir, "b"), AllModelCheckpointPaths: []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}},
		},
		{
			name: "escaped absolute elsewhere",
			in:   CheckpointState{ModelCheckpointPath: elsewhere},
			file: "model_checkpoint_path: " + quoteTextProto(elsewhere) + "\nall_model_checkpoint_paths: " + quoteTextProto(elsewhere) + "\n",
			out:  CheckpointState{ModelCheckpointPath: elsewhere, AllModelCheckpointPaths: []string{elsewhere}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := WriteCheckpointState(dir, c.in); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, CheckpointStateFile))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.file {
				t.Errorf("file:\n%s\nwant:\n%s", b, c.file)
			}
			got, err := ReadCheckpointState(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.ModelCheckpointPath != c.out.ModelCheckpointPath || strings.Join(got.AllModelCheckpointPaths, "|") != strings.Join(c.out.AllModelCheckpointPaths, "|") {
				t.Errorf("read %+v, want %+v", got, c.out)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("dir holds %v, want only the state file", names)
			}
		})
	}
}

func TestUnquoteTextProto(t *testing.T) {
	cases := []struct {
		in, want string
		wantErr  bool
	}{
		{`"plain"`, "plain", false},
		{`'single'`, "single", false},
		{`"a\"b\\c\'d\n\t"`, "a\"b\\c'd\n\t", false},
		{`"\303\251\x41\0"`, "éA\x00", false},
		{`"unterminated`, "", true},
		{`"bad \q"`, "", true},
		{`"trailing \"`, "", true},
		{`"inner " quote"`, "", true},
		{`12`, "", true},
	}
	for _, c := range cases {
		got, err := unquoteTextProto(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("unquoteTextProto(%s) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestLatestCheckpoint(t *testing.T) {
	dir := t.TempDir()
	got, err := LatestCheckpoint(dir)
	if err != nil || got != "" {
		t.Fatalf("empty dir: %q, %v; want \"\", nil", got, err)
	}
	if _, err := ReadCheckpointState(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadCheckpointState of an empty dir: %v, want ErrNotExist", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CheckpointStateFile), []byte("model_checkpoint_path \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LatestCheckpoint(dir); err == nil || !strings.Contains(err.Error(), CheckpointStateFile+":1") {
		t.Fatalf("malformed state file: %v, want an error naming file and line", err)
	}
	if err := WriteCheckpointState(dir, CheckpointState{ModelCheckpointPath: filepath.Join(dir, "gone")}); err != nil {
		t.Fatal(err)
	}
	if _, err := LatestCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("state naming a missing checkpoint: %v, want an error naming it", err)
	}
}

func TestRecordCheckpointKeepsLastN(t *testing.T) {
	m := newCkptModel(t, testSpecs()[:2])
	dir := t.TempDir()
	var prefixes []string
	for i := 1; i <= 4; i++ {
		p := filepath.Join(dir, "ckpt-"+string(rune('0'+i)))
		prefixes = append(prefixes, p)
		if err := m.saver.Save(m.sess, p); err != nil {
			t.Fatal(err)
		}
		if err := RecordCheckpoint(p, 2); err != nil {
			t.Fatal(err)
		}
		latest, err := LatestCheckpoint(dir)
		if err != nil || latest != p {
			t.Fatalf("LatestCheckpoint = %q, %v; want %q", latest, err, p)
		}
	}
	st, err := ReadCheckpointState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(st.AllModelCheckpointPaths, ","), strings.Join(prefixes[2:], ","); got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	want := []string{"checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index", "ckpt-4.data-00000-of-00001", "ckpt-4.index"}
	if got := dirNames(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("dir holds %v, want %v", got, want)
	}
}
