package serve

import (
	_ "embed" // the web page
	"net/http"
)

// page is the single-page client served at "/".
//
//go:embed web/index.html
var page []byte

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, errorf(http.StatusNotFound, "not_found", "no such path %q (see / , /healthz, POST /v1/inpaint)", truncate(r.URL.Path, 80)))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, methodNotAllowed(w, "GET"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(page)
}
