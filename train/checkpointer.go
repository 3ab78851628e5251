package train

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Checkpointer saves step checkpoints (keeping the last Keep) and the best
// checkpoint of a run, each with its trainer state, and restores the latest.
//
// Every save switches in one step, so a crash at any moment leaves the
// previous checkpoint or the new one: a step checkpoint is written under a
// new prefix and becomes the latest with one update of the directory's
// checkpoint state file; the best checkpoint is assembled in a temporary
// directory beside best/ and swapped in with one rename.
type Checkpointer struct {
	Dir   RunDir
	Saver *tfmodel.Saver
	Keep  int
	// Log receives what Clean removed and checkpoint fallbacks (nil: dropped).
	Log io.Writer
}

func (c *Checkpointer) logf(format string, args ...interface{}) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Save writes the step checkpoint for st.Step and its state, then records it
// as the latest. A checkpoint counts only once the state file that goes with
// it exists and the checkpoint state file names it, so a crash in between
// leaves the previous one as the latest.
//
// When the latest checkpoint already is this step's (the final save right
// after a periodic one, or a stop right after resuming), the variables are
// those it holds, as only a training step changes them: then only its
// trainer state is replaced, so the checkpoint is never rewritten in place.
func (c *Checkpointer) Save(sess *tfmodel.Session, st State) error {
	prefix := c.Dir.StepPrefix(st.Step)
	if latest, err := tfmodel.LatestCheckpoint(c.Dir.CkptDir()); err == nil && latest != "" && filepath.Clean(latest) == filepath.Clean(prefix) {
		return WriteState(StatePath(prefix), st)
	}
	if err := c.Saver.Save(sess, prefix); err != nil {
		return err
	}
	if err := WriteState(StatePath(prefix), st); err != nil {
		return err
	}
	if err := tfmodel.RecordCheckpoint(prefix, c.Keep); err != nil {
		return err
	}
	return c.pruneStates()
}

// SaveBest replaces the best checkpoint and its state with the current
// variables and st: both are written into a new directory beside best/,
// which then replaces best/ in one step (atomicfile.ReplaceDir).
func (c *Checkpointer) SaveBest(sess *tfmodel.Session, st State) (err error) {
	best := filepath.Dir(c.Dir.BestPrefix())
	stage, err := os.MkdirTemp(filepath.Dir(best), "."+filepath.Base(best)+".tmp-")
	if err != nil {
		return fmt.Errorf("saving the best checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	prefix := filepath.Join(stage, filepath.Base(c.Dir.BestPrefix()))
	if err := c.Saver.Save(sess, prefix); err != nil {
		return err
	}
	if err := WriteState(StatePath(prefix), st); err != nil {
		return err
	}
	if err := atomicfile.ReplaceDir(stage, best); err != nil {
		return fmt.Errorf("saving the best checkpoint: %w", err)
	}
	return nil
}

// RestoreLatest restores the latest step checkpoint and returns its state;
// found is false (and nothing is restored) when the run has no checkpoint
// yet. When the latest checkpoint cannot be restored (missing or damaged
// files, no trainer state), it falls back to the previous recorded one,
// says so on Log, records that one as the latest and removes the
// unreadable newer ones. It fails, removing nothing, when none restores.
func (c *Checkpointer) RestoreLatest(sess *tfmodel.Session) (st State, found bool, err error) {
	dir := c.Dir.CkptDir()
	cs, err := tfmodel.ReadCheckpointState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return State{BestStep: -1}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("--resume: %w", err)
	}
	// Candidates newest first: the latest, then the kept ones.
	var cands []string
	seen := map[string]bool{}
	for _, p := range append([]string{cs.ModelCheckpointPath}, reversed(cs.AllModelCheckpointPaths)...) {
		if p != "" && !seen[filepath.Clean(p)] {
			seen[filepath.Clean(p)] = true
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return State{BestStep: -1}, false, nil
	}
	var errs []error
	for i, p := range cands {
		st, err := c.restore(sess, p)
		if err != nil {
			errs = append(errs, err)
			c.logf("checkpoint %s cannot be restored: %v", p, err)
			continue
		}
		if i > 0 {
			c.logf("falling back to the previous valid checkpoint %s (step %d); removing the unreadable newer ones", p, st.Step)
			if err := tfmodel.WriteCheckpointState(dir, tfmodel.CheckpointState{ModelCheckpointPath: p, AllModelCheckpointPaths: reversed(cands[i:])}); err != nil {
				return State{}, false, err
			}
			for _, bad := range cands[:i] {
				if err := tfmodel.RemoveCheckpoint(bad); err != nil {
					return State{}, false, err
				}
				if err := os.Remove(StatePath(bad)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return State{}, false, err
				}
			}
		}
		return st, true, nil
	}
	return State{}, false, fmt.Errorf("--resume: no checkpoint in %s can be restored: %w", dir, errors.Join(errs...))
}

// restore restores one step checkpoint and reads its trainer state.
func (c *Checkpointer) restore(sess *tfmodel.Session, prefix string) (State, error) {
	st, err := ReadState(StatePath(prefix))
	if err != nil {
		return State{}, fmt.Errorf("checkpoint %s has no trainer state: %w", prefix, err)
	}
	if err := c.Saver.Restore(sess, prefix); err != nil {
		return State{}, err
	}
	return st, nil
}

// Clean removes what an interrupted run left behind, before it resumes:
// temporary files and directories in the run directory and its
// subdirectories (a best/ moved aside by an interrupted replace comes
// back), and the step checkpoints and state files in ckpt/ that the
// checkpoint state file does not keep. Each removal is reported on Log.
func (c *Checkpointer) Clean() error {
	run := string(c.Dir)
	dirs := []string{run}
	ents, err := os.ReadDir(run)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() && !atomicfile.IsTemp(e.Name()) && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, filepath.Join(run, e.Name()))
		}
	}
	for _, d := range dirs {
		done, err := atomicfile.RemoveStale(d)
		for _, p := range done {
			c.logf("removed %s, left by an interrupted write", p)
		}
		if err != nil {
			return err
		}
	}
	dir := c.Dir.CkptDir()
	cs, err := tfmodel.ReadCheckpointState(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Kept by base name: a state file naming its checkpoints by absolute
	// paths of the directory's old location (a moved run) keeps them too.
	kept := map[string]bool{}
	for _, p := range append(cs.AllModelCheckpointPaths, cs.ModelCheckpointPath) {
		if p != "" {
			kept[filepath.Base(p)] = true
		}
	}
	ents, err = os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		base, ok := stepPrefixOf(e.Name())
		if !ok || kept[base] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
		c.logf("removed %s: not among the kept checkpoints", filepath.Join(dir, e.Name()))
	}
	return nil
}

// stepPrefixOf returns the checkpoint prefix (base name) of a file of a
// step checkpoint: step-N.index, step-N.data-*, step-N.json.
func stepPrefixOf(name string) (string, bool) {
	if !strings.HasPrefix(name, "step-") {
		return "", false
	}
	if i := strings.Index(name, ".data-"); i > 0 {
		return name[:i], true
	}
	for _, ext := range []string{".index", ".json"} {
		if strings.HasSuffix(name, ext) {
			return strings.TrimSuffix(name, ext), true
		}
	}
	return "", false
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[len(s)-1-i] = x
	}
	return out
}

// pruneStates removes state files whose checkpoint was deleted.
func (c *Checkpointer) pruneStates() error {
	files, err := filepath.Glob(filepath.Join(c.Dir.CkptDir(), "step-*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := os.Stat(strings.TrimSuffix(f, ".json") + ".index"); os.IsNotExist(err) {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	return nil
}
