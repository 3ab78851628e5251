package train

import (
	"image"
	"image/draw"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

func f32(t *tf.Tensor) float64 { return float64(t.Value().(float32)) }

// sideBySide puts two equal-height images next to each other.
func sideBySide(a, b *image.RGBA) *image.RGBA {
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	out := image.NewRGBA(image.Rect(0, 0, w+b.Bounds().Dx(), h))
	draw.Draw(out, image.Rect(0, 0, w, h), a, a.Bounds().Min, draw.Src)
	draw.Draw(out, image.Rect(w, 0, out.Bounds().Dx(), h), b, b.Bounds().Min, draw.Src)
	return out
}
