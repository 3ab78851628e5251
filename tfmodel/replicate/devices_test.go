package replicate

import (
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/tfmodel/cluster"
)

func TestParseDevices(t *testing.T) {
	cases := []struct {
		in   string
		want string
		cpus int
		err  string
	}{
		{"cpu:0,cpu:1", "/device:CPU:0,/device:CPU:1", 2, ""},
		{"CPU, cpu:2", "/device:CPU:0,/device:CPU:2", 3, ""},
		{"gpu:0,gpu:1", "/device:GPU:0,/device:GPU:1", 0, ""},
		{"cpu:0,cpu", "", 0, "listed twice"},
		{"cpu:x", "", 0, "not a non-negative integer"},
		{"tpu:0", "", 0, "want cpu:N or gpu:N"},
		{"cpu:0,", "", 0, "want cpu:N or gpu:N"},
	}
	for _, c := range cases {
		devs, cpus, err := ParseDevices(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseDevices(%q) = %v, %v; want error %q", c.in, devs, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(devs, ",") != c.want || cpus != c.cpus {
			t.Errorf("ParseDevices(%q) = %v, %d, %v; want %s, %d", c.in, devs, cpus, err, c.want, c.cpus)
		}
	}
	sp, _ := cluster.ParseSpec("a:1,b:2")
	devs, err := ClusterDevices(sp, "gpu")
	if err != nil || strings.Join(devs, ",") != "/job:worker/task:0/device:GPU:0,/job:worker/task:1/device:GPU:0" {
		t.Errorf("ClusterDevices = %v, %v", devs, err)
	}
	if _, err := ClusterDevices(sp, "gpu:1"); err == nil {
		t.Error("ClusterDevices(gpu:1) succeeded")
	}
}
