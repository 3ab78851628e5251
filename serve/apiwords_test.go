package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"strings"
	"testing"
)

// TestErrorsUseAPIWords: out-of-range settings are reported with the
// API's field names (sweet_spot, total_iter), not Go field names.
func TestErrorsUseAPIWords(t *testing.T) {
	const res = 16
	_, ts := newTestServer(t, &fakeModel{}, Config{Resolution: res})
	cases := []struct {
		fields []string
		want   string
	}{
		{[]string{"total_iter", "4", "sweet_spot", "5"}, "sweet_spot must be in 0..4 (total_iter), got 5"},
		{[]string{"temperature", "-1"}, "temperature must be in [0, 1e6], got -1"},
		{[]string{"total_iter", "0"}, "total_iter must be in 1..64, got 0"},
	}
	for _, c := range cases {
		body, ct := inpaintBody(t, res, c.fields...)
		code, _, b := post(t, ts.URL+"/v1/inpaint", ct, body)
		var e errorBody
		if err := json.Unmarshal(b, &e); err != nil || code != 422 || e.Error != c.want {
			t.Errorf("%q: %d %s; want 422 %q", c.fields, code, b, c.want)
		}
		for _, goName := range []string{"SweetSpot", "Steps", "Temperature"} {
			if strings.Contains(e.Error, goName) {
				t.Errorf("%q: error %q names the Go field %s", c.fields, e.Error, goName)
			}
		}
	}
}

// countingDecoder records that the server decoded with it.
type countingDecoder struct{ n int }

func (d *countingDecoder) DecodeImage(data []byte) (image.Image, error) {
	d.n++
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}

// TestConfigDecoder: request images are decoded with Config.Decoder (maskgit
// serve passes the decoder training uses).
func TestConfigDecoder(t *testing.T) {
	const res = 16
	dec := &countingDecoder{}
	_, ts := newTestServer(t, &fakeModel{}, Config{Resolution: res, Decoder: dec})
	body, ct := inpaintBody(t, res)
	if code, _, b := post(t, ts.URL+"/v1/inpaint", ct, body); code != 200 || dec.n != 1 {
		t.Fatalf("%d %s; decoder used %d times, want 1", code, b, dec.n)
	}
}
