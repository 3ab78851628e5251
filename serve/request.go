package serve

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // request images may be JPEG
	_ "image/png"  // request images and masks are PNG
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
)

// Limits bound what a request may make the server read and allocate.
type Limits struct {
	// Resolution is the model's image side: images and masks must be
	// exactly Resolution×Resolution.
	Resolution int
	// MaxBodyBytes caps the request body (413 beyond).
	MaxBodyBytes int64
	// MaxPixels caps width×height read from an image header before any
	// pixel is decoded (413 beyond): the decompression-bomb guard.
	MaxPixels int
	// Defaults are the settings of a request that sets none (the zero
	// value means DefaultParams()).
	Defaults Params
	// Decoder decodes the image's pixels after its header is checked
	// (nil: Go's image.Decode).
	Decoder dataset.ImageDecoder
}

// maxParts caps the multipart parts of one request.
const maxParts = 32

// maxFieldBytes caps a settings field's value.
const maxFieldBytes = 256

// Request is a decoded inpainting request.
type Request struct {
	Image  *image.RGBA
	Mask   *inpaint.Mask
	Params Params
}

// ReadRequest reads and validates an inpainting request: a multipart body
// with an "image" part, a "mask" part and optional settings fields, which
// may also come as URL query parameters (a field overrides the query).
// Every problem is an *Error with a 4xx status.
func ReadRequest(w http.ResponseWriter, r *http.Request, lim Limits) (*Request, error) {
	if r.Body == nil {
		return nil, errorf(http.StatusBadRequest, "no_body", "empty body: send multipart/form-data with image and mask parts")
	}
	r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBodyBytes)
	params := lim.Defaults
	if params == (Params{}) {
		params = DefaultParams()
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_query", "malformed query string: %v", err)
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad parameter is reported, deterministically
	for _, name := range names {
		if v := q[name]; len(v) > 0 {
			if err := params.Set(name, v[len(v)-1]); err != nil {
				return nil, err
			}
		}
	}
	return readMultipart(r.Header.Get("Content-Type"), r.Body, lim, params)
}

// readMultipart parses the body given its Content-Type.
func readMultipart(contentType string, body io.Reader, lim Limits, params Params) (*Request, error) {
	mt, mp, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || mp["boundary"] == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, "bad_content_type",
			"Content-Type %q: want multipart/form-data with a boundary (fields image, mask)", truncate(contentType, 80))
	}
	mr := multipart.NewReader(body, mp["boundary"])
	var imgData, maskData []byte
	seen := map[string]bool{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err, lim)
		}
		if n >= maxParts {
			return nil, errorf(http.StatusBadRequest, "too_many_parts", "more than %d multipart parts", maxParts)
		}
		name := part.FormName()
		if seen[name] {
			return nil, errorf(http.StatusBadRequest, "duplicate_field", "field %q given twice", truncate(name, 40))
		}
		seen[name] = true
		switch name {
		case "image", "mask":
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, bodyError(err, lim)
			}
			if name == "image" {
				imgData = data
			} else {
				maskData = data
			}
		default:
			if !isParam(name) {
				return nil, unknownField(name)
			}
			data, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, bodyError(err, lim)
			}
			if len(data) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "bad_param", "field %s is longer than %d bytes", name, maxFieldBytes)
			}
			if err := params.Set(name, string(data)); err != nil {
				return nil, err
			}
		}
	}
	if imgData == nil || maskData == nil {
		return nil, errorf(http.StatusBadRequest, "missing_field", "the request needs both an image and a mask part (got image: %v, mask: %v)", imgData != nil, maskData != nil)
	}
	img, err := DecodeImage(imgData, lim)
	if err != nil {
		return nil, err
	}
	mask, err := DecodeMask(maskData, lim)
	if err != nil {
		return nil, err
	}
	return &Request{Image: img, Mask: mask, Params: params}, nil
}

// bodyError maps a body read error: over the size limit is a 413,
// anything else a malformed body (400).
func bodyError(err error, lim Limits) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "request body exceeds %d bytes", lim.MaxBodyBytes)
	}
	return errorf(http.StatusBadRequest, "bad_multipart", "malformed multipart body: %v", err)
}

// checkHeader reads an image header and checks format and size before any
// pixel is decoded.
func checkHeader(what string, data []byte, lim Limits, formats ...string) error {
	if len(data) == 0 {
		return errorf(http.StatusBadRequest, "bad_"+what, "%s part is empty", what)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return errorf(http.StatusUnsupportedMediaType, "bad_"+what, "%s is not a readable %s image: %v", what, joinOr(formats), err)
	}
	ok := false
	for _, f := range formats {
		ok = ok || f == format
	}
	if !ok {
		return errorf(http.StatusUnsupportedMediaType, "bad_"+what, "%s is %s; want %s", what, format, joinOr(formats))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(lim.MaxPixels) {
		return errorf(http.StatusRequestEntityTooLarge, "too_many_pixels", "%s is %dx%d: over the limit of %d pixels", what, cfg.Width, cfg.Height, lim.MaxPixels)
	}
	if cfg.Width != lim.Resolution || cfg.Height != lim.Resolution {
		return errorf(http.StatusUnprocessableEntity, "wrong_size", "%s is %dx%d; the model takes %dx%d (crop and scale it first)",
			what, cfg.Width, cfg.Height, lim.Resolution, lim.Resolution)
	}
	return nil
}

func joinOr(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return fmt.Sprintf("%s or %s", s[0], s[1])
}

// DecodeImage decodes a PNG or JPEG request image of exactly
// lim.Resolution² pixels into opaque RGBA (transparency over black).
func DecodeImage(data []byte, lim Limits) (*image.RGBA, error) {
	if err := checkHeader("image", data, lim, "png", "jpeg"); err != nil {
		return nil, err
	}
	var img image.Image
	var err error
	if lim.Decoder != nil {
		img, err = lim.Decoder.DecodeImage(data)
	} else {
		img, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_image", "image: %v", err)
	}
	if b := img.Bounds(); b.Dx() != lim.Resolution || b.Dy() != lim.Resolution {
		return nil, errorf(http.StatusBadRequest, "bad_image", "image header and pixels disagree on the size")
	}
	return dataset.Square(img, lim.Resolution), nil
}

// DecodeMask decodes a PNG mask of exactly lim.Resolution² pixels:
// greyscale below 128 is a hole (inpaint.MaskFromImage).
func DecodeMask(data []byte, lim Limits) (*inpaint.Mask, error) {
	if err := checkHeader("mask", data, lim, "png"); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_mask", "mask: %v", err)
	}
	if b := img.Bounds(); b.Dx() != lim.Resolution || b.Dy() != lim.Resolution {
		return nil, errorf(http.StatusBadRequest, "bad_mask", "mask header and pixels disagree on the size")
	}
	m, _ := inpaint.MaskFromImage(img)
	return m, nil
}
