package chart

import (
	"math"
	"slices"
)

// maxMagnitude bounds what a panel accepts: beyond it the span of a linear
// axis (hi - lo) overflows to +Inf and every coordinate becomes NaN. No
// latency, size or time comes near it; a value that does is garbage.
const maxMagnitude = 1e300

func drawable(x float64) bool { return !math.IsNaN(x) && math.Abs(x) <= maxMagnitude }

// cleanSorted returns the drawable values of xs in ascending order and how
// many it left out. It copies only when it must: the caller's sorted
// samples (httplat keeps them sorted) are used as they are.
func cleanSorted(xs []float64) (out []float64, dropped int) {
	ok := true
	for i, x := range xs {
		if !drawable(x) || (i > 0 && x < xs[i-1]) {
			ok = false
			break
		}
	}
	if ok {
		return xs, 0
	}
	out = make([]float64, 0, len(xs))
	for _, x := range xs {
		if drawable(x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out, len(xs) - len(out)
}

// cleanPairs returns the pairs (ts[i], ys[i]) where both are drawable,
// and how many it left out (an unpaired tail counts as left out).
func cleanPairs(ts, ys []float64) (t, y []float64, dropped int) {
	n := min(len(ts), len(ys))
	dropped = max(len(ts), len(ys)) - n
	ok := true
	for i := 0; i < n; i++ {
		if !drawable(ts[i]) || !drawable(ys[i]) {
			ok = false
			break
		}
	}
	if ok {
		return ts[:n], ys[:n], dropped
	}
	for i := 0; i < n; i++ {
		if drawable(ts[i]) && drawable(ys[i]) {
			t, y = append(t, ts[i]), append(y, ys[i])
		}
	}
	return t, y, dropped + n - len(t)
}

// linearRange makes [lo, hi] a range a linear axis can draw: ordered,
// wider than rounding (all-equal samples get ±10 %, or ±1 around 0), and
// padded by pad of its width on each side.
func linearRange(lo, hi, pad float64) (float64, float64) {
	if lo > hi {
		lo, hi = hi, lo
	}
	if !(hi-lo > 1e-9*math.Max(math.Abs(lo), math.Abs(hi))) {
		d := 0.1 * math.Max(math.Abs(lo), math.Abs(hi))
		if d == 0 {
			d = 1
		}
		return lo - d, hi + d
	}
	w := hi - lo
	return lo - pad*w, hi + pad*w
}

// logRange makes [lo, hi] (both > 0) a range a log axis can draw: a
// factor of two either side when all values are equal (gonum would
// otherwise widen it by ±1, to below zero, and panic), else a little
// room at the ends.
func logRange(lo, hi float64) (float64, float64) {
	f := 1.15
	if !(hi > lo*(1+1e-9)) {
		f = 2
	}
	l, h := lo/f, hi*f
	if !(l > 0) {
		l = lo
	}
	if math.IsInf(h, 0) {
		h = hi
	}
	if !(h > l) { // lo is the smallest denormal and equal to hi
		h = math.Nextafter(l, math.Inf(1)) * 4
	}
	return l, h
}
