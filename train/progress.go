package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress prints one line per report: step, metrics, images/s and ETA.
type Progress struct {
	w          io.Writer
	total      int64
	lastStep   int64
	lastTime   time.Time
	lastImages int64
	now        func() time.Time
}

// NewProgress starts measuring at step start of total.
func NewProgress(w io.Writer, start, total int64) *Progress {
	return newProgress(w, start, total, time.Now)
}

func newProgress(w io.Writer, start, total int64, now func() time.Time) *Progress {
	return &Progress{w: w, total: total, lastStep: start, lastTime: now(), now: now}
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
	eta := "?"
	if sps > 0 {
		eta = (time.Duration(float64(p.total-step)/sps) * time.Second).Round(time.Second).String()
	}
	keys := sortedKeys(metrics)
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d", step, p.total)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.4g", k, metrics[k])
	}
	fmt.Fprintf(&b, " | %.1f images/s | ETA %s\n", ips, eta)
	io.WriteString(p.w, b.String())
	p.lastStep, p.lastTime = step, t
	return ips
}
