package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// Job is the name of the one job of a cluster: its tasks are
// /job:worker/task:0 (the chief), /job:worker/task:1, …
const Job = "worker"

// Spec is a cluster: Hosts[i] is the host:port of task i of job worker.
type Spec struct {
	Hosts []string
}

// ParseSpec parses "host0:port0,host1:port1,…". Every entry needs a host
// and a port in 1..65535; an entry may not appear twice.
func ParseSpec(s string) (Spec, error) {
	if strings.TrimSpace(s) == "" {
		return Spec{}, fmt.Errorf("cluster spec is empty; want host0:port0,host1:port1,…")
	}
	parts := strings.Split(s, ",")
	seen := map[string]int{}
	sp := Spec{Hosts: make([]string, len(parts))}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		host, port, err := net.SplitHostPort(p)
		if err != nil {
			return Spec{}, fmt.Errorf("cluster spec %q: task %d: %q is not host:port (%v)", s, i, p, err)
		}
		if host == "" {
			return Spec{}, fmt.Errorf("cluster spec %q: task %d: %q has no host (give the address to bind, e.g. 10.0.0.1%s)", s, i, p, p)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return Spec{}, fmt.Errorf("cluster spec %q: task %d: port %q is not in 1..65535", s, i, port)
		}
		if j, dup := seen[p]; dup {
			return Spec{}, fmt.Errorf("cluster spec %q: tasks %d and %d are both %s", s, j, i, p)
		}
		seen[p] = i
		sp.Hosts[i] = p
	}
	return sp, nil
}

// String returns the spec in the form ParseSpec reads.
func (s Spec) String() string { return strings.Join(s.Hosts, ",") }

// Tasks is the number of tasks.
func (s Spec) Tasks() int { return len(s.Hosts) }

// Device is the device prefix of task i, "/job:worker/task:i".
func Device(task int) string { return fmt.Sprintf("/job:%s/task:%d", Job, task) }

// CheckTask returns an error unless task is one of the spec's.
func (s Spec) CheckTask(task int) error {
	if task < 0 || task >= len(s.Hosts) {
		return fmt.Errorf("task %d is not in the cluster (tasks 0..%d of %s)", task, len(s.Hosts)-1, s)
	}
	return nil
}

// ClusterDef returns the tensorflow.ClusterDef of the spec.
func (s Spec) ClusterDef() *pb.ClusterDef {
	tasks := make(map[int32]string, len(s.Hosts))
	for i, h := range s.Hosts {
		tasks[int32(i)] = h
	}
	return &pb.ClusterDef{Job: []*pb.JobDef{{Name: Job, Tasks: tasks}}}
}

// ServerDef returns the serialized tensorflow.ServerDef of task task over
// gRPC, with config (a serialized ConfigProto, may be nil) as the default
// session configuration.
func (s Spec) ServerDef(task int, config []byte) ([]byte, error) {
	if err := s.CheckTask(task); err != nil {
		return nil, err
	}
	def := &pb.ServerDef{Cluster: s.ClusterDef(), JobName: Job, TaskIndex: int32(task), Protocol: "grpc"}
	if len(config) > 0 {
		c := &pb.ConfigProto{}
		if err := proto.Unmarshal(config, c); err != nil {
			return nil, fmt.Errorf("server config: %w", err)
		}
		def.DefaultSessionConfig = c
	}
	return proto.Marshal(def)
}

// CheckLocal checks that the address of task task can be bound on this
// machine (its host is one of this machine's addresses and its port is
// free), so that a wrong spec fails at start-up with the task named.
// TensorFlow's gRPC server itself listens on the port on every interface.
func (s Spec) CheckLocal(task int) error {
	if err := s.CheckTask(task); err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.Hosts[task])
	if err != nil {
		return fmt.Errorf("task %d: cannot listen on %s (is it this machine's address, and is the port free?): %w", task, s.Hosts[task], err)
	}
	return l.Close()
}

// Probe checks that task task accepts TCP connections within timeout, so
// that an unreachable cluster is an error at start-up, not a hang, and a
// failed step can name the task that went away.
func (s Spec) Probe(task int, timeout time.Duration) error {
	if err := s.CheckTask(task); err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", s.Hosts[task], timeout)
	if err != nil {
		return fmt.Errorf("task %d (%s) is unreachable: %w", task, s.Hosts[task], err)
	}
	return c.Close()
}
