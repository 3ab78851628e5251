package train

import "context"

// stepper is one trainer's part of the training loop that runSession.loop
// drives: its optimizer step, its validation pass and its checkpoint.
type stepper interface {
	// step takes optimizer step st.Step (before the loop counts it).
	step() (stepped, error)
	// validate runs the validation pass at the current step.
	validate() error
	// save writes a step checkpoint at the current step.
	save() error
}

// stepped is what one training step reports to the loop.
type stepped struct {
	images int     // images in the step's batch
	loss   float64 // the step's training loss
	// metrics returns the step's scalars for the log line and TensorBoard,
	// called only on the steps that are logged.
	metrics func() map[string]float64
}

// loop trains t from r.st.Step up to total steps: before each step it stops
// when ctx is cancelled or opt.StopAt is reached (see stopBefore); after
// each it calls hook (if not nil) with the step number and loss, logs every
// opt.LogEvery steps and at the last, and validates and checkpoints when
// due (afterStep); at the end it validates and saves (finish). stopped
// reports an early stop, whose error is ctx's (nil for opt.StopAt).
func (r *runSession) loop(ctx context.Context, opt RunOptions, what string, total int64, t stepper, hook func(step int64, loss float64)) (stopped bool, err error) {
	prog := NewProgress(opt.Log, r.st.Step, total)
	prog.Start(what, opt.LogEvery)
	var imagesSinceLog int64
	for r.st.Step < total {
		if stop, err := r.stopBefore(ctx, opt, t.save); stop {
			return true, err
		}
		s, err := t.step()
		if err != nil {
			return false, err
		}
		r.st.Step++
		if hook != nil {
			hook(r.st.Step, s.loss)
		}
		imagesSinceLog += int64(s.images)
		if opt.LogEvery > 0 && (r.st.Step%opt.LogEvery == 0 || r.st.Step == total) {
			m := s.metrics()
			m["images_per_sec"] = prog.Report(r.st.Step, imagesSinceLog, m)
			imagesSinceLog = 0
			if err := r.scalars("train/", m); err != nil {
				return false, err
			}
		}
		if err := r.afterStep(opt, t.validate, t.save); err != nil {
			return false, err
		}
	}
	return false, r.finish(opt, t.validate, t.save)
}
