package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an HTTP error answered as JSON {"error": Msg, "code": Code}.
type Error struct {
	Status int    // HTTP status
	Code   string // short machine-readable code, e.g. "bad_image"
	Msg    string
	// RetryAfter, when positive, is sent as the Retry-After header (seconds).
	RetryAfter int
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

// errorf returns an *Error with a formatted message.
func errorf(status int, code, format string, args ...interface{}) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// errQueueFull, errClosed and errTimeout are the errors that are not the
// client's fault.
func errQueueFull() *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "queue_full", Msg: "too many requests queued; retry shortly", RetryAfter: 1}
}

func errClosed() *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "shutting_down", Msg: "the server is shutting down"}
}

func errTimeout() *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Msg: "the request timed out before its result was ready", RetryAfter: 1}
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError answers err as JSON; errors that are not an *Error are
// internal (500) and their text is not sent.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Msg: "internal error"}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, errorBody{Error: e.Msg, Code: e.Code})
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}
