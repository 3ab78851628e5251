package inpaint

import (
	"fmt"
	"math"
)

// Laplace solves Laplace's equation on the hole pixels of a mask, with the
// known pixels as boundary values: Solve replaces every hole value of a field
// by its harmonic interpolation, the smoothest surface (least Dirichlet
// energy) that meets the known values.
//
// The discretisation is the 5-point Laplacian: for a hole pixel p with
// in-image 4-neighbours N(p),
//
//	|N(p)|·u_p − Σ_{q ∈ N(p), hole} u_q = Σ_{q ∈ N(p), known} f_q,
//
// so the image border is a natural (zero-flux) boundary. A 4-connected hole
// region that touches no known pixel (a whole-image hole) has no boundary
// values; its pixels are set to 0. The system is symmetric positive definite
// on the remaining unknowns and is solved by conjugate gradients with a
// Jacobi preconditioner, to a relative residual of 1e-10.
//
// A Laplace is built once per mask (NewLaplace) and may solve any number of
// fields (channels); it is not safe for concurrent Solve calls.
type Laplace struct {
	w, h int
	// unknown[p] is the index of hole pixel p among the unknowns, or -1.
	unknown []int32
	// pix[i] is the pixel of unknown i; deg[i] its in-image neighbour count.
	pix []int32
	deg []float64
	// nbr[4i+k] is the pixel of neighbour k of unknown i, or -1.
	nbr []int32
	// free lists hole pixels of regions without boundary values.
	free []int32
	// CG work vectors.
	x, r, z, p, ap, b []float64
}

// NewLaplace prepares the solver for mask's holes.
func NewLaplace(m *Mask) (*Laplace, error) {
	if m == nil || m.W <= 0 || m.H <= 0 || len(m.Hole) != m.W*m.H {
		return nil, fmt.Errorf("inpaint: laplace needs a non-empty mask with W*H pixels")
	}
	w, h := m.W, m.H
	l := &Laplace{w: w, h: h, unknown: make([]int32, w*h)}
	for i := range l.unknown {
		l.unknown[i] = -1
	}
	// Label 4-connected hole regions; keep those that touch a known pixel.
	seen := make([]bool, w*h)
	var stack, region []int32
	for start := range m.Hole {
		if !m.Hole[start] || seen[start] {
			continue
		}
		region = region[:0]
		bounded := false
		seen[start] = true
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			region = append(region, p)
			for _, q := range l.neighbours(int(p)) {
				if q < 0 {
					continue
				}
				if !m.Hole[q] {
					bounded = true
				} else if !seen[q] {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
		if !bounded {
			l.free = append(l.free, region...)
			continue
		}
		for _, p := range region {
			l.unknown[p] = int32(len(l.pix))
			l.pix = append(l.pix, p)
		}
	}
	n := len(l.pix)
	l.deg = make([]float64, n)
	l.nbr = make([]int32, 4*n)
	for i, p := range l.pix {
		nb := l.neighbours(int(p))
		copy(l.nbr[4*i:4*i+4], nb[:])
		for _, q := range nb {
			if q >= 0 {
				l.deg[i]++
			}
		}
	}
	l.x, l.r, l.z = make([]float64, n), make([]float64, n), make([]float64, n)
	l.p, l.ap, l.b = make([]float64, n), make([]float64, n), make([]float64, n)
	return l, nil
}

// neighbours returns the 4-neighbours of pixel p (left, right, up, down),
// -1 where the image ends.
func (l *Laplace) neighbours(p int) [4]int32 {
	x, y := p%l.w, p/l.w
	nb := [4]int32{-1, -1, -1, -1}
	if x > 0 {
		nb[0] = int32(p - 1)
	}
	if x < l.w-1 {
		nb[1] = int32(p + 1)
	}
	if y > 0 {
		nb[2] = int32(p - l.w)
	}
	if y < l.h-1 {
		nb[3] = int32(p + l.w)
	}
	return nb
}

// Unknowns returns the number of hole pixels solved for (holes in regions
// without boundary values excluded).
func (l *Laplace) Unknowns() int { return len(l.pix) }

// Solve overwrites the hole values of field (W*H values, row-major) with the
// harmonic interpolation of its known values. Known values are not changed.
func (l *Laplace) Solve(field []float64) error {
	if len(field) != l.w*l.h {
		return fmt.Errorf("inpaint: laplace field holds %d values, want %d", len(field), l.w*l.h)
	}
	for _, p := range l.free {
		field[p] = 0
	}
	n := len(l.pix)
	if n == 0 {
		return nil
	}
	// b: the known neighbours' values; x0: the mean of the boundary values
	// each unknown sees directly, else 0.
	for i := range n {
		s, c := 0.0, 0
		for _, q := range l.nbr[4*i : 4*i+4] {
			if q >= 0 && l.unknown[q] < 0 {
				s += field[q]
				c++
			}
		}
		l.b[i] = s
		l.x[i] = 0
		if c > 0 {
			l.x[i] = s / float64(c)
		}
	}
	l.apply(l.x, l.ap)
	bnorm := 0.0
	for i := range n {
		l.r[i] = l.b[i] - l.ap[i]
		bnorm += l.b[i] * l.b[i]
	}
	tol := 1e-10 * math.Sqrt(bnorm)
	if tol == 0 {
		tol = 1e-300
	}
	rz := 0.0
	for i := range n {
		l.z[i] = l.r[i] / l.deg[i]
		l.p[i] = l.z[i]
		rz += l.r[i] * l.z[i]
	}
	for it := 0; it < 10*n+100; it++ {
		if norm(l.r) <= tol {
			break
		}
		l.apply(l.p, l.ap)
		pap := dot(l.p, l.ap)
		if pap <= 0 {
			break
		}
		alpha := rz / pap
		for i := range n {
			l.x[i] += alpha * l.p[i]
			l.r[i] -= alpha * l.ap[i]
		}
		rzNew := 0.0
		for i := range n {
			l.z[i] = l.r[i] / l.deg[i]
			rzNew += l.r[i] * l.z[i]
		}
		beta := rzNew / rz
		rz = rzNew
		for i := range n {
			l.p[i] = l.z[i] + beta*l.p[i]
		}
	}
	if res := norm(l.r); res > 1e3*tol {
		return fmt.Errorf("inpaint: laplace solve did not converge (residual %.3g, tolerance %.3g)", res, tol)
	}
	for i, p := range l.pix {
		field[p] = l.x[i]
	}
	return nil
}

// apply computes out = A·v for the hole-to-hole part of the Laplacian.
func (l *Laplace) apply(v, out []float64) {
	for i := range l.pix {
		s := l.deg[i] * v[i]
		for _, q := range l.nbr[4*i : 4*i+4] {
			if q >= 0 {
				if j := l.unknown[q]; j >= 0 {
					s -= v[j]
				}
			}
		}
		out[i] = s
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }
