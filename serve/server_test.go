package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newTestServer serves model with cfg (Resolution 16 unless set).
func newTestServer(t testing.TB, model Inpainter, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Resolution == 0 {
		cfg.Resolution = 16
	}
	s, err := New(model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// post sends a request and returns status, headers and body.
func post(t testing.TB, url, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// bombPNG is a valid 1×1 PNG whose header claims w×h pixels.
func bombPNG(t testing.TB, w, h uint32) []byte {
	b := pngBytes(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// Signature (8), IHDR length (4), "IHDR" (4), width, height, …, CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBadInputIsJSON4xx(t *testing.T) {
	const res = 16
	_, ts := newTestServer(t, &fakeModel{}, Config{MaxBodyBytes: 64 << 10})
	img, mask := pngBytes(t, testImage(res)), pngBytes(t, testMask(res, 2, 2, 6, 6))
	withParts := func(parts ...part) func(t testing.TB) ([]byte, string) {
		return func(t testing.TB) ([]byte, string) { return multipartBody(t, parts...) }
	}
	withFields := func(fields ...string) func(t testing.TB) ([]byte, string) {
		return func(t testing.TB) ([]byte, string) { return inpaintBody(t, res, fields...) }
	}
	big := make([]byte, 100<<10)
	cases := []struct {
		name, method, path string
		body               func(t testing.TB) ([]byte, string)
		status             int
		code               string
	}{
		{"get inpaint", "GET", "/v1/inpaint", nil, 405, "method_not_allowed"},
		{"post healthz", "POST", "/healthz", nil, 405, "method_not_allowed"},
		{"unknown path", "GET", "/v2/nope", nil, 404, "not_found"},
		{"no content type", "POST", "/v1/inpaint", func(testing.TB) ([]byte, string) { return []byte("x"), "" }, 415, "bad_content_type"},
		{"json body", "POST", "/v1/inpaint", func(testing.TB) ([]byte, string) { return []byte("{}"), "application/json" }, 415, "bad_content_type"},
		{"no boundary", "POST", "/v1/inpaint", func(testing.TB) ([]byte, string) { return []byte("x"), "multipart/form-data" }, 415, "bad_content_type"},
		{"garbage multipart", "POST", "/v1/inpaint", func(testing.TB) ([]byte, string) { return []byte("garbage"), "multipart/form-data; boundary=zz" }, 400, "bad_multipart"},
		{"empty multipart", "POST", "/v1/inpaint", withParts(), 400, "missing_field"},
		{"no mask", "POST", "/v1/inpaint", withParts(part{"image", img, true}), 400, "missing_field"},
		{"two images", "POST", "/v1/inpaint", withParts(part{"image", img, true}, part{"image", img, true}, part{"mask", mask, true}), 400, "duplicate_field"},
		{"unknown field", "POST", "/v1/inpaint", withFields("colour", "red"), 400, "unknown_field"},
		{"empty image", "POST", "/v1/inpaint", withParts(part{"image", nil, true}, part{"mask", mask, true}), 400, "bad_image"},
		{"image not an image", "POST", "/v1/inpaint", withParts(part{"image", []byte("hello"), true}, part{"mask", mask, true}), 415, "bad_image"},
		{"truncated image", "POST", "/v1/inpaint", withParts(part{"image", img[:60], true}, part{"mask", mask, true}), 400, "bad_image"},
		{"image wrong size", "POST", "/v1/inpaint", withParts(part{"image", pngBytes(t, testImage(8)), true}, part{"mask", mask, true}), 422, "wrong_size"},
		{"image bomb", "POST", "/v1/inpaint", withParts(part{"image", bombPNG(t, 100000, 100000), true}, part{"mask", mask, true}), 413, "too_many_pixels"},
		{"mask bomb", "POST", "/v1/inpaint", withParts(part{"image", img, true}, part{"mask", bombPNG(t, 50000, 50000), true}), 413, "too_many_pixels"},
		{"mask jpeg", "POST", "/v1/inpaint", withParts(part{"image", img, true}, part{"mask", jpegBytes(t, testMask(res, 2, 2, 6, 6)), true}), 415, "bad_mask"},
		{"mask wrong size", "POST", "/v1/inpaint", withParts(part{"image", img, true}, part{"mask", pngBytes(t, testMask(32, 2, 2, 6, 6)), true}), 422, "wrong_size"},
		{"body too large", "POST", "/v1/inpaint", withParts(part{"image", big, true}, part{"mask", mask, true}), 413, "body_too_large"},
		{"total_iter not a number", "POST", "/v1/inpaint", withFields("total_iter", "ten"), 400, "bad_param"},
		{"total_iter zero", "POST", "/v1/inpaint", withFields("total_iter", "0"), 422, "bad_param"},
		{"total_iter huge", "POST", "/v1/inpaint", withFields("total_iter", "100000"), 422, "bad_param"},
		{"sweet_spot past T", "POST", "/v1/inpaint", withFields("total_iter", "4", "sweet_spot", "5"), 422, "bad_param"},
		{"temperature NaN", "POST", "/v1/inpaint", withFields("temperature", "NaN"), 422, "bad_param"},
		{"temperature negative", "POST", "/v1/inpaint", withFields("temperature", "-1"), 422, "bad_param"},
		{"temperature Inf", "POST", "/v1/inpaint", withFields("temperature", "+Inf"), 422, "bad_param"},
		{"bad schedule", "POST", "/v1/inpaint", withFields("schedule", "bogus"), 422, "bad_param"},
		{"bad order", "POST", "/v1/inpaint", withFields("order", "random"), 422, "bad_param"},
		{"bad composite", "POST", "/v1/inpaint", withFields("composite", "feather"), 422, "bad_param"},
		{"bad prefill", "POST", "/v1/inpaint", withFields("prefill", "gray"), 422, "bad_param"},
		{"negative seed", "POST", "/v1/inpaint", withFields("seed", "-1"), 400, "bad_param"},
		{"bad steps", "POST", "/v1/inpaint", withFields("steps", "maybe"), 400, "bad_param"},
		{"long field", "POST", "/v1/inpaint", withFields("schedule", strings.Repeat("x", 1000)), 400, "bad_param"},
		{"bad query", "POST", "/v1/inpaint?total_iter=x", withFields(), 400, "bad_param"},
		{"unknown query", "POST", "/v1/inpaint?colour=red", withFields(), 400, "unknown_field"},
		{"malformed query", "POST", "/v1/inpaint?seed=%zz", withFields(), 400, "bad_query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			ct := ""
			if c.body != nil {
				body, ct = c.body(t)
			}
			req, err := http.NewRequest(c.method, ts.URL+c.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errorBody
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("status %d, body is not JSON: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != c.status || e.Code != c.code || e.Error == "" {
				t.Errorf("got %d %+v, want %d %q", resp.StatusCode, e, c.status, c.code)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func decodePNG(t testing.TB, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("answer is not a PNG: %v (%.200s)", err, b)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// holeDiff counts pixels of out that differ from in, inside and outside
// the hole [x0, x1)×[y0, y1).
func holeDiff(in, out *image.RGBA, x0, y0, x1, y1 int) (inside, outside int) {
	b := in.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if in.RGBAAt(x, y) == out.RGBAAt(x, y) {
				continue
			}
			if x >= x0 && x < x1 && y >= y0 && y < y1 {
				inside++
			} else {
				outside++
			}
		}
	}
	return inside, outside
}

func TestInpaintAnswers(t *testing.T) {
	_, ts := newTestServer(t, &fakeModel{}, Config{})
	body, ct := inpaintBody(t, 16, "seed", "42", "total_iter", "5")
	status, h, b := post(t, ts.URL+"/v1/inpaint", ct, body)
	if status != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Batch-Size") != "1" {
		t.Fatalf("status %d, headers %v: %.200s", status, h, b)
	}
	out := decodePNG(t, b)
	if in, outside := holeDiff(testImage(16), out, 4, 4, 8, 8); in != 16 || outside != 0 {
		t.Errorf("%d pixels changed in the 16-pixel hole, %d outside", in, outside)
	}
	if c := out.RGBAAt(5, 5); c != (color.RGBA{42, 5, 7, 255}) {
		t.Errorf("hole pixel %v: want seed 42 and total_iter 5 passed to the model", c)
	}

	// steps=1: JSON with base64 PNGs; the settings may come in the query.
	status, _, b = post(t, ts.URL+"/v1/inpaint?steps=1&total_iter=3", ct, body)
	var sr StepsResponse
	if status != 200 || json.Unmarshal(b, &sr) != nil {
		t.Fatalf("steps: status %d %.200s", status, b)
	}
	for name, s := range map[string]string{"image": sr.Image, "mask_strip": sr.MaskStrip, "step_strip": sr.StepStrip} {
		if s == "" {
			t.Errorf("steps answer lacks %s", name)
		}
	}
	if sr.UnknownTokens != 16 || sr.BatchSize != 1 {
		t.Errorf("steps answer %+v", sr)
	}
}

func TestHealthz(t *testing.T) {
	s, ts := newTestServer(t, &fakeModel{}, Config{MaxBatch: 3})
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h health
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || h.Status != "ok" || h.Resolution != 16 || h.MaxBatch != 3 || len(h.Schedules) == 0 || h.Defaults.TotalIter != 12 {
		t.Errorf("healthz %d %+v %v", resp.StatusCode, h, err)
	}
	s.Close()
	resp, err = http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("healthz after Close: %d, want 503", resp.StatusCode)
	}
	body, ct := inpaintBody(t, 16)
	if status, _, b := post(t, ts.URL+"/v1/inpaint", ct, body); status != 503 || !strings.Contains(string(b), "shutting_down") {
		t.Errorf("inpaint after Close: %d %s", status, b)
	}
}

func TestPage(t *testing.T) {
	_, ts := newTestServer(t, &fakeModel{}, Config{})
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(b, []byte(`fetch("v1/inpaint"`)) {
		t.Errorf("page: %d %q %.100s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	// No external assets: nothing is loaded from another origin.
	for _, ext := range []string{"http://", "https://", "//cdn"} {
		if bytes.Contains(b, []byte("src=\""+ext)) || bytes.Contains(b, []byte("href=\""+ext)) {
			t.Errorf("page loads an external asset (%s)", ext)
		}
	}
}
