package train

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/cluster"
)

// Replication sets up synchronous data-parallel training with in-graph
// replication: one replica of the forward and backward pass per device,
// gradients summed on the chief (Devices[0]), one optimizer update there.
// The chief alone reads data and writes the run directory.
type Replication struct {
	// Devices are the replicas' devices: local ("/device:CPU:1") or the
	// tasks of Cluster ("/job:worker/task:1/device:CPU:0").
	Devices []string
	// CPUDevices is how many CPU devices a local session creates.
	CPUDevices int
	// Target is the chief's server ("grpc://host:port"), "" for local devices.
	Target string
	// Cluster is the cluster of Target, nil for local devices.
	Cluster *cluster.Spec
	// Timeout bounds every session call: a task that dies makes the step
	// fail after at most this long (0: no bound).
	Timeout time.Duration
}

// sessionOptions returns the options of the run's session; r may be nil.
func (r *Replication) sessionOptions(threads int) tfmodel.SessionOptions {
	o := tfmodel.SessionOptions{Threads: threads}
	if r != nil {
		o.CPUDevices, o.Target, o.OperationTimeout = r.CPUDevices, r.Target, r.Timeout
	}
	return o
}

// explain names the cluster tasks that no longer answer when err is the
// failure of a session call; r may be nil.
func (r *Replication) explain(err error) error {
	if r == nil || r.Cluster == nil || err == nil {
		return err
	}
	var down []string
	for i := 1; i < r.Cluster.Tasks(); i++ {
		if perr := r.Cluster.Probe(i, 2*time.Second); perr != nil {
			down = append(down, perr.Error())
		}
	}
	if len(down) == 0 {
		// Every port accepts connections (a stopped process's kernel still
		// does): ask each task to run an op.
		for i := 1; i < r.Cluster.Tasks(); i++ {
			if perr := r.answers(i, 5*time.Second); perr != nil {
				down = append(down, fmt.Sprintf("task %d (%s) does not answer: %v", i, r.Cluster.Hosts[i], perr))
			}
		}
	}
	if len(down) == 0 {
		return fmt.Errorf("cluster %s: %w", r.Cluster, err)
	}
	return fmt.Errorf("cluster %s: %s (restart the worker, then continue with --resume): %w",
		r.Cluster, strings.Join(down, "; "), err)
}

// answers runs one op on task task through the chief's server and returns
// an error when it fails or takes longer than d.
func (r *Replication) answers(task int, d time.Duration) error {
	s := op.NewScope()
	c := op.Const(s.WithDevice(cluster.Device(task)+"/device:CPU:0"), int32(task))
	g, err := s.Finalize()
	if err != nil {
		return err
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: 1, Target: r.Target, OperationTimeout: d})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		_, err := sess.Run(nil, []tf.Output{c}, nil)
		done <- err
		sess.Close()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d + time.Second):
		return fmt.Errorf("no answer within %v", d)
	}
}

// checkDevices checks the local replica devices in sess.
func (r *Replication) checkDevices(sess *tfmodel.Session) error {
	if r == nil || r.Cluster != nil {
		return nil
	}
	for _, d := range r.Devices {
		if err := sess.CheckDevice(d); err != nil {
			return err
		}
	}
	return nil
}

// ErrReplicaBatch is returned when the batch is smaller than the replicas.
var ErrReplicaBatch = errors.New("the batch has fewer images than there are replicas")

// checkBatch returns ErrReplicaBatch when a training batch of batch images
// cannot give every replica at least one; r may be nil.
func (r *Replication) checkBatch(batch int) error {
	if r != nil && batch < len(r.Devices) {
		return fmt.Errorf("batch %d, %d replicas: %w", batch, len(r.Devices), ErrReplicaBatch)
	}
	return nil
}

// closeTimeout bounds closing a cluster session: TensorFlow's master keeps
// trying to clean up the graphs of a task that died.
const closeTimeout = 10 * time.Second

// closeSession closes sess; on a cluster it gives up after closeTimeout
// (the session's resources stay with the process, which is ending) and
// says so. r may be nil.
func (r *Replication) closeSession(sess *tfmodel.Session) error {
	if r == nil || r.Cluster == nil {
		return sess.Close()
	}
	done := make(chan error, 1)
	go func() { done <- sess.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("cluster %s: closing the session: no answer after %v", r.Cluster, closeTimeout)
	}
}
