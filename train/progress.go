package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress prints a start line and one line per report: step, metrics,
// images/s and ETA.
//
// The ETA uses the step rate since the first report of this sitting (the
// first interval also holds graph warm-up and, after --resume, nothing of
// the steps done before), or the rate of the first interval at the first
// report.
type Progress struct {
	w         io.Writer
	total     int64
	start     int64
	lastStep  int64
	lastTime  time.Time
	firstStep int64 // step and time of the first report (firstStep < 0: none yet)
	firstTime time.Time
	now       func() time.Time
}

// NewProgress starts measuring at step start of total.
func NewProgress(w io.Writer, start, total int64) *Progress {
	return newProgress(w, start, total, time.Now)
}

func newProgress(w io.Writer, start, total int64, now func() time.Time) *Progress {
	return &Progress{w: w, total: total, start: start, lastStep: start, lastTime: now(), firstStep: -1, now: now}
}

// Start prints at once what the run is about to do: what (e.g.
// "tokenizer"), from which step, and how often a line follows.
func (p *Progress) Start(what string, logEvery int64) {
	if p.w == nil {
		return
	}
	from := "starting at step 0"
	if p.start > 0 {
		from = fmt.Sprintf("resuming at step %d", p.start)
	}
	every := ""
	if logEvery > 0 {
		every = fmt.Sprintf("; a line every %d steps", logEvery)
	}
	fmt.Fprintf(p.w, "%s: %s of %d%s\n", what, from, p.total, every)
}

// Report prints the line for step, with images seen since the last report.
// It returns the images/s measured since the last report.
func (p *Progress) Report(step int64, images int64, metrics map[string]float64) float64 {
	t := p.now()
	dt := t.Sub(p.lastTime).Seconds()
	ips, sps := 0.0, 0.0
	if dt > 0 {
		ips = float64(images) / dt
		sps = float64(step-p.lastStep) / dt
	}
	if p.firstStep >= 0 {
		if d := t.Sub(p.firstTime).Seconds(); d > 0 && step > p.firstStep {
			sps = float64(step-p.firstStep) / d
		}
	} else {
		p.firstStep, p.firstTime = step, t
	}
	eta := "?"
	if step >= p.total {
		eta = "0s"
	} else if sps > 0 {
		eta = (time.Duration(float64(p.total-step)/sps) * time.Second).Round(time.Second).String()
	}
	keys := sortedKeys(metrics)
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d", step, p.total)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.4g", k, metrics[k])
	}
	fmt.Fprintf(&b, " | %.1f images/s | ETA %s\n", ips, eta)
	if p.w != nil {
		io.WriteString(p.w, b.String())
	}
	p.lastStep, p.lastTime = step, t
	return ips
}
