package serve

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fuzzLimits are small so that the fuzzer explores sizes around them.
func fuzzLimits() Limits {
	return Limits{Resolution: 16, MaxBodyBytes: 64 << 10, MaxPixels: 64 * 64}
}

// check4xx fails unless err is nil or an *Error with a 4xx status.
func check4xx(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Code == "" || e.Msg == "" {
		t.Fatalf("bad input gave %#v, want a 4xx *Error", err)
	}
}

// imageSeeds are valid and broken images for the image and mask fuzzers.
func imageSeeds(f *testing.F) [][]byte {
	png := pngBytes(f, testImage(16))
	return [][]byte{
		png, png[:len(png)/2], jpegBytes(f, testImage(16)), pngBytes(f, testMask(16, 1, 1, 9, 9)),
		pngBytes(f, testImage(17)), bombPNG(f, 60000, 60000), bombPNG(f, 16, 16), []byte("GIF89a"), nil,
	}
}

func FuzzDecodeImage(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := fuzzLimits()
		img, err := DecodeImage(data, lim)
		check4xx(t, err)
		if err == nil && (img.Bounds().Dx() != lim.Resolution || img.Bounds().Dy() != lim.Resolution) {
			t.Fatalf("accepted a %v image", img.Bounds())
		}
	})
}

func FuzzDecodeMask(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := fuzzLimits()
		m, err := DecodeMask(data, lim)
		check4xx(t, err)
		if err == nil && (m.W != lim.Resolution || m.H != lim.Resolution || len(m.Hole) != m.W*m.H) {
			t.Fatalf("accepted a %dx%d mask with %d cells", m.W, m.H, len(m.Hole))
		}
	})
}

// FuzzReadRequest feeds whole request bodies, content types and queries,
// then validates the settings as the handler does.
func FuzzReadRequest(f *testing.F) {
	valid, ct := inpaintBody(f, 16, "total_iter", "3", "schedule", "linear")
	f.Add(valid, ct, "steps=1")
	f.Add(valid[:len(valid)/2], ct, "")
	f.Add(valid, "multipart/form-data; boundary=x", "seed=5")
	bad, ct2 := multipartBody(f, part{"image", []byte("x"), true}, part{"mask", nil, true}, part{"seed", []byte("-3"), false})
	f.Add(bad, ct2, "temperature=NaN")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n\r\n--b--\r\n"), "multipart/form-data; boundary=b", "total_iter=0")
	f.Fuzz(func(t *testing.T, body []byte, contentType, query string) {
		r, err := http.NewRequest("POST", "/v1/inpaint", bytes.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		req, err := ReadRequest(httptest.NewRecorder(), r, fuzzLimits())
		check4xx(t, err)
		if err != nil {
			return
		}
		if req.Image == nil || req.Mask == nil {
			t.Fatal("accepted a request without image or mask")
		}
		_, err = req.Params.Options(64, 4)
		check4xx(t, err)
	})
}

func FuzzParams(f *testing.F) {
	for _, s := range [][2]string{{"total_iter", "8"}, {"temperature", "1e308"}, {"sweet_spot", "-1"}, {"seed", "18446744073709551616"},
		{"schedule", "Cosine "}, {"order", "halton"}, {"steps", "T"}, {"colour", "red"}, {"temperature", "-0"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		p := DefaultParams()
		err := p.Set(name, value)
		check4xx(t, err)
		if err != nil {
			return
		}
		opt, err := p.Options(64, 4)
		check4xx(t, err)
		if err == nil && (opt.Decode.Steps < 1 || opt.Decode.Steps > 64 || opt.Decode.Temperature < 0) {
			t.Fatalf("accepted %+v", p)
		}
	})
}
