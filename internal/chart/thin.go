package chart

import "math"

// A figure with a million points per panel is slow to draw and no better
// to read than one with a few thousand, so the panels thin their points.
// Thinning must never drop an extreme: the maximum latency is what a
// reader of the tail and the over-time panels looks for first.

// thinCurve picks the points of a monotone curve (a CDF or a tail) worth
// drawing: the first and the last always, and in between every point that
// has moved at least 1/res of the curve's span along either axis since the
// last one kept. As the curve is monotone in both coordinates, that keeps
// at most about 2·res points, however many samples there are, and keeps
// every point where the curve turns. pt gives point i in drawing space
// (the logarithm, on a log axis).
func thinCurve(n, res int, pt func(int) (x, y float64)) []int {
	if n <= 2*res {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	x0, y0 := pt(0)
	x1, y1 := pt(n - 1)
	step := func(a, b float64) float64 {
		if d := math.Abs(b-a) / float64(res); d > 0 {
			return d
		}
		return math.Inf(1)
	}
	dx, dy := step(x0, x1), step(y0, y1)
	idx := []int{0}
	lx, ly := x0, y0
	for i := 1; i < n-1; i++ {
		x, y := pt(i)
		if math.Abs(x-lx) >= dx || math.Abs(y-ly) >= dy {
			idx = append(idx, i)
			lx, ly = x, y
		}
	}
	return append(idx, n-1)
}

// thinScatter picks the points of a scatter (latency over time, a rate
// series) worth drawing when there are more than target: in each of
// buckets equal slices of the x range the lowest and the highest y, so
// that no spike and no dip is lost (the global extremes among them), and
// besides every stride-th point, so the bulk still shows where most points
// lie. The indices come back ascending.
func thinScatter(xs, ys []float64, buckets, target int) []int {
	n := min(len(xs), len(ys))
	if n <= target {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs[:n] {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	lowest := make([]int, buckets)
	highest := make([]int, buckets)
	for b := range lowest {
		lowest[b], highest[b] = -1, -1
	}
	width := hi - lo
	for i := 0; i < n; i++ {
		b := 0
		if width > 0 {
			b = min(buckets-1, max(0, int((xs[i]-lo)/width*float64(buckets))))
		}
		if lowest[b] < 0 || ys[i] < ys[lowest[b]] {
			lowest[b] = i
		}
		if highest[b] < 0 || ys[i] > ys[highest[b]] {
			highest[b] = i
		}
	}
	keep := make([]bool, n)
	stride := (n + target - 1) / target
	for i := 0; i < n; i += stride {
		keep[i] = true
	}
	for b := range lowest {
		if lowest[b] >= 0 {
			keep[lowest[b]], keep[highest[b]] = true, true
		}
	}
	var idx []int
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	return idx
}
