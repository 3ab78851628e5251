package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// DecoderID names how a Decoder turns files into pixels. It is part of
// ExtractorID, so cached statistics are recomputed if it changes.
const DecoderID = "tf-decodejpeg-islow-fancy+decodepng/v1"

// Image is a decoded RGB image: Height×Width pixels, row-major, 3 bytes per
// pixel (HWC), as PIL's np.asarray(img.convert('RGB')).
type Image struct {
	Height, Width int
	Pix           []uint8
	// Float, from DecodeFloat only (Pix is then nil), holds the samples as
	// float32 v/255 in [0, 1], converted in the decoding graph.
	Float []float32
}

// Decoder reads PNG and JPEG files as pytorch-fid does, that is as
// PIL.Image.open(path).convert('RGB') returns them, using TensorFlow's
// image ops (libjpeg-turbo and libpng, as PIL uses). Decode may be called
// from several goroutines at once, but not concurrently with Close.
type Decoder struct {
	sess  *tfmodel.Session
	input tf.Output
	jpeg  tf.Output // DecodeJpeg: 3 channels, ISLOW DCT, fancy upsampling
	png   tf.Output // DecodePng: 3 channels, 8 bits (alpha dropped)
	png16 tf.Output // 16-bit greyscale PNG: clipped at 255, replicated
	// The same as float32 v/255.
	jpegF, pngF, png16F tf.Output
}

// NewDecoder builds the decoding graph and its session.
func NewDecoder() (*Decoder, error) {
	s := op.NewScope()
	input := op.Placeholder(s.SubScope("contents"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	// PIL leaves libjpeg's defaults: the accurate integer DCT (JDCT_ISLOW)
	// and fancy (triangle-filter) chroma upsampling. TF's DecodeImage and
	// DecodeJpeg's default use the fast DCT, which changes pixel values.
	jpeg := op.DecodeJpeg(s.SubScope("jpeg"), input, op.DecodeJpegChannels(3),
		op.DecodeJpegDctMethod("INTEGER_ACCURATE"), op.DecodeJpegFancyUpscaling(true),
		op.DecodeJpegTryRecoverTruncated(false), op.DecodeJpegAcceptableFraction(1))
	// PIL's convert('RGB') drops alpha (no compositing), expands palettes
	// and grey, and takes the high byte of 16-bit RGB samples; libpng does
	// the same with 3 output channels.
	png := op.DecodePng(s.SubScope("png"), input, op.DecodePngChannels(3), op.DecodePngDtype(tf.Uint8))
	// A 16-bit greyscale PNG is mode I;16 in PIL, whose conversion to RGB
	// clips each value at 255 rather than scaling it.
	g16 := s.SubScope("png16")
	grey := op.DecodePng(g16, input, op.DecodePngChannels(1), op.DecodePngDtype(tf.Uint16))
	clipped := op.Minimum(g16.SubScope("clip"), op.Cast(g16.SubScope("to_int32"), grey, tf.Int32), op.Const(g16.SubScope("max"), int32(255)))
	grey8 := op.Cast(g16.SubScope("to_uint8"), clipped, tf.Uint8)
	png16 := op.Tile(g16.SubScope("rgb"), grey8, op.Const(g16.SubScope("multiples"), []int32{1, 1, 3}))
	// float32(v)/255 by table look-up: exactly the value of a Go division
	// (TF's Div by a constant may become a multiplication by 1/255).
	var table [256]float32
	for v := range table {
		table[v] = float32(v) / 255
	}
	lut := op.Const(s.SubScope("float_table"), table[:])
	toFloat := func(name string, u8 tf.Output) tf.Output {
		f := s.SubScope(name)
		return op.GatherV2(f, lut, op.Cast(f.SubScope("index"), u8, tf.Int32), op.Const(f.SubScope("axis"), int32(0)))
	}
	jpegF, pngF, png16F := toFloat("jpeg_float", jpeg), toFloat("png_float", png), toFloat("png16_float", png16)
	g, err := s.Finalize()
	if err != nil {
		return nil, fmt.Errorf("imageio: decoder graph: %w", err)
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("imageio: decoder session: %w", err)
	}
	return &Decoder{sess: sess, input: input, jpeg: jpeg, png: png, png16: png16, jpegF: jpegF, pngF: pngF, png16F: png16F}, nil
}

// Close releases the session. It is safe to call more than once.
func (d *Decoder) Close() error {
	if d == nil || d.sess == nil {
		return nil
	}
	err := d.sess.Close()
	d.sess = nil
	return err
}

// Decode decodes a PNG or JPEG image held in memory.
func (d *Decoder) Decode(data []byte) (Image, error) { return d.decode(data, false) }

// DecodeFloat is Decode with the samples converted to float32 v/255 in the
// graph (Image.Float instead of Image.Pix).
func (d *Decoder) DecodeFloat(data []byte) (Image, error) { return d.decode(data, true) }

func (d *Decoder) decode(data []byte, float bool) (Image, error) {
	if d == nil || d.sess == nil {
		return Image{}, errors.New("imageio: Decode on a closed Decoder")
	}
	h, err := ParseHeader(data)
	if err != nil {
		return Image{}, err
	}
	out, outF := d.png, d.pngF
	switch {
	case h.Format == JPEG:
		out, outF = d.jpeg, d.jpegF
	case h.grey16():
		out, outF = d.png16, d.png16F
	}
	if float {
		out = outF
	}
	in, err := tf.NewTensor(string(data))
	if err != nil {
		return Image{}, err
	}
	res, err := d.sess.Run(map[tf.Output]*tf.Tensor{d.input: in}, []tf.Output{out}, nil)
	if err != nil {
		return Image{}, fmt.Errorf("corrupt %s image: %v", h.Format, err)
	}
	shape := res[0].Shape()
	if len(shape) != 3 || shape[0] != int64(h.Height) || shape[1] != int64(h.Width) || shape[2] != 3 {
		return Image{}, fmt.Errorf("%s header says %dx%d pixels but the image decodes to shape %v", h.Format, h.Width, h.Height, shape)
	}
	if float {
		if err := res[0].Reshape([]int64{int64(h.Height * h.Width * 3)}); err != nil {
			return Image{}, err
		}
		return Image{Height: h.Height, Width: h.Width, Float: res[0].Value().([]float32)}, nil
	}
	var buf bytes.Buffer
	buf.Grow(h.Height * h.Width * 3)
	if _, err := res[0].WriteContentsTo(&buf); err != nil {
		return Image{}, err
	}
	return Image{Height: h.Height, Width: h.Width, Pix: buf.Bytes()}, nil
}

// ReadFile reads and decodes the image file at path. Errors are *FileError.
func (d *Decoder) ReadFile(path string) (Image, error) { return d.readFile(path, false) }

func (d *Decoder) readFile(path string, float bool) (Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Image{}, &FileError{path, err}
	}
	img, err := d.decode(data, float)
	if err != nil {
		return Image{}, &FileError{path, err}
	}
	return img, nil
}
