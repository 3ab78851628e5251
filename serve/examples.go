package serve

import (
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/maskgit-go/maskgit/examples"
)

// exampleNames lists the shipped examples that have both an image and a
// mask (name.png and name_mask.png in examples.FS), in name order.
func exampleNames() []string {
	files, _ := fs.Glob(examples.FS, "*_mask.png")
	var names []string
	for _, m := range files {
		name := strings.TrimSuffix(m, "_mask.png")
		if _, err := fs.Stat(examples.FS, name+".png"); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// handleExamples answers GET /examples/ with the JSON list of example names
// and GET /examples/NAME.png, /examples/NAME_mask.png with the PNGs.
func (s *Server) handleExamples(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, methodNotAllowed(w, "GET"))
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/examples/")
	if name == "" {
		writeJSON(w, http.StatusOK, exampleNames())
		return
	}
	data, err := fs.ReadFile(examples.FS, name)
	if err != nil || path.Ext(name) != ".png" || strings.Contains(name, "/") {
		writeError(w, errorf(http.StatusNotFound, "not_found", "no example %q (GET /examples/ lists them)", truncate(name, 80)))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(data)
}
