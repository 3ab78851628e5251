package train

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// faultRun is a run on a cluster of the chief and one worker process in
// which the worker fails at a given step (see startFaultRun).
type faultRun struct {
	rep    *Replication
	worker *tfWorker
	opt    RunOptions
	// at is when the fault happened (zero until then).
	at time.Time
}

// startFaultRun starts a 2-task cluster with step timeout timeout and
// returns it with the options of a run in dir/run (logs and checkpoints
// every 5 steps, validation every 100) whose step hook calls fault on the
// worker when step step is done.
func startFaultRun(t *testing.T, dir string, log *bytes.Buffer, timeout time.Duration, step int64, fault func(*tfWorker)) *faultRun {
	t.Helper()
	rep, ws := startCluster(t, 2, timeout)
	fr := &faultRun{rep: rep, worker: ws[0]}
	fr.opt = RunOptions{Out: filepath.Join(dir, "run"), LogEvery: 5, ValEvery: 100, CkptEvery: 5, Threads: 1, Log: log, Replicas: rep,
		StepHook: func(s int64, _ float64) {
			if s == step {
				fault(fr.worker)
				fr.at = time.Now()
			}
		}}
	return fr
}

// workerDiesSteps is how many steps the config of a testWorkerDies run must
// train: the worker dies at step 12, after the checkpoint of step 10, and
// the resumed run ends at this step.
const workerDiesSteps = 30

// trainFunc trains one run with opt (TrainTransformer or TrainTokenizer on
// the test's config) and returns its result, for messages, and the step it
// ended at.
type trainFunc func(opt RunOptions) (res any, step int64, err error)

// testWorkerDies checks that a worker killed mid-run stops the chief within
// the step timeout with an error naming the task, that the last checkpoint
// stays valid, and that after the worker restarts --resume finishes the
// run. train runs workerDiesSteps steps and logs to log.
func testWorkerDies(t *testing.T, dir string, log *bytes.Buffer, train trainFunc) {
	t.Helper()
	const timeout = 20 * time.Second
	fr := startFaultRun(t, dir, log, timeout, 12, (*tfWorker).kill)
	res, _, err := train(fr.opt)
	if err == nil {
		t.Fatalf("the run finished (%+v) although task 1 died", res)
	}
	took := time.Since(fr.at)
	t.Logf("error %v after %v", err, took)
	if !strings.Contains(err.Error(), "task 1 ("+fr.rep.Cluster.Hosts[1]+") is unreachable") {
		t.Errorf("error does not name task 1: %v", err)
	}
	if took > timeout+15*time.Second {
		t.Errorf("the chief stopped %v after the worker died (step timeout %v)", took, timeout)
	}
	prefix, err := tfmodel.LatestCheckpoint(RunDir(fr.opt.Out).CkptDir())
	if err != nil || !strings.HasSuffix(prefix, "step-00000010") {
		t.Fatalf("latest checkpoint %q, %v; want step 10", prefix, err)
	}
	if _, err := tfmodel.ListCheckpoint(prefix); err != nil {
		t.Fatalf("checkpoint %s unreadable: %v", prefix, err)
	}
	// The worker comes back on its address; --resume continues from step 10.
	startTFWorker(t, fr.rep.Cluster.String(), 1)
	fr.opt.Resume, fr.opt.StepHook = true, nil
	_, step, err := train(fr.opt)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, log.String())
	}
	if step != workerDiesSteps || !strings.Contains(log.String(), "at step 10") {
		t.Errorf("resumed run ended at step %d:\n%s", step, log.String())
	}
}
