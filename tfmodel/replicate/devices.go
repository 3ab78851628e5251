package replicate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maskgit-go/maskgit/tfmodel/cluster"
)

// ParseDevices parses a comma-separated list of local devices, "cpu:0,cpu:1"
// or "gpu:0,gpu:1" (case ignored; "cpu" and "gpu" mean index 0), into
// TensorFlow device names. A single device is allowed; a device listed twice
// is an error. CPUs returns how many CPU devices the session must create.
func ParseDevices(spec string) (devs []string, cpus int, err error) {
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		kind, idx, hasIdx := strings.Cut(p, ":")
		n := 0
		if hasIdx {
			v, err := strconv.Atoi(idx)
			if err != nil || v < 0 || strconv.Itoa(v) != idx {
				return nil, 0, fmt.Errorf("device %q: index %q is not a non-negative integer", part, idx)
			}
			n = v
		}
		var name string
		switch kind {
		case "cpu":
			name = fmt.Sprintf("/device:CPU:%d", n)
			if n+1 > cpus {
				cpus = n + 1
			}
		case "gpu":
			name = fmt.Sprintf("/device:GPU:%d", n)
		default:
			return nil, 0, fmt.Errorf("device %q: want cpu:N or gpu:N", part)
		}
		if seen[name] {
			return nil, 0, fmt.Errorf("devices %q: %s listed twice", spec, part)
		}
		seen[name] = true
		devs = append(devs, name)
	}
	return devs, cpus, nil
}

// ClusterDevices returns the replica devices of a cluster: one per task,
// "/job:worker/task:i/device:CPU:0" (kind "cpu") or
// "/job:worker/task:i/device:GPU:0" (kind "gpu"). Task 0, the chief, holds
// the variables and runs replica 0.
func ClusterDevices(spec cluster.Spec, kind string) ([]string, error) {
	var d string
	switch strings.ToLower(kind) {
	case "", "cpu", "cpu:0":
		d = "CPU"
	case "gpu", "gpu:0":
		d = "GPU"
	default:
		return nil, fmt.Errorf("device %q: with --cluster each task runs one replica on cpu or gpu", kind)
	}
	devs := make([]string, spec.Tasks())
	for i := range devs {
		devs[i] = fmt.Sprintf("%s/device:%s:0", cluster.Device(i), d)
	}
	return devs, nil
}
