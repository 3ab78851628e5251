package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/cluster"
	"github.com/maskgit-go/maskgit/tfmodel/replicate"
	"github.com/maskgit-go/maskgit/train"
)

// replication turns --cluster/--task/--device into the run's replication
// and device: nil and the one device without --cluster and with a single
// --device. With --cluster it starts the chief's server (task 0) after
// checking that every other task answers, so an unreachable cluster fails
// here. TensorFlow cannot stop a started gRPC server in-process: it serves
// until the process exits.
func replication(spec string, task int, device string, threads int, timeout time.Duration, log io.Writer) (*train.Replication, string, error) {
	if spec == "" {
		if task >= 0 {
			return nil, "", badInput("--task needs --cluster")
		}
		if !strings.Contains(device, ",") {
			dev, err := tfmodel.ParseDevice(device)
			if err != nil {
				return nil, "", usageError{err}
			}
			return nil, dev, nil
		}
		devs, cpus, err := replicate.ParseDevices(device)
		if err != nil {
			return nil, "", badInput("--device: %v", err)
		}
		return &train.Replication{Devices: devs, CPUDevices: cpus}, devs[0], nil
	}
	sp, err := cluster.ParseSpec(spec)
	if err != nil {
		return nil, "", badInput("--cluster: %v", err)
	}
	if task != 0 {
		return nil, "", badInput("--task %d: training runs on the chief, task 0; start the other tasks with `maskgit worker --cluster %s --task N`", task, sp)
	}
	if timeout < 0 {
		return nil, "", badInput("--step-timeout %v must not be negative", timeout)
	}
	devs, err := replicate.ClusterDevices(sp, device)
	if err != nil {
		return nil, "", badInput("--device: %v", err)
	}
	if err := sp.CheckLocal(0); err != nil {
		return nil, "", badInput("--cluster: %v", err)
	}
	for i := 1; i < sp.Tasks(); i++ {
		if err := sp.Probe(i, 10*time.Second); err != nil {
			return nil, "", badInput("--cluster: %v; start `maskgit worker --cluster %s --task %d` there first", err, sp, i)
		}
	}
	conf, err := tfmodel.SessionOptions{Threads: threads}.ConfigProto()
	if err != nil {
		return nil, "", usageError{err}
	}
	srv, err := cluster.NewServer(sp, 0, conf)
	if err != nil {
		return nil, "", err
	}
	if err := srv.Start(); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(log, "chief: task 0 of %d serving %s; one replica on each of %s\n", sp.Tasks(), sp.Hosts[0], strings.Join(devs, ", "))
	return &train.Replication{Devices: devs, Target: srv.Target(), Cluster: &sp, Timeout: timeout}, "", nil
}
