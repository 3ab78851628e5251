package dataset

import (
	"fmt"
	"image"
	"math"
)

// ToFloat writes the RGB bytes (HWC, res x res) of one image into dst as
// float32 in [-1, 1] (v/127.5 - 1), mirrored left-right when flip is set.
// dst must hold 3*res*res values.
func ToFloat(dst []float32, rgb []uint8, res int, flip bool) {
	var lut [256]float32
	for v := range lut {
		lut[v] = float32(v)/127.5 - 1
	}
	for y := 0; y < res; y++ {
		row := rgb[3*res*y : 3*res*(y+1)]
		out := dst[3*res*y : 3*res*(y+1)]
		if !flip {
			for i, v := range row {
				out[i] = lut[v]
			}
			continue
		}
		for x := 0; x < res; x++ {
			s := 3 * (res - 1 - x)
			out[3*x], out[3*x+1], out[3*x+2] = lut[row[s]], lut[row[s+1]], lut[row[s+2]]
		}
	}
}

// ToRGBA converts one image of float32 NHWC values in [-1, 1] (h x w x 3,
// the layout of Batch.Data) back to an opaque RGBA image: each value becomes
// round((v+1)*127.5) clamped to [0, 255]; NaN becomes 0.
func ToRGBA(data []float32, h, w int) (*image.RGBA, error) {
	if h <= 0 || w <= 0 || len(data) != h*w*3 {
		return nil, fmt.Errorf("dataset: ToRGBA: %d values do not form a %dx%dx3 image", len(data), h, w)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < h*w; i++ {
		for c := 0; c < 3; c++ {
			img.Pix[4*i+c] = floatToByte(data[3*i+c])
		}
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

func floatToByte(v float32) uint8 {
	f := math.Round((float64(v) + 1) * 127.5)
	switch {
	case f >= 255:
		return 255
	case f > 0:
		return uint8(f)
	default: // negative or NaN
		return 0
	}
}
