package inception

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

const (
	// FeatureDim is the size of a pool3 feature vector.
	FeatureDim = 2048
	// InputSize is the side the images are resized to before the network.
	InputSize = 299
	// statePrefix is where the network sits in the TorchScript state dict.
	statePrefix = "net.layers."
	// bnEpsilon is the batch-norm epsilon of the TorchScript Conv2dLayer
	// (a constant of its code, not a stored attribute).
	bnEpsilon = 0.001
)

// BuildFeatures adds pytorch-fid's InceptionV3 feature extractor to the
// graph of s: images, float32 [N, H, W, 3] RGB in [0, 1] of any size, are
// resized to 299x299 as pytorch-fid does (bilinear, align_corners=False,
// i.e. half-pixel centers, no antialiasing), scaled to [-1, 1] and run
// through the network; the result is the [N, 2048] pool3 features.
//
// Each convolution's batch norm (no scale; eps 0.001) is folded into the
// convolution: kernel·γ and bias β − mean·γ with γ = 1/√(var+eps),
// computed in float64 from the stored weights. The network weights become
// graph constants. Missing or misshapen weights are reported through s.
func BuildFeatures(s *op.Scope, images tf.Output, w *Weights) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	b := &builder{w: w}
	pre := s.SubScope("preprocess")
	size := op.Const(pre.SubScope("size"), []int32{InputSize, InputSize})
	x := op.ResizeBilinear(pre, images, size, op.ResizeBilinearHalfPixelCenters(true))
	x = op.Sub(pre, op.Mul(pre, x, op.Const(pre.SubScope("two"), float32(2))), op.Const(pre.SubScope("one"), float32(1)))

	x = b.conv(s, "conv", x)
	x = b.conv(s, "conv_1", x)
	x = b.conv(s, "conv_2", x)
	x = maxPool(s.SubScope("pool0"), x, 2, "VALID")
	x = b.conv(s, "conv_3", x)
	x = b.conv(s, "conv_4", x)
	x = maxPool(s.SubScope("pool1"), x, 2, "VALID")
	x = b.inceptionA(s, "mixed", x)
	x = b.inceptionA(s, "mixed_1", x)
	x = b.inceptionA(s, "mixed_2", x)
	x = b.inceptionB(s, "mixed_3", x)
	x = b.inceptionC(s, "mixed_4", x)
	x = b.inceptionC(s, "mixed_5", x)
	x = b.inceptionC(s, "mixed_6", x)
	x = b.inceptionC(s, "mixed_7", x)
	x = b.inceptionD(s, "mixed_8", x)
	x = b.inceptionE(s, "mixed_9", x, avgPool3)
	x = b.inceptionE(s, "mixed_10", x, maxPool3)
	// pool2: 8x8 average pooling of the 8x8 map, i.e. the spatial mean.
	pool := s.SubScope("pool2")
	return op.Mean(pool, x, op.Const(pool.SubScope("axes"), []int32{1, 2}))
}

type builder struct{ w *Weights }

func (b *builder) tensor(s *op.Scope, name string, dtype DType, rank ...int) *Tensor {
	t, ok := b.w.Tensors[statePrefix+name]
	if !ok {
		s.UpdateErr("inception", fmt.Errorf("weights have no %q", statePrefix+name))
		return nil
	}
	okRank := len(rank) == 0
	for _, r := range rank {
		okRank = okRank || len(t.Shape) == r
	}
	if t.DType != dtype || !okRank {
		s.UpdateErr("inception", fmt.Errorf("weight %q is %s %v, want %s of rank %v", statePrefix+name, t.DType, t.Shape, dtype, rank))
		return nil
	}
	return t
}

// conv adds a Conv2dLayer of the TorchScript model: conv (no bias), batch
// norm without scale, ReLU. name is its dotted state-dict path under
// net.layers; the graph scope mirrors it ("mixed/tower/conv": one
// SubScope per full path, since op.Scope renames a repeated SubScope).
func (b *builder) conv(s *op.Scope, name string, x tf.Output) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	sc := s.SubScope(strings.ReplaceAll(name, ".", "/"))
	wt := b.tensor(sc, name+".weight", Float32, 4)
	beta := b.tensor(sc, name+".beta", Float32, 1)
	mean := b.tensor(sc, name+".mean", Float32, 1)
	variance := b.tensor(sc, name+".var", Float32, 1)
	stride := b.tensor(sc, name+".stride", Int64, 0)
	padding := b.tensor(sc, name+".padding", Int64, 0, 1)
	if sc.Err() != nil {
		return tf.Output{}
	}
	cout, cin, kh, kw := wt.Shape[0], wt.Shape[1], wt.Shape[2], wt.Shape[3]
	if beta.Shape[0] != cout || mean.Shape[0] != cout || variance.Shape[0] != cout {
		sc.UpdateErr("inception", fmt.Errorf("%s: batch norm sizes %v %v %v do not match %d output channels", name, beta.Shape, mean.Shape, variance.Shape, cout))
		return tf.Output{}
	}
	if c := x.Shape(); c.NumDimensions() == 4 && c.Size(3) >= 0 && c.Size(3) != cin {
		sc.UpdateErr("inception", fmt.Errorf("%s: input has %d channels, weight %v wants %d", name, c.Size(3), wt.Shape, cin))
		return tf.Output{}
	}
	ph, pw := padding.I64[0], padding.I64[0]
	if len(padding.Shape) == 1 {
		if padding.Shape[0] != 2 {
			sc.UpdateErr("inception", fmt.Errorf("%s: padding %v, want 1 or 2 values", name, padding.I64))
			return tf.Output{}
		}
		pw = padding.I64[1]
	}
	st := stride.I64[0]
	if st < 1 || ph < 0 || pw < 0 {
		sc.UpdateErr("inception", fmt.Errorf("%s: stride %d, padding %d,%d", name, st, ph, pw))
		return tf.Output{}
	}

	// Fold the batch norm: y = conv(x, W)·γ + (β − mean·γ), γ = 1/√(var+eps).
	kernel := make([]float32, kh*kw*cin*cout) // HWIO
	bias := make([]float32, cout)
	for o := int64(0); o < cout; o++ {
		g := 1 / math.Sqrt(float64(variance.F32[o])+bnEpsilon)
		bias[o] = float32(float64(beta.F32[o]) - float64(mean.F32[o])*g)
		for i := int64(0); i < cin; i++ {
			for y := int64(0); y < kh; y++ {
				for xx := int64(0); xx < kw; xx++ {
					v := float64(wt.F32[((o*cin+i)*kh+y)*kw+xx]) * g
					kernel[((y*kw+xx)*cin+i)*cout+o] = float32(v)
				}
			}
		}
	}
	kt, err := float32Tensor(kernel, kh, kw, cin, cout)
	if err != nil {
		sc.UpdateErr("inception", err)
		return tf.Output{}
	}
	bt, err := float32Tensor(bias, cout)
	if err != nil {
		sc.UpdateErr("inception", err)
		return tf.Output{}
	}
	pad := "VALID"
	switch {
	case ph == 0 && pw == 0:
	case st == 1 && 2*ph == kh-1 && 2*pw == kw-1:
		pad = "SAME" // the same symmetric zero padding as PyTorch's
	default:
		ps := sc.SubScope("pad")
		x = op.Pad(ps, x, op.Const(ps.SubScope("paddings"), [][]int64{{0, 0}, {ph, ph}, {pw, pw}, {0, 0}}))
	}
	y := op.Conv2D(sc, x, op.Const(sc.SubScope("kernel"), kt), []int64{1, st, st, 1}, pad)
	y = op.BiasAdd(sc, y, op.Const(sc.SubScope("bias"), bt))
	return op.Relu(sc, y)
}

func float32Tensor(v []float32, shape ...int64) (*tf.Tensor, error) {
	buf := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
	}
	return tf.ReadTensor(tf.Float, shape, bytes.NewReader(buf))
}

func maxPool(s *op.Scope, x tf.Output, stride int64, padding string) tf.Output {
	return op.MaxPool(s, x, []int64{1, 3, 3, 1}, []int64{1, stride, stride, 1}, padding)
}

// avgPool3 is PyTorch's avg_pool2d(3, stride 1, padding 1,
// count_include_pad=False): TF's SAME average pooling also divides by the
// number of non-padding elements.
func avgPool3(s *op.Scope, x tf.Output) tf.Output {
	return op.AvgPool(s, x, []int64{1, 3, 3, 1}, []int64{1, 1, 1, 1}, "SAME")
}

// maxPool3 is max_pool2d(3, stride 1, padding 1): PyTorch pads with -inf,
// TF's SAME ignores the padding; both take the max of the valid elements.
func maxPool3(s *op.Scope, x tf.Output) tf.Output { return maxPool(s, x, 1, "SAME") }

func concat(s *op.Scope, xs ...tf.Output) tf.Output {
	return op.ConcatV2(s, xs, op.Const(s.SubScope("axis"), int32(3)))
}

// inceptionA is pytorch-fid's FIDInceptionA (Mixed_5b/c/d).
func (b *builder) inceptionA(s *op.Scope, name string, x tf.Output) tf.Output {
	b0 := b.conv(s, name+".conv", x)
	b1 := b.conv(s, name+".tower.conv_1", b.conv(s, name+".tower.conv", x))
	b2 := b.conv(s, name+".tower_1.conv", x)
	b2 = b.conv(s, name+".tower_1.conv_2", b.conv(s, name+".tower_1.conv_1", b2))
	b3 := b.conv(s, name+".tower_2.conv", avgPool3(s.SubScope(name+"/tower_2/pool"), x))
	return concat(s.SubScope(name+"/concat"), b0, b1, b2, b3)
}

// inceptionB is torchvision's InceptionB (Mixed_6a).
func (b *builder) inceptionB(s *op.Scope, name string, x tf.Output) tf.Output {
	b0 := b.conv(s, name+".conv", x)
	b1 := b.conv(s, name+".tower.conv", x)
	b1 = b.conv(s, name+".tower.conv_2", b.conv(s, name+".tower.conv_1", b1))
	b2 := maxPool(s.SubScope(name+"/pool"), x, 2, "VALID")
	return concat(s.SubScope(name+"/concat"), b0, b1, b2)
}

// inceptionC is pytorch-fid's FIDInceptionC (Mixed_6b..e).
func (b *builder) inceptionC(s *op.Scope, name string, x tf.Output) tf.Output {
	b0 := b.conv(s, name+".conv", x)
	b1 := b.conv(s, name+".tower.conv", x)
	b1 = b.conv(s, name+".tower.conv_2", b.conv(s, name+".tower.conv_1", b1))
	b2 := b.conv(s, name+".tower_1.conv", x)
	for _, c := range []string{"conv_1", "conv_2", "conv_3", "conv_4"} {
		b2 = b.conv(s, name+".tower_1."+c, b2)
	}
	b3 := b.conv(s, name+".tower_2.conv", avgPool3(s.SubScope(name+"/tower_2/pool"), x))
	return concat(s.SubScope(name+"/concat"), b0, b1, b2, b3)
}

// inceptionD is torchvision's InceptionD (Mixed_7a).
func (b *builder) inceptionD(s *op.Scope, name string, x tf.Output) tf.Output {
	b0 := b.conv(s, name+".tower.conv_1", b.conv(s, name+".tower.conv", x))
	b1 := b.conv(s, name+".tower_1.conv", x)
	for _, c := range []string{"conv_1", "conv_2", "conv_3"} {
		b1 = b.conv(s, name+".tower_1."+c, b1)
	}
	b2 := maxPool(s.SubScope(name+"/pool"), x, 2, "VALID")
	return concat(s.SubScope(name+"/concat"), b0, b1, b2)
}

// inceptionE is pytorch-fid's FIDInceptionE_1 (Mixed_7b, average pool) or
// FIDInceptionE_2 (Mixed_7c, max pool).
func (b *builder) inceptionE(s *op.Scope, name string, x tf.Output, pool func(*op.Scope, tf.Output) tf.Output) tf.Output {
	b0 := b.conv(s, name+".conv", x)
	a := b.conv(s, name+".tower_conv", x)
	a1 := b.conv(s, name+".tower_mixed_conv", a)
	a2 := b.conv(s, name+".tower_mixed_conv_1", a)
	c := b.conv(s, name+".tower_1_conv_1", b.conv(s, name+".tower_1_conv", x))
	c1 := b.conv(s, name+".tower_1_mixed_conv", c)
	c2 := b.conv(s, name+".tower_1_mixed_conv_1", c)
	d := b.conv(s, name+".tower_2_conv", pool(s.SubScope(name+"/tower_2_pool"), x))
	return concat(s.SubScope(name+"/concat"), b0, a1, a2, c1, c2, d)
}
