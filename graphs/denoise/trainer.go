package denoise

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// StepResult describes one training step.
type StepResult struct {
	// Step is the index of the step (0 for the first update).
	Step int
	// LR is the learning rate the step used.
	LR float64
	// Loss is the training MSE of the batch before the update, GradNorm the
	// global gradient norm before clipping.
	Loss, GradNorm float32
}

// TrainState is what a checkpoint holds besides the variables, written as
// JSON to <prefix>.json: the number of steps taken, the crop sampler's
// position (data order and random stream) and the configuration.
type TrainState struct {
	Step   int       `json:"step"`
	Crops  CropState `json:"crops"`
	Config Config    `json:"config"`
}

// StatePath is the JSON state file of the checkpoint at prefix.
func StatePath(prefix string) string { return prefix + ".json" }

// Trainer trains a Graph on Crops with a learning-rate Schedule in a session
// it owns. It is not safe for concurrent use; Close releases the session.
type Trainer struct {
	g     *Graph
	sess  *tfmodel.Session
	data  *Crops
	sched tfmodel.Schedule
	step  int
}

// NewTrainer opens a session on g with opts and initialises the variables.
// For reproducible losses fix opts.Threads: TensorFlow's CPU kernels are
// deterministic for a given thread count.
func NewTrainer(g *Graph, data *Crops, sched tfmodel.Schedule, opts tfmodel.SessionOptions) (*Trainer, error) {
	switch {
	case g == nil || g.Graph == nil:
		return nil, errors.New("denoise trainer: graph not built")
	case data == nil:
		return nil, errors.New("denoise trainer: nil crops")
	case sched == nil:
		return nil, errors.New("denoise trainer: nil schedule")
	case data.size != g.Config.Crop:
		return nil, fmt.Errorf("denoise trainer: crops of %d pixels for a model of %d", data.size, g.Config.Crop)
	}
	sess, err := tfmodel.NewSession(g.Graph, opts)
	if err != nil {
		return nil, fmt.Errorf("denoise trainer: %w", err)
	}
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		return nil, errors.Join(fmt.Errorf("denoise trainer: initialising variables: %w", err), sess.Close())
	}
	return &Trainer{g: g, sess: sess, data: data, sched: sched}, nil
}

// Steps is the number of steps taken (restored ones included).
func (t *Trainer) Steps() int { return t.step }

// Step trains on the next batch of crops at the schedule's rate.
func (t *Trainer) Step() (StepResult, error) {
	b, err := t.data.Next()
	if err != nil {
		return StepResult{}, err
	}
	res := StepResult{Step: t.step, LR: t.sched.LR(t.step)}
	feeds, err := t.feeds(b)
	if err != nil {
		return res, err
	}
	lr, err := tf.NewTensor(float32(res.LR))
	if err != nil {
		return res, err
	}
	feeds[t.g.LR] = lr
	out, err := t.sess.Run(feeds, []tf.Output{t.g.Loss, t.g.GradNorm}, []*tf.Operation{t.g.Step})
	if err != nil {
		return res, fmt.Errorf("denoise step %d: %w", t.step, err)
	}
	res.Loss, res.GradNorm = out[0].Value().(float32), out[1].Value().(float32)
	t.step++
	return res, nil
}

// Evaluate returns the model's MSE on b and the MSE of the noisy input (the
// identity baseline), without training.
func (t *Trainer) Evaluate(b *CropBatch) (loss, baseline float32, err error) {
	feeds, err := t.feeds(b)
	if err != nil {
		return 0, 0, err
	}
	out, err := t.sess.Run(feeds, []tf.Output{t.g.Loss, t.g.Baseline}, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("denoise evaluate: %w", err)
	}
	return out[0].Value().(float32), out[1].Value().(float32), nil
}

func (t *Trainer) feeds(b *CropBatch) (map[tf.Output]*tf.Tensor, error) {
	if b == nil || b.N <= 0 || b.Size != t.g.Config.Crop || len(b.Clean) != len(b.Noisy) || len(b.Clean) != b.N*b.Size*b.Size*3 {
		return nil, errors.New("denoise: crop batch does not match the model")
	}
	clean, err := tfmodel.NewTensorShaped(b.Clean, b.Shape()...)
	if err != nil {
		return nil, err
	}
	noisy, err := tfmodel.NewTensorShaped(b.Noisy, b.Shape()...)
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{t.g.Clean: clean, t.g.Noisy: noisy}, nil
}

// Save writes the variables (model and optimizer) to the checkpoint at
// prefix, then the TrainState to StatePath(prefix), then records prefix as
// the latest checkpoint of its directory (see tfmodel.LatestCheckpoint).
// Each file is written atomically and the record comes last, so the latest
// checkpoint always has its state.
func (t *Trainer) Save(prefix string) error {
	st, err := t.data.State()
	if err != nil {
		return err
	}
	if err := t.g.Saver.Save(t.sess, prefix); err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(StatePath(prefix), TrainState{Step: t.step, Crops: st, Config: t.g.Config}); err != nil {
		return fmt.Errorf("saving denoise state: %w", err)
	}
	return tfmodel.RecordCheckpoint(prefix, 0)
}

// Restore loads the checkpoint at prefix written by Save: variables, step
// count and crop position, so that the following steps repeat those that
// followed the save. The state file must exist, describe the same Config
// and agree with the optimizer's step counter. After an error the
// variables may have been overwritten: restore again or start over.
func (t *Trainer) Restore(prefix string) error {
	path := StatePath(prefix)
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("denoise restore: %w", err)
	}
	var st TrainState
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("denoise restore: %s is not a state file: %w", path, err)
	}
	if st.Config != t.g.Config {
		return fmt.Errorf("denoise restore: %s was saved with config %+v, the model has %+v", path, st.Config, t.g.Config)
	}
	if st.Step < 0 {
		return fmt.Errorf("denoise restore: %s: step %d is negative", path, st.Step)
	}
	if err := t.g.Saver.Restore(t.sess, prefix); err != nil {
		return err
	}
	out, err := t.sess.Run(nil, []tf.Output{t.g.OptStep}, nil)
	if err != nil {
		return fmt.Errorf("denoise restore: reading the optimizer step: %w", err)
	}
	if n := out[0].Value().(int64); n != int64(st.Step) {
		return fmt.Errorf("denoise restore: %s says step %d, the checkpoint's optimizer made %d", path, st.Step, n)
	}
	if err := t.data.SetState(st.Crops); err != nil {
		return fmt.Errorf("denoise restore: %s: %w", path, err)
	}
	t.step = st.Step
	return nil
}

// Resume restores the latest checkpoint recorded in dir. It returns false,
// and changes nothing, when dir records none.
func (t *Trainer) Resume(dir string) (bool, error) {
	prefix, err := tfmodel.LatestCheckpoint(dir)
	if err != nil || prefix == "" {
		return false, err
	}
	return true, t.Restore(prefix)
}

// Close releases the session; calling it again does nothing.
func (t *Trainer) Close() error { return t.sess.Close() }
