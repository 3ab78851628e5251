package savedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// ReadMetaGraph parses dir/saved_model.pb and returns the MetaGraphDef whose
// tag set equals tags (nil means ["serve"]), as TensorFlow's loader picks it.
func ReadMetaGraph(dir string, tags []string) (*pb.MetaGraphDef, error) {
	if len(tags) == 0 {
		tags = []string{TagServe}
	}
	path := filepath.Join(dir, "saved_model.pb")
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, terr := os.Stat(filepath.Join(dir, "saved_model.pbtxt")); terr == nil {
				return nil, fmt.Errorf("SavedModel %s: only binary saved_model.pb is supported, not saved_model.pbtxt", dir)
			}
			return nil, fmt.Errorf("SavedModel %s: no saved_model.pb: %w", dir, err)
		}
		return nil, fmt.Errorf("SavedModel %s: %w", dir, err)
	}
	sm := new(pb.SavedModel)
	if err := proto.Unmarshal(b, sm); err != nil {
		return nil, fmt.Errorf("%s: not a SavedModel proto: %w", path, err)
	}
	want := tagSet(tags)
	var have []string
	for _, mg := range sm.GetMetaGraphs() {
		got := tagSet(mg.GetMetaInfoDef().GetTags())
		if got == want {
			return mg, nil
		}
		have = append(have, "["+got+"]")
	}
	if len(have) == 0 {
		return nil, fmt.Errorf("%s holds no MetaGraphDef", path)
	}
	return nil, fmt.Errorf("%s has no MetaGraphDef tagged [%s]; it has %s", path, want, strings.Join(have, ", "))
}

// tagSet is a canonical form of a set of tags.
func tagSet(tags []string) string {
	m := map[string]bool{}
	for _, t := range tags {
		m[t] = true
	}
	u := make([]string, 0, len(m))
	for t := range m {
		u = append(u, t)
	}
	sort.Strings(u)
	return strings.Join(u, ",")
}
