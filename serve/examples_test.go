package serve

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestExamples checks GET /examples/ (the shipped example names, each with
// its mask), an example's PNGs, and that other names are 404.
func TestExamples(t *testing.T) {
	_, ts := newTestServer(t, &fakeModel{}, Config{Resolution: 64})
	get := func(path string) (int, string, []byte) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	code, _, body := get("/examples/")
	var names []string
	if err := json.Unmarshal(body, &names); err != nil || code != 200 {
		t.Fatalf("GET /examples/: %d %s (%v)", code, body, err)
	}
	if len(names) < 2 || names[0] != "sample_000" {
		t.Fatalf("examples %q: want sample_000 first and at least 2", names)
	}
	for _, p := range []string{"/examples/" + names[0] + ".png", "/examples/" + names[0] + "_mask.png"} {
		if code, ct, b := get(p); code != 200 || ct != "image/png" || len(b) < 8 || string(b[1:4]) != "PNG" {
			t.Errorf("GET %s: %d %s %d bytes", p, code, ct, len(b))
		}
	}
	for _, p := range []string{"/examples/nope.png", "/examples/README.md", "/examples/../go.mod"} {
		if code, _, b := get(p); code != 404 && code != 301 {
			t.Errorf("GET %s: %d %s; want 404", p, code, b)
		}
	}
}
