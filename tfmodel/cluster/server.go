package cluster

// #cgo LDFLAGS: -ltensorflow
// #include <stdlib.h>
// #include "tensorflow/c/c_api.h"
import "C"

import (
	"errors"
	"fmt"
	"sync"
)

// Server is an in-process TensorFlow gRPC server for one task of a Spec.
// Close is safe to call more than once.
type Server struct {
	mu      sync.Mutex
	c       *C.TF_Server
	target  string
	task    int
	spec    Spec
	started bool // started and not stopped: TF_DeleteServer would abort
}

// ErrServerClosed is returned by the methods of a closed Server.
var ErrServerClosed = errors.New("cluster: server is closed")

func statusErr(st *C.TF_Status) error {
	if C.TF_GetCode(st) == C.TF_OK {
		return nil
	}
	return errors.New(C.GoString(C.TF_Message(st)))
}

// NewServer creates (but does not start) the server of task task: it binds
// the port of spec.Hosts[task]. config is the serialized ConfigProto used
// as the default for sessions run on it (nil for TensorFlow's defaults).
func NewServer(spec Spec, task int, config []byte) (*Server, error) {
	def, err := spec.ServerDef(task, config)
	if err != nil {
		return nil, err
	}
	st := C.TF_NewStatus()
	defer C.TF_DeleteStatus(st)
	p := C.CBytes(def)
	defer C.free(p)
	c := C.TF_NewServer(p, C.size_t(len(def)), st)
	if err := statusErr(st); err != nil {
		return nil, fmt.Errorf("cluster: task %d (%s): %w", task, spec.Hosts[task], err)
	}
	return &Server{c: c, target: C.GoString(C.TF_ServerTarget(c)), task: task, spec: spec}, nil
}

// Target is the session target of the server, "grpc://host:port".
func (s *Server) Target() string { return s.target }

// Start starts serving.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return ErrServerClosed
	}
	st := C.TF_NewStatus()
	defer C.TF_DeleteStatus(st)
	C.TF_ServerStart(s.c, st)
	if err := statusErr(st); err != nil {
		return fmt.Errorf("cluster: starting task %d (%s): %w", s.task, s.spec.Hosts[s.task], err)
	}
	s.started = true
	return nil
}

// Join blocks until the server stops.
func (s *Server) Join() error {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil {
		return ErrServerClosed
	}
	st := C.TF_NewStatus()
	defer C.TF_DeleteStatus(st)
	C.TF_ServerJoin(c, st)
	return statusErr(st)
}

// Stop asks the server to stop. TensorFlow's gRPC server cannot stop once
// started (it reports Unimplemented); then the server keeps serving until
// the process exits, and Stop returns ErrNoCleanShutdown.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return ErrServerClosed
	}
	st := C.TF_NewStatus()
	defer C.TF_DeleteStatus(st)
	C.TF_ServerStop(s.c, st)
	if C.TF_GetCode(st) == C.TF_UNIMPLEMENTED {
		return ErrNoCleanShutdown
	}
	if err := statusErr(st); err != nil {
		return err
	}
	s.started = false
	return nil
}

// ErrNoCleanShutdown says that TensorFlow cannot stop a started gRPC
// server in-process: the port is released when the process exits.
var ErrNoCleanShutdown = errors.New("cluster: TensorFlow's gRPC server cannot stop in-process; it stops with the process")

// Close frees the server if it was never started or stopped cleanly. A
// started server cannot be freed (TensorFlow aborts the process when it
// deletes a running gRPC server), so Close leaves it to the process exit.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	if !s.started {
		C.TF_DeleteServer(s.c)
	}
	s.c = nil
	return nil
}
