package train

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/dataset"
)

// TestProgressFresh: a fresh run's start line reads as a sentence.
func TestProgressFresh(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 0, 1800, time.Now)
	p.Start("transformer", 50)
	if got, want := b.String(), "transformer: starting at step 0 of 1800; a line every 50 steps\n"; got != want {
		t.Errorf("start line %q, want %q", got, want)
	}
}

// TestProgressResume: after --resume the start line names the step, and
// the ETA uses the rate since the first report (not the warm-up).
func TestProgressResume(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&b, 500, 1000, func() time.Time { return now })
	p.Start("tokenizer", 10)
	now = now.Add(60 * time.Second) // warm-up: 10 steps in a minute
	p.Report(510, 320, nil)
	now = now.Add(10 * time.Second) // then a step a second
	p.Report(520, 320, nil)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"tokenizer: resuming at step 500 of 1000; a line every 10 steps",
		"step 510/1000 | 5.3 images/s | ETA 49m0s",
		"step 520/1000 | 32.0 images/s | ETA 8m0s",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestCountImages(t *testing.T) {
	cases := []struct {
		files []string
		n     int
		want  string
	}{
		{[]string{"a.jpg"}, 1, "1 image"},
		{nil, 7556, "7,556 images"},
		{[]string{"a.jpg", "b.jpg", "a.jpg#flip", "b.jpg#flip"}, 4, "2 images (+2 mirrored)"},
	}
	for _, c := range cases {
		if got := CountImages(&dataset.TokenCache{N: c.n, Meta: dataset.TokenMeta{Files: c.files}}); got != c.want {
			t.Errorf("CountImages(%d, %q) = %q, want %q", c.n, c.files, got, c.want)
		}
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
}
