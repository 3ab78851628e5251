package cluster

import (
	"strings"
	"testing"

	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"127.0.0.1:2222", []string{"127.0.0.1:2222"}, ""},
		{"a:1, b:2 ,[::1]:3", []string{"a:1", "b:2", "[::1]:3"}, ""},
		{"", nil, "empty"},
		{"a:1,", nil, "task 1"},
		{"a", nil, "not host:port"},
		{":2222", nil, "no host"},
		{"a:0", nil, "1..65535"},
		{"a:70000", nil, "1..65535"},
		{"a:x", nil, "1..65535"},
		{"a:01", nil, "1..65535"},
		{"a:1,b:2,a:1", nil, "tasks 0 and 2"},
	}
	for _, c := range cases {
		sp, err := ParseSpec(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseSpec(%q) = %v, %v; want error containing %q", c.in, sp, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(sp.Hosts, ",") != strings.Join(c.want, ",") {
			t.Errorf("ParseSpec(%q) = %v, %v; want %v", c.in, sp.Hosts, err, c.want)
		}
	}
}

func TestServerDef(t *testing.T) {
	sp, err := ParseSpec("h0:1,h1:2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.ServerDef(2, nil); err == nil || !strings.Contains(err.Error(), "task 2 is not in the cluster") {
		t.Errorf("ServerDef(2): %v", err)
	}
	b, err := sp.ServerDef(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var def pb.ServerDef
	if err := proto.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	if def.JobName != "worker" || def.TaskIndex != 1 || def.Protocol != "grpc" || len(def.Cluster.Job) != 1 ||
		def.Cluster.Job[0].Tasks[0] != "h0:1" || def.Cluster.Job[0].Tasks[1] != "h1:2" {
		t.Errorf("ServerDef = %v", &def)
	}
	if got := Device(3); got != "/job:worker/task:3" {
		t.Errorf("Device(3) = %q", got)
	}
}
