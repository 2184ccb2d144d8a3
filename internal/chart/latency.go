package chart

import (
	"fmt"
	"math"
	"sort"

	"github.com/pcapmeter/pcapmeter/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// server is one server's data after cleaning, with the x range that the
// histogram and the CDF share.
type server struct {
	Server
	sorted      []float64 // drawable latencies, ascending
	times, lats []float64 // drawable (time, latency) pairs
	dropped     int       // latencies left out as NaN, ±Inf or absurd
	lo, hi      float64   // histogram and CDF range, seconds
	above       int       // samples beyond hi, shown only in the tail
}

// The histogram and the CDF cut their x axis at the 99.5th percentile
// when the last half percent stretches it more than clipStretch times (one
// 30 s outlier among 10 ms answers would squash the body into one bar);
// the tail and over-time panels always show everything.
const (
	clipPercentile = 99.5
	clipStretch    = 3
	clipMinSamples = 200
)

func newServer(s Server) *server {
	c := &server{Server: s}
	c.sorted, c.dropped = cleanSorted(s.Sorted)
	c.times, c.lats, _ = cleanPairs(s.Times, s.TimeLatencies)
	if n := len(c.sorted); n > 0 {
		c.lo, c.hi = c.sorted[0], c.sorted[n-1]
		if n >= clipMinSamples {
			q := c.percentile(clipPercentile)
			if q > c.lo && c.hi-c.lo > clipStretch*(q-c.lo) {
				c.hi = q
				c.above = n - sort.Search(n, func(i int) bool { return c.sorted[i] > q })
			}
		}
	}
	return c
}

// percentile is the nearest-rank percentile, the definition of the text
// report, so that the marks agree with its numbers.
func (c *server) percentile(p float64) float64 {
	return c.sorted[stats.NearestRank(p, len(c.sorted))-1]
}

func (c *server) clipNote() []string {
	if c.above == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d above %s not shown; see the tail", c.above, fmtDuration(c.hi))}
}

func histogramPanel(c *server) *plot.Plot {
	u := latencyUnit(math.Max(math.Abs(c.lo), math.Abs(c.hi)))
	p := newPanel("Histogram", "latency ("+u.name+")", "density (1/"+u.name+")", c.clipNote()...)
	n := len(c.sorted)
	if n == 0 {
		return p
	}
	inView := n - c.above
	bins := min(60, max(1, int(math.Ceil(math.Sqrt(float64(inView))))))
	lo, width := c.lo/u.scale, (c.hi-c.lo)/u.scale/float64(bins)
	if !(width > 0) { // all samples equal: one bar a tenth of their value wide
		bins, width = 1, math.Abs(lo)*0.2
		if width == 0 {
			width = 1
		}
		lo -= width / 2
	}
	h := &plotter.Histogram{Bins: make([]plotter.HistogramBin, bins), Width: width, FillColor: histFill,
		LineStyle: draw.LineStyle{Color: blue, Width: vg.Points(0.5)}}
	for i := range h.Bins {
		h.Bins[i].Min, h.Bins[i].Max = lo+float64(i)*width, lo+float64(i+1)*width
	}
	// Density over all n samples, so the bars and a model's density
	// compare even when the axis is cut.
	for _, x := range c.sorted[:inView] {
		b := min(bins-1, max(0, int((x/u.scale-lo)/width)))
		h.Bins[b].Weight += 1 / (float64(n) * width)
	}
	p.Add(h)
	top := 0.0
	for _, b := range h.Bins {
		top = math.Max(top, b.Weight)
	}
	addDensities(p, c.Densities, h.Bins[0].Min, h.Bins[bins-1].Max, u, top)
	p.Legend.Top = true
	setLinear(&p.X, h.Bins[0].Min, h.Bins[bins-1].Max, 0.02)
	// A model's density can shoot up near 0 (Pareto, a lognormal with a
	// small σ); the histogram decides the scale.
	p.Y.Min, p.Y.Max = 0, top*1.3
	return p
}

// addDensities draws each model's density over [lo, hi] (display units),
// skipping what a model cannot say (NaN, ±Inf, negative) and capping the
// rest a little above the panel so that the canvas clips it cleanly.
func addDensities(p *plot.Plot, ds []Density, lo, hi float64, u unit, top float64) {
	const samples = 300
	for i, d := range ds {
		if d.PDF == nil {
			continue
		}
		var pts plotter.XYs
		for k := 0; k <= samples; k++ {
			x := lo + (hi-lo)*float64(k)/samples
			y := d.PDF(x*u.scale) * u.scale
			if drawable(y) && y >= 0 {
				pts = append(pts, plotter.XY{X: x, Y: math.Min(y, 2*top)})
			}
		}
		if len(pts) < 2 {
			continue
		}
		l := line(pts, palette[i%len(palette)], 1.5)
		if i > 0 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(d.Name, l)
	}
}

// cdfRes is how finely the CDF and the tail are kept: 1/1000 of the
// panel, finer than a pixel of a four-inch panel at 96 dpi.
const cdfRes = 1000

func cdfPanel(c *server) *plot.Plot {
	u := latencyUnit(math.Max(math.Abs(c.lo), math.Abs(c.hi)))
	p := newPanel("CDF", "latency ("+u.name+")", "fraction of requests ≤ x", c.clipNote()...)
	n := len(c.sorted)
	if n == 0 {
		return p
	}
	idx := thinCurve(n, cdfRes, func(i int) (float64, float64) {
		return c.sorted[i] / u.scale, float64(i+1) / float64(n)
	})
	pts := make(plotter.XYs, 0, len(idx)+1)
	pts = append(pts, plotter.XY{X: c.sorted[0] / u.scale, Y: 0})
	for _, i := range idx {
		pts = append(pts, plotter.XY{X: c.sorted[i] / u.scale, Y: float64(i+1) / float64(n)})
	}
	l := line(pts, blue, 1.2)
	l.StepStyle = plotter.PostStep
	p.Add(l)
	markPercentiles(p, c.sorted, func(v float64) float64 { return v / u.scale }, fmtDuration, false)
	setLinear(&p.X, c.lo/u.scale, c.hi/u.scale, 0.02)
	p.Y.Min, p.Y.Max = 0, 1.02
	return p
}

// markPercentiles marks p50 and p99 of sorted on a CDF with a dashed drop
// line and a dot, named with their values (format) in the legend, lower
// right, where an ECDF leaves room. x places a value on the x axis; on a
// log axis (positive) a percentile ≤ 0 has no place and is left unmarked.
func markPercentiles(p *plot.Plot, sorted []float64, x func(float64) float64, format func(float64) string, positive bool) {
	n := len(sorted)
	for k, q := range []float64{50, 99} {
		r := stats.NearestRank(q, n)
		v, y := sorted[r-1], float64(r)/float64(n)
		if positive && !(v > 0) {
			continue
		}
		drop := line(plotter.XYs{{X: x(v), Y: 0}, {X: x(v), Y: y}}, markColor, 1)
		drop.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		dot := scatter(plotter.XYs{{X: x(v), Y: y}}, markColor, 2.5)
		if k == 1 {
			dot.GlyphStyle.Shape = draw.TriangleGlyph{}
		}
		p.Add(drop, dot)
		p.Legend.Add(fmt.Sprintf("p%g = %s", q, format(v)), drop, dot)
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(6)
}
