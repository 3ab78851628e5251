package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestUntrainedModel serves an untrained 16×16 model (4×4 tokens): the
// answer keeps every known pixel exactly and changes the hole; the same
// request gives the same bytes alone or batched with other seeds; steps=1
// returns one strip cell per step.
func TestUntrainedModel(t *testing.T) {
	const res = 16
	model := tinyModel(t, res)
	_, ts := newTestServer(t, model, Config{Resolution: res, MaxBatch: 4, MaxWait: time.Second})
	body, ct := inpaintBody(t, res, "seed", "7", "total_iter", "4", "temperature", "1")
	status, h, alone := post(t, ts.URL+"/v1/inpaint", ct, body)
	if status != 200 || h.Get("X-Batch-Size") != "1" {
		t.Fatalf("status %d batch %s: %.300s", status, h.Get("X-Batch-Size"), alone)
	}
	in, out := testImage(res), decodePNG(t, alone)
	inside, outside := holeDiff(in, out, res/4, res/4, res/2, res/2)
	if outside != 0 || inside == 0 {
		t.Errorf("%d pixels changed outside the hole (want 0), %d inside (want > 0)", outside, inside)
	}

	// Four at once: seeds 7, 8, 9, 10 in one call.
	answers := make([][]byte, 4)
	batches := make([]string, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, ct := inpaintBody(t, res, "seed", fmt.Sprint(7+i), "total_iter", "4", "temperature", "1")
			var status int
			var h map[string][]string
			status, h, answers[i] = post(t, ts.URL+"/v1/inpaint", ct, b)
			if status != 200 {
				t.Errorf("batched request %d: %d %.200s", i, status, answers[i])
			}
			batches[i] = fmt.Sprint(h["X-Batch-Size"])
		}()
	}
	wg.Wait()
	for i, b := range batches {
		if b != "[4]" {
			t.Errorf("request %d was in a batch of %s, want [4]", i, b)
		}
	}
	if !bytes.Equal(answers[0], alone) {
		t.Errorf("seed 7 batched (batch sizes %v) differs from seed 7 alone", batches)
	}

	// No hole: the input comes back unchanged.
	body, ct = multipartBody(t, part{"image", pngBytes(t, in), true}, part{"mask", pngBytes(t, testMask(res, 0, 0, 0, 0)), true})
	status, _, b0 := post(t, ts.URL+"/v1/inpaint", ct, body)
	if status != 200 {
		t.Fatalf("no hole: %d %.200s", status, b0)
	}
	if inside, outside := holeDiff(in, decodePNG(t, b0), 0, 0, 0, 0); inside+outside != 0 {
		t.Errorf("no hole: %d pixels changed", inside+outside)
	}

	// A hole of 4×2 tokens (rows 4..11), so decoding lasts all three steps.
	body, ct = multipartBody(t, part{"image", pngBytes(t, in), true}, part{"mask", pngBytes(t, testMask(res, 0, 4, res, 12)), true},
		part{"total_iter", []byte("4"), false}, part{"sweet_spot", []byte("3"), false}, part{"steps", []byte("1"), false})
	status, _, b := post(t, ts.URL+"/v1/inpaint", ct, body)
	var sr StepsResponse
	if status != 200 || json.Unmarshal(b, &sr) != nil {
		t.Fatalf("steps: %d %.300s", status, b)
	}
	for name, s := range map[string]string{"image": sr.Image, "step_strip": sr.StepStrip, "mask_strip": sr.MaskStrip} {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := res
		if name != "image" {
			want = 3 * res // sweet spot 3: three steps
		}
		if w := decodePNG(t, raw).Bounds().Dx(); w != want {
			t.Errorf("%s is %d px wide, want %d", name, w, want)
		}
	}
	if sr.UnknownTokens != 8 || sr.BatchSize != 1 {
		t.Errorf("unknown tokens %d, batch %d: want 8, 1", sr.UnknownTokens, sr.BatchSize)
	}
}
