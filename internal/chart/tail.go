package chart

import (
	"fmt"
	"math"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// tailPanel draws P(latency ≥ x) on log-log axes: a straight line is a
// power law, a bend downward a lighter tail. "≥" rather than ">" gives
// the largest sample 1/n instead of 0, which a log axis cannot show, so
// the maximum is the last point drawn. Latencies ≤ 0 cannot be placed on
// a log axis; they still count in n and the panel says how many there are.
func tailPanel(c *server) *plot.Plot {
	n := len(c.sorted)
	first := sort.Search(n, func(i int) bool { return c.sorted[i] > 0 })
	var notes []string
	if first > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d latencies ≤ 0 not on the log axes", first, n))
	}
	p := newPanel("Tail: P(latency ≥ x), log-log", "latency", "fraction of requests ≥ x", notes...)
	pts := tailPoints(c.sorted[first:], n)
	if len(pts) == 0 {
		p.HideAxes()
		return p
	}
	setLog(&p.X, pts[0].X, pts[len(pts)-1].X, true)
	setLog(&p.Y, pts[len(pts)-1].Y, pts[0].Y, false)
	logged := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		logged[i] = plotter.XY{X: math.Log10(pt.X), Y: math.Log10(pt.Y)}
	}
	p.Add(scatter(logged, red, 1.5))
	return p
}

// tailPoints are the thinned points (x, P(X ≥ x)) of the positive
// latencies pos, ascending, out of n samples in all; the last is the
// maximum at 1/n.
func tailPoints(pos []float64, n int) plotter.XYs {
	first := n - len(pos)
	rank := func(i int) float64 { return float64(n-first-i) / float64(n) }
	idx := thinCurve(len(pos), cdfRes, func(i int) (float64, float64) {
		return math.Log(pos[i]), math.Log(rank(i))
	})
	pts := make(plotter.XYs, len(idx))
	for k, i := range idx {
		pts[k] = plotter.XY{X: pos[i], Y: rank(i)}
	}
	return pts
}

// timeAxis is the x axis that every time panel of a figure shares, so
// that the rows of a browsing capture (servers active at different times)
// line up on one timeline, in a unit that suits its span.
type timeAxis struct {
	origin, span float64 // seconds on the capture clock
	u            unit
	label        string
}

func newTimeAxis(servers []*server) timeAxis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range servers {
		for _, t := range s.times {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	// A rate bucket is aligned to its interval, so the first one usually
	// begins before the first request: the origin stays the first request
	// (the label says so) and the bucket is drawn cut at it.
	requests := lo <= hi
	for _, s := range servers {
		if r := s.Rate; r != nil && r.usable() {
			if !requests {
				lo = math.Min(lo, r.Start)
			}
			hi = math.Max(hi, r.Start+r.Interval*float64(r.len()))
		}
	}
	if lo > hi {
		lo, hi = 0, 0
	}
	a := timeAxis{origin: lo, span: hi - lo, u: spanUnit(hi - lo)}
	a.label = "time since the first request"
	// Times are Unix seconds (the capture clock); a clock time lets the
	// reader match the picture with other logs. 0 is what a caller passes
	// that has made the times relative already.
	if lo != 0 && math.Abs(lo) < 1e11 {
		sec, frac := math.Modf(lo)
		at := time.Unix(int64(sec), int64(frac*1e9)).UTC()
		a.label += ", " + at.Format("2006-01-02 15:04:05 UTC")
	}
	a.label += " (" + a.u.name + ")"
	return a
}

func (a timeAxis) x(t float64) float64 { return (t - a.origin) / a.u.scale }

func (a timeAxis) set(ax *plot.Axis) { setLinear(ax, 0, a.span/a.u.scale, 0.01) }

// overTimeRes bounds the points of a scatter over time: the lowest and
// highest of each of overTimeBuckets slices of the axis, and every k-th
// point up to overTimeTarget.
const (
	overTimeBuckets = 1000
	overTimeTarget  = 4000
)

func overTimePanel(c *server, ta timeAxis) *plot.Plot {
	lo, hi := 0.0, 0.0
	for i, y := range c.lats {
		if i == 0 || y < lo {
			lo = y
		}
		if i == 0 || y > hi {
			hi = y
		}
	}
	u := latencyUnit(math.Max(math.Abs(lo), math.Abs(hi)))
	var notes []string
	if len(c.lats) == 0 && len(c.sorted) > 0 {
		notes = append(notes, "no request times given")
	}
	p := newPanel("Latency over time", ta.label, "latency ("+u.name+")", notes...)
	ta.set(&p.X)
	if len(c.lats) == 0 {
		p.HideY()
		return p
	}
	p.Add(scatter(overTimePoints(c.times, c.lats, ta, u), teal, 1.2))
	setLinear(&p.Y, math.Min(0, lo/u.scale), hi/u.scale, 0.03)
	if lo >= 0 && hi > 0 {
		p.Y.Min = 0 // latencies start at zero; padding below it reads as negative time
	}
	return p
}

// overTimePoints are the thinned (time, latency) points in axis units,
// every bucket's lowest and highest among them.
func overTimePoints(times, lats []float64, ta timeAxis, u unit) plotter.XYs {
	idx := thinScatter(times, lats, overTimeBuckets, overTimeTarget)
	pts := make(plotter.XYs, len(idx))
	for k, i := range idx {
		pts[k] = plotter.XY{X: ta.x(times[i]), Y: lats[i] / u.scale}
	}
	return pts
}
