package train

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Checkpointer saves step checkpoints (keeping the last Keep) and the best
// checkpoint of a run, each with its trainer state, and restores the latest.
type Checkpointer struct {
	Dir   RunDir
	Saver *tfmodel.Saver
	Keep  int
}

// Save writes the step checkpoint for st.Step and its state, then records it
// as the latest. A checkpoint counts only once the state file that goes with
// it exists, so a crash in between leaves the previous one as the latest.
func (c *Checkpointer) Save(sess *tfmodel.Session, st State) error {
	prefix := c.Dir.StepPrefix(st.Step)
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

// SaveBest replaces the best checkpoint with the current variables.
func (c *Checkpointer) SaveBest(sess *tfmodel.Session, st State) error {
	prefix := c.Dir.BestPrefix()
	if err := c.Saver.Save(sess, prefix); err != nil {
		return err
	}
	return WriteState(StatePath(prefix), st)
}

// RestoreLatest restores the latest step checkpoint and returns its state.
func (c *Checkpointer) RestoreLatest(sess *tfmodel.Session) (State, error) {
	prefix, err := tfmodel.LatestCheckpoint(c.Dir.CkptDir())
	if err != nil {
		return State{}, fmt.Errorf("--resume: no checkpoint in %s: %w", c.Dir.CkptDir(), err)
	}
	st, err := ReadState(StatePath(prefix))
	if err != nil {
		return State{}, fmt.Errorf("--resume: checkpoint %s has no trainer state: %w", prefix, err)
	}
	if err := c.Saver.Restore(sess, prefix); err != nil {
		return State{}, fmt.Errorf("--resume: %w", err)
	}
	return st, nil
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
