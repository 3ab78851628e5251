package train

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// ckptTestModel is a one-variable graph whose value can be set to k
// everywhere, for checkpointer tests.
type ckptTestModel struct {
	g     *tf.Graph
	sess  *tfmodel.Session
	saver *tfmodel.Saver
	v     *tfmodel.Variable
	in    tf.Output
	set   *tf.Operation
	init  *tf.Operation
}

const ckptTestSize = 1 << 18 // floats: 1 MiB of data per checkpoint

func newCkptTestModel(t testing.TB) *ckptTestModel {
	t.Helper()
	s := op.NewScope()
	st := tfmodel.NewStore(1, tf.Float)
	m := &ckptTestModel{}
	m.v = st.Variable(s, "w", []int64{ckptTestSize}, tfmodel.Zeros())
	m.in = op.Placeholder(s.SubScope("in"), tf.Float)
	m.set = op.AssignVariableOp(s.SubScope("set"), m.v.Handle, m.in)
	m.saver = tfmodel.NewSaver(s, []*tfmodel.Variable{m.v})
	m.init = st.InitOp(s.SubScope("init"))
	var err error
	if m.g, err = s.Finalize(); err != nil {
		t.Fatal(err)
	}
	if m.sess, err = tfmodel.NewSession(m.g, tfmodel.SessionOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.sess.Close() })
	if _, err := m.sess.Run(nil, nil, []*tf.Operation{m.init}); err != nil {
		t.Fatal(err)
	}
	return m
}

// setAll sets every element of the variable to k.
func (m *ckptTestModel) setAll(t testing.TB, k float32) {
	t.Helper()
	x := make([]float32, ckptTestSize)
	for i := range x {
		x[i] = k
	}
	tt, err := tf.NewTensor(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.sess.Run(map[tf.Output]*tf.Tensor{m.in: tt}, nil, []*tf.Operation{m.set}); err != nil {
		t.Fatal(err)
	}
}

// value returns the variable's elements if they are all equal, else an error.
func (m *ckptTestModel) value(t testing.TB) (float32, error) {
	t.Helper()
	return m.valueIn(t, m.sess)
}

// valueIn is value read in another session of the model's graph.
func (m *ckptTestModel) valueIn(t testing.TB, sess *tfmodel.Session) (float32, error) {
	t.Helper()
	out, err := sess.Run(nil, []tf.Output{m.v.Value}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := out[0].Value().([]float32)
	for _, e := range x {
		if e != x[0] {
			return 0, fmt.Errorf("mixed values %v and %v", x[0], e)
		}
	}
	return x[0], nil
}

// TestBestSurvivesKill kills a process that keeps saving step checkpoints
// and replacing the best checkpoint at random moments, then checks that
// best/model still loads and holds the values of the step its trainer state
// names, and that the run resumes from a consistent step checkpoint. Before best/ was
// replaced as one directory, a kill between the renames of the data file
// and the index left new data under the old index (every tensor failed its
// checksum), or a checkpoint whose state named another step.
func TestBestSurvivesKill(t *testing.T) {
	if dir := os.Getenv("MASKGIT_TEST_BEST_CHILD"); dir != "" {
		bestSaverChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 0))
	m := newCkptTestModel(t)
	for round := 0; round < 8; round++ {
		run := RunDir(t.TempDir())
		cmd := exec.Command(exe, "-test.run=^TestBestSurvivesKill$")
		cmd.Env = append(os.Environ(), "MASKGIT_TEST_BEST_CHILD="+string(run))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		saves := 0
		for saves < 2 && sc.Scan() {
			if _, err := strconv.Atoi(sc.Text()); err == nil {
				saves++
			}
		}
		time.Sleep(time.Duration(rng.IntN(20000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if saves < 2 {
			t.Fatalf("round %d: the child saved %d times before it ended", round, saves)
		}
		st, err := ReadState(StatePath(run.BestPrefix()))
		if err != nil {
			t.Fatalf("round %d: best state: %v", round, err)
		}
		if err := m.saver.Restore(m.sess, run.BestPrefix()); err != nil {
			t.Fatalf("round %d: the best checkpoint does not load after a kill: %v", round, err)
		}
		v, err := m.value(t)
		if err != nil || v != float32(st.Step) {
			t.Fatalf("round %d: best holds %v (%v), its state says step %d", round, v, err, st.Step)
		}
		// The step checkpoints resume just as well.
		c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 3}
		if err := c.Clean(); err != nil {
			t.Fatal(err)
		}
		st, found, err := c.RestoreLatest(m.sess)
		if err != nil || !found {
			t.Fatalf("round %d: resume after a kill: %v (found %v)", round, err, found)
		}
		if v, err := m.value(t); err != nil || v != float32(st.Step) {
			t.Fatalf("round %d: the latest checkpoint holds %v (%v), its state says step %d", round, v, err, st.Step)
		}
	}
}

// bestSaverChild saves a step checkpoint and replaces the best checkpoint
// of run forever, printing each step saved.
func bestSaverChild(t *testing.T, run string) {
	m := newCkptTestModel(t)
	d := RunDir(run)
	if err := d.Init(cfg{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	c := &Checkpointer{Dir: d, Saver: m.saver, Keep: 3}
	for step := int64(1); ; step++ {
		m.setAll(t, float32(step))
		if err := c.Save(m.sess, State{Step: step, BestStep: step}); err != nil {
			t.Fatal(err)
		}
		if err := c.SaveBest(m.sess, State{Step: step, BestStep: step}); err != nil {
			t.Fatal(err)
		}
		fmt.Println(step)
	}
}

// saveSteps saves step checkpoints with the variable set to each step.
func saveSteps(t *testing.T, m *ckptTestModel, c *Checkpointer, steps ...int64) {
	t.Helper()
	for _, s := range steps {
		m.setAll(t, float32(s))
		if err := c.Save(m.sess, State{Step: s, BestStep: -1, Seconds: float64(s)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeWithoutCheckpointStartsAtZero: a run killed after its directory
// was set up but before its first checkpoint resumes from step 0 (it used to
// fail with "checkpoint  has no trainer state: open .json").
func TestResumeWithoutCheckpointStartsAtZero(t *testing.T) {
	m := newCkptTestModel(t)
	m.setAll(t, 5)
	run := RunDir(filepath.Join(t.TempDir(), "run"))
	if err := run.Init(cfg{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	rs, err := openRunSession(run, m.g, m.init, m.saver, 1, false, RunOptions{Resume: true, Log: &log})
	if err != nil {
		t.Fatalf("resume without a checkpoint: %v", err)
	}
	defer rs.close()
	if rs.st.Step != 0 || rs.st.BestStep != -1 {
		t.Errorf("state %+v, want step 0 and no best", rs.st)
	}
	if v, err := m.valueIn(t, rs.sess); err != nil || v != 0 {
		t.Errorf("variables not initialised: %v, %v", v, err)
	}
	if !strings.Contains(log.String(), "no checkpoint yet: starting from step 0") {
		t.Errorf("log: %q", log.String())
	}
	// The random stream is the fresh run's.
	if got, want := rs.rng.Uint64(), rand.New(NewRNG(1)).Uint64(); got != want {
		t.Errorf("random stream %d, want the fresh run's %d", got, want)
	}
}

// TestRestoreLatestFallsBack: when the newest checkpoint cannot be restored,
// the previous one is, the log says so, the state file is rewritten to name
// it and the unreadable one is removed; with none restorable, nothing is.
func TestRestoreLatestFallsBack(t *testing.T) {
	damages := map[string]func(prefix string) error{
		"data corrupt": func(p string) error {
			f, err := os.OpenFile(p+".data-00000-of-00001", os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{1, 2, 3, 4}, 1000)
			return err
		},
		"data truncated": func(p string) error { return os.Truncate(p+".data-00000-of-00001", 100) },
		"index missing":  func(p string) error { return os.Remove(p + ".index") },
		"index corrupt":  func(p string) error { return os.WriteFile(p+".index", []byte("garbage"), 0o644) },
		"state missing":  func(p string) error { return os.Remove(StatePath(p)) },
	}
	m := newCkptTestModel(t)
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			run := RunDir(t.TempDir())
			if err := run.Init(cfg{1, 1}, false); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 3, Log: &log}
			saveSteps(t, m, c, 1, 2, 3)
			if err := damage(run.StepPrefix(3)); err != nil {
				t.Fatal(err)
			}
			m.setAll(t, -1)
			st, found, err := c.RestoreLatest(m.sess)
			if err != nil || !found || st.Step != 2 {
				t.Fatalf("RestoreLatest = step %d, %v, %v\n%s", st.Step, found, err, log.String())
			}
			if v, err := m.value(t); err != nil || v != 2 {
				t.Fatalf("restored %v, %v; want 2", v, err)
			}
			if !strings.Contains(log.String(), "falling back to the previous valid checkpoint "+run.StepPrefix(2)) {
				t.Errorf("log: %s", log.String())
			}
			if latest, err := tfmodel.LatestCheckpoint(run.CkptDir()); err != nil || latest != run.StepPrefix(2) {
				t.Errorf("latest after the fallback = %q, %v", latest, err)
			}
			if left, _ := filepath.Glob(run.StepPrefix(3) + "*"); len(left) != 0 {
				t.Errorf("unreadable checkpoint left: %v", left)
			}
			// Training on saves step 3 again.
			saveSteps(t, m, c, 3)
			if _, found, err := c.RestoreLatest(m.sess); err != nil || !found {
				t.Fatal(err)
			}
			if v, _ := m.value(t); v != 3 {
				t.Errorf("after saving step 3 again the latest holds %v", v)
			}
		})
	}
	t.Run("none restorable", func(t *testing.T) {
		run := RunDir(t.TempDir())
		if err := run.Init(cfg{1, 1}, false); err != nil {
			t.Fatal(err)
		}
		c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 3}
		saveSteps(t, m, c, 1, 2)
		for _, s := range []int64{1, 2} {
			os.Remove(StatePath(run.StepPrefix(s)))
		}
		_, _, err := c.RestoreLatest(m.sess)
		if err == nil || !strings.Contains(err.Error(), "no checkpoint in") {
			t.Fatalf("RestoreLatest: %v", err)
		}
		for _, s := range []int64{1, 2} {
			if _, err := os.Stat(run.StepPrefix(s) + ".index"); err != nil {
				t.Errorf("step %d removed after a failed resume", s)
			}
		}
	})
}

// TestCleanRemovesLeftovers: temporary files of interrupted writes and
// checkpoints outside the kept set go; the kept checkpoints stay.
func TestCleanRemovesLeftovers(t *testing.T) {
	m := newCkptTestModel(t)
	run := RunDir(t.TempDir())
	if err := run.Init(cfg{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 2, Log: &log}
	saveSteps(t, m, c, 1, 2, 3)
	if err := c.SaveBest(m.sess, State{Step: 3, BestStep: 3}); err != nil {
		t.Fatal(err)
	}
	// An unrecorded checkpoint (killed before the state file named it) and
	// the debris of interrupted writes.
	if err := m.saver.Save(m.sess, run.StepPrefix(4)); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(run.CkptDir(), ".step-00000005.tmp-123", "step-00000005.index"),
		filepath.Join(run.CkptDir(), ".checkpoint.tmp-9"),
		filepath.Join(string(run), ".config.json.tmp-1"),
		filepath.Join(string(run), ".best.tmp-77", "model.index"),
		filepath.Join(string(run), "tokens", ".train.tokens.tmp-5"),
	}
	for _, p := range stale {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	os.WriteFile(StatePath(run.StepPrefix(1)), []byte("{}"), 0o644) // state of a pruned checkpoint
	if err := c.Clean(); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(string(run), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(string(run), p)
			got = append(got, rel)
		}
		return nil
	})
	want := []string{
		"best/model.data-00000-of-00001", "best/model.index", "best/model.json",
		"ckpt/checkpoint",
		"ckpt/step-00000002.data-00000-of-00001", "ckpt/step-00000002.index", "ckpt/step-00000002.json",
		"ckpt/step-00000003.data-00000-of-00001", "ckpt/step-00000003.index", "ckpt/step-00000003.json",
		"config.json",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after Clean:\n%s\nwant:\n%s\nlog:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), log.String())
	}
	if !strings.Contains(log.String(), "step-00000004.index: not among the kept checkpoints") {
		t.Errorf("log: %s", log.String())
	}
}

// TestSaveSameStepOnlyUpdatesState: saving the latest step again (the final
// save right after a periodic one) replaces its trainer state and leaves
// the checkpoint files alone rather than rewriting them in place.
func TestSaveSameStepOnlyUpdatesState(t *testing.T) {
	m := newCkptTestModel(t)
	run := RunDir(t.TempDir())
	if err := run.Init(cfg{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 3}
	saveSteps(t, m, c, 4)
	before, err := os.Stat(run.StepPrefix(4) + ".index")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(m.sess, State{Step: 4, BestStep: 4, Seconds: 99}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(run.StepPrefix(4) + ".index")
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("the checkpoint was rewritten (%v)", err)
	}
	if st, err := ReadState(StatePath(run.StepPrefix(4))); err != nil || st.Seconds != 99 || st.BestStep != 4 {
		t.Errorf("state %+v, %v", st, err)
	}
}

// TestFailedSaveBestKeepsPrevious: a best save that fails midway leaves the
// previous best checkpoint and its state, and no temporary directory.
func TestFailedSaveBestKeepsPrevious(t *testing.T) {
	m := newCkptTestModel(t)
	run := RunDir(t.TempDir())
	if err := run.Init(cfg{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	c := &Checkpointer{Dir: run, Saver: m.saver, Keep: 3}
	m.setAll(t, 7)
	if err := c.SaveBest(m.sess, State{Step: 7, BestStep: 7}); err != nil {
		t.Fatal(err)
	}
	// A trainer state that cannot be encoded fails after the checkpoint
	// was written into the new directory.
	m.setAll(t, 8)
	if err := c.SaveBest(m.sess, State{Step: 8, BestStep: 8, BestVal: math.NaN()}); err == nil {
		t.Fatal("SaveBest with a NaN state succeeded")
	}
	if ents, _ := os.ReadDir(string(run)); len(ents) != 3 {
		t.Errorf("run directory holds %v", ents)
	}
	st, err := ReadState(StatePath(run.BestPrefix()))
	if err != nil || st.Step != 7 {
		t.Fatalf("best state %+v, %v", st, err)
	}
	if err := m.saver.Restore(m.sess, run.BestPrefix()); err != nil {
		t.Fatal(err)
	}
	if v, err := m.value(t); err != nil || v != 7 {
		t.Errorf("best holds %v, %v; want 7", v, err)
	}
}
