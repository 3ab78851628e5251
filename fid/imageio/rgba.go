package imageio

import "image"

// DecodeImage decodes a PNG or JPEG image held in memory as Decode does
// (PIL's convert('RGB')) and returns it as an opaque *image.RGBA: the
// dataset.ImageDecoder that makes training, encode and inpaint read pixels
// exactly as FID does.
func (d *Decoder) DecodeImage(data []byte) (image.Image, error) {
	img, err := d.Decode(data)
	if err != nil {
		return nil, err
	}
	return img.RGBA(), nil
}

// RGBA returns the image as an opaque *image.RGBA.
func (m Image) RGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.Width, m.Height))
	for i, j := 0, 0; i+2 < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255
	}
	return out
}
