package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// runSession is what both training loops set up around their graph: a
// session that is initialised or restored from the run's latest
// checkpoint, the checkpointer, the trainer state with its random stream,
// and the TensorBoard writer.
type runSession struct {
	sess    *tfmodel.Session
	ck      *Checkpointer
	st      State
	pcg     *rand.PCG
	rng     *rand.Rand
	events  *tfmodel.EventWriter
	started time.Time
	base    float64 // training seconds of earlier sittings
	// resumed is set when a checkpoint was restored; false for a new run
	// and for --resume of a run that had no checkpoint yet.
	resumed bool
	// replicas is the run's replication (nil: one device).
	replicas *Replication
}

// openRunSession creates the session for graph g and either runs init (a
// new run, or --resume of a run that has no checkpoint yet) or restores the
// latest checkpoint and trainer state (--resume), after removing what an
// interrupted run left behind (see Checkpointer.Clean). bf16 turns on
// oneDNN's bfloat16 auto mixed precision (tfmodel.SessionOptions.BFloat16).
func openRunSession(run RunDir, g *tf.Graph, init *tf.Operation, saver *tfmodel.Saver, seed uint64, bf16 bool, opt RunOptions) (*runSession, error) {
	so := opt.Replicas.sessionOptions(opt.Threads)
	so.BFloat16 = bf16
	sess, err := tfmodel.NewSession(g, so)
	if err != nil {
		return nil, opt.Replicas.explain(err)
	}
	r := &runSession{replicas: opt.Replicas, sess: sess, ck: &Checkpointer{Dir: run, Saver: saver, Keep: 3, Log: opt.Log}, st: State{BestStep: -1}, pcg: NewRNG(seed)}
	r.rng = rand.New(r.pcg)
	fail := func(err error) (*runSession, error) {
		sess.Close()
		return nil, err
	}
	if err := sess.CheckDevice(opt.Device); err != nil {
		return fail(err)
	}
	if err := opt.Replicas.checkDevices(sess); err != nil {
		return fail(err)
	}
	if opt.Resume {
		if err := r.ck.Clean(); err != nil {
			return fail(err)
		}
		st, ok, err := r.ck.RestoreLatest(sess)
		if err != nil {
			return fail(inputErr(err))
		}
		if r.resumed = ok; ok {
			r.st = st
			if err := r.st.RestoreRNG(r.pcg); err != nil {
				return fail(err)
			}
			fmt.Fprintf(opt.Log, "resumed %s at step %d (%s)\n", run, r.st.Step, r.st.Data)
		} else {
			// Killed before its first checkpoint: start again from step 0,
			// exactly as the fresh run did.
			fmt.Fprintf(opt.Log, "%s has no checkpoint yet: starting from step 0\n", run)
		}
	}
	if !r.resumed {
		if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
			return fail(opt.Replicas.explain(err))
		}
	}
	if r.events, err = tfmodel.NewEventWriter(run.Events()); err != nil {
		return fail(err)
	}
	r.started, r.base = time.Now(), r.st.Seconds
	return r, nil
}

// snapshot records the data position, wall time and random stream in the state.
func (r *runSession) snapshot(data dataset.State) error {
	r.st.Data = data
	r.st.Seconds = r.base + time.Since(r.started).Seconds()
	return r.st.SetRNG(r.pcg)
}

// save writes a step checkpoint with the state at data position data.
func (r *runSession) save(data dataset.State) error {
	if err := r.snapshot(data); err != nil {
		return err
	}
	return r.ck.Save(r.sess, r.st)
}

// offerBest records val as the best validation loss (and saves the best
// checkpoint) when it beats the previous best.
func (r *runSession) offerBest(val float64, data dataset.State) (bool, error) {
	if r.st.BestStep >= 0 && val >= r.st.BestVal {
		return false, nil
	}
	r.st.BestVal, r.st.BestStep = val, r.st.Step
	if err := r.snapshot(data); err != nil {
		return false, err
	}
	return true, r.ck.SaveBest(r.sess, r.st)
}

// scalars writes several TensorBoard scalars at the current step.
func (r *runSession) scalars(prefix string, m map[string]float64) error {
	for _, k := range sortedKeys(m) {
		if err := r.events.Scalar(r.st.Step, prefix+k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// close flushes the events and closes the session.
func (r *runSession) close() error {
	err := r.events.Close()
	if cerr := r.replicas.closeSession(r.sess); err == nil {
		err = cerr
	}
	return err
}

// stopBefore reports whether the loop must end before the next step: ctx
// was cancelled (the error is ctx's) or opt.StopAt was reached. Either way
// a checkpoint is saved first, so --resume continues from here.
func (r *runSession) stopBefore(ctx context.Context, opt RunOptions, save func() error) (bool, error) {
	if ctx.Err() == nil && (opt.StopAt <= 0 || r.st.Step < opt.StopAt) {
		return false, nil
	}
	if err := save(); err != nil {
		return true, err
	}
	if err := ctx.Err(); err != nil {
		return true, err
	}
	fmt.Fprintf(opt.Log, "stopped at step %d; continue with --resume\n", r.st.Step)
	return true, nil
}

// afterStep validates and checkpoints when the step just taken is due.
func (r *runSession) afterStep(opt RunOptions, validate, save func() error) error {
	if opt.ValEvery > 0 && r.st.Step%opt.ValEvery == 0 {
		if err := validate(); err != nil {
			return err
		}
	}
	if opt.CkptEvery > 0 && r.st.Step%opt.CkptEvery == 0 {
		return save()
	}
	return nil
}

// finish validates (unless the last step just did) and saves the final checkpoint.
func (r *runSession) finish(opt RunOptions, validate, save func() error) error {
	if opt.ValEvery <= 0 || r.st.Step%opt.ValEvery != 0 {
		if err := validate(); err != nil {
			return err
		}
	}
	return save()
}

// checkDevice checks that opt.Device (if any) and the replicas' local
// devices exist before a run creates anything, with a session on an empty
// graph sized like the run's. That session is also the one that sizes
// TensorFlow's process-wide thread pools to opt.Threads when no session
// has yet (see tfmodel.SetThreads): it comes before the image decoder's
// (fid/imageio), which asks for one thread per core, so --threads holds
// for a run on the default device too. The pools' size changes how
// TensorFlow's kernels split their float sums, hence a run's numbers.
func checkDevice(opt RunOptions) error {
	if opt.Replicas != nil && opt.Replicas.Cluster != nil {
		return nil
	}
	sess, err := tfmodel.NewSession(tf.NewGraph(), opt.Replicas.sessionOptions(opt.Threads))
	if err != nil {
		return err
	}
	defer sess.Close()
	if opt.Device != "" {
		if err := sess.CheckDevice(opt.Device); err != nil {
			return err
		}
	}
	return opt.Replicas.checkDevices(sess)
}
