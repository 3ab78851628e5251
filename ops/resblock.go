package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// ResBlock is the convolutional residual block of VQGAN-style encoders and
// decoders on NHWC x [B, H, W, C], under s.SubScope(name):
//
//	h = conv2(silu(norm2(conv1(silu(norm1(x))))))
//	y = shortcut(x) + h
//
// norm1 and norm2 are GroupNorms (groups, eps), conv1 (C → out) and conv2
// (out → out) 3x3 SAME Conv2Ds, and shortcut a 1x1 Conv2D (C → out) that
// exists only when C != out (otherwise the identity). groups must divide
// both C and out.
func ResBlock(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, out, groups int64, eps float64, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := resBlock(ls, vs, x, out, groups, eps, o)
	o.checkUsed(ls, "ResBlock")
	return y
}

func resBlock(ls *op.Scope, vs *tfmodel.Store, x tf.Output, out, groups int64, eps float64, o *options) tf.Output {
	if !checkFloat(ls, "ResBlock", vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "ResBlock", x, 4, false, 3)
	if !ok {
		return tf.Output{}
	}
	if out <= 0 {
		fail(ls, "ResBlock", "out = %d, want > 0", out)
		return tf.Output{}
	}
	h := groupNorm(ls.SubScope("norm1"), vs, x, groups, eps, o.sub("norm1"))
	h = SiLU(ls, h)
	h = conv2D(ls.SubScope("conv1"), vs, h, out, 3, 1, Same, o.sub("conv1"))
	h = groupNorm(ls.SubScope("norm2"), vs, h, groups, eps, o.sub("norm2"))
	h = SiLU(ls, h)
	h = conv2D(ls.SubScope("conv2"), vs, h, out, 3, 1, Same, o.sub("conv2"))
	skip := x
	if dims[3] != out {
		skip = conv2D(ls.SubScope("shortcut"), vs, x, out, 1, 1, Same, o.sub("shortcut"))
	}
	if ls.Err() != nil {
		return tf.Output{}
	}
	return op.Add(ls.SubScope("residual"), skip, h)
}
