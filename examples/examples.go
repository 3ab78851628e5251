// Package examples holds the shipped example images (sample_%03d.png, made by
// the shipped model) with their holes (sample_%03d_mask.png, 0 = hole), for
// `maskgit demo` and the serve web page. See README.md here.
package examples

import "embed"

// FS holds the example PNGs: name.png with name_mask.png beside it.
//
//go:embed *.png
var FS embed.FS
