// Package chart draws pcapmeter's figures with gonum/plot: per-server
// latency panels (histogram with fitted densities, CDF, log-log tail,
// latency over time) and the trace summary's CDFs. It is its own package so
// that the measurement and the text reports do not depend on the plotting
// stack, and so that every figure is made the same way for SVG and PNG.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Density is a fitted model drawn over the histogram.
type Density struct {
	Name string
	PDF  func(float64) float64
}

// LatencySet is one server's latencies for the latency page.
type LatencySet struct {
	Title   string    // e.g. "10.0.0.5:80, ttfb (request first byte -> response first byte)"
	Unit    string    // "s"
	Samples []float64 // latencies, in any order
	Times   []float64 // when each request began, seconds since the capture's first request
	// TimeSamples are the latencies parallel to Times (Samples may be
	// sorted); empty means Samples is parallel to Times.
	TimeSamples []float64
	Densities   []Density // first: the exponential model; then the best fit
}

// MaxRows bounds a latency page: the busiest servers only.
const MaxRows = 8

// Format is the output format chosen from a file name.
func Format(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		return "svg", nil
	case ".png":
		return "png", nil
	}
	return "", fmt.Errorf("plot file %q: give a name ending in .svg or .png", path)
}

// LatencyPage writes one row of four panels per set to path.
func LatencyPage(path string, sets []LatencySet) error {
	if len(sets) > MaxRows {
		sets = sets[:MaxRows]
	}
	rows := make([][]*plot.Plot, len(sets))
	for i, s := range sets {
		h, err := histogram(s)
		if err != nil {
			return err
		}
		rows[i] = []*plot.Plot{h, cdf(s), tail(s), overTime(s)}
	}
	return save(path, rows, 17*vg.Inch, vg.Length(len(sets))*4.2*vg.Inch)
}

// Sample is one named sample for the summary page's CDFs.
type Sample struct {
	Title, XLabel string
	Values        []float64
	LogX          bool
}

// CDFPage writes one CDF panel per sample, side by side.
func CDFPage(path string, samples []Sample) error {
	row := make([]*plot.Plot, len(samples))
	for i, s := range samples {
		p := plot.New()
		p.Title.Text = s.Title
		p.X.Label.Text = s.XLabel
		p.Y.Label.Text = "fraction of packets ≤ x"
		pts := ecdf(s.Values, s.LogX)
		if len(pts) > 0 {
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color = color.RGBA{B: 180, A: 255}
			p.Add(l)
		}
		if s.LogX && len(pts) > 0 {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = ticks125{}
		}
		p.Add(plotter.NewGrid())
		row[i] = p
	}
	return save(path, [][]*plot.Plot{row}, vg.Length(len(samples))*4*vg.Inch, 3.5*vg.Inch)
}

func save(path string, rows [][]*plot.Plot, w, h vg.Length) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	var dc draw.Canvas
	switch format {
	case "svg":
		sc := vgsvg.New(w, h)
		dc, c = draw.New(sc), sc
	default:
		ic := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))}
		dc, c = draw.New(ic), ic
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		for j, p := range rows[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var palette = []color.Color{
	color.RGBA{R: 200, G: 30, B: 30, A: 255},
	color.RGBA{G: 140, B: 60, A: 255},
	color.RGBA{R: 120, G: 60, B: 160, A: 255},
}

func histogram(s LatencySet) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Latency histogram\n" + s.Title
	p.X.Label.Text = "latency (" + s.Unit + ")"
	p.Y.Label.Text = "density (1/" + s.Unit + ")"
	if len(s.Samples) == 0 {
		return p, nil
	}
	bins := int(math.Min(60, math.Max(1, math.Ceil(math.Sqrt(float64(len(s.Samples)))))))
	h, err := plotter.NewHist(plotter.Values(s.Samples), bins)
	if err != nil {
		return nil, err
	}
	h.Normalize(1)
	h.FillColor = color.RGBA{R: 120, G: 160, B: 220, A: 255}
	p.Add(h)
	top, hi := 0.0, 0.0
	for _, b := range h.Bins {
		top, hi = math.Max(top, b.Weight), math.Max(hi, b.Max)
	}
	for i, d := range s.Densities {
		f := plotter.NewFunction(d.PDF)
		f.XMin, f.XMax = hi/1000, hi
		f.Samples = 300
		f.Color = palette[i%len(palette)]
		f.Width = vg.Points(1.5)
		if i > 0 {
			f.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(f)
		p.Legend.Add(d.Name, f)
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max = 0, hi
	// A model's density can shoot up near 0 (Pareto, a lognormal with a
	// small σ); the histogram decides the scale.
	p.Y.Min, p.Y.Max = 0, top*1.3
	return p, nil
}

// ecdf returns the empirical CDF as a step line (at most ~2000 points, so
// a million samples still draw quickly).
func ecdf(xs []float64, positiveOnly bool) plotter.XYs {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !positiveOnly || x > 0 {
			v = append(v, x)
		}
	}
	sort.Float64s(v)
	n := len(v)
	if n == 0 {
		return nil
	}
	step := max(1, n/2000)
	var pts plotter.XYs
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: v[i], Y: float64(i+1) / float64(n)})
	}
	if pts[len(pts)-1].Y != 1 {
		pts = append(pts, plotter.XY{X: v[n-1], Y: 1})
	}
	return pts
}

func cdf(s LatencySet) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Empirical CDF\n" + s.Title
	p.X.Label.Text = "latency (" + s.Unit + ")"
	p.Y.Label.Text = "fraction of requests ≤ x"
	if pts := ecdf(s.Samples, false); len(pts) > 0 {
		l, _ := plotter.NewLine(pts)
		l.Color = color.RGBA{B: 180, A: 255}
		p.Add(l)
	}
	p.Add(plotter.NewGrid())
	return p
}

// tail draws the complementary CDF on log-log axes: a straight line is a
// power law, a bend downward a lighter tail.
func tail(s LatencySet) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Tail: P(latency > x), log-log\n" + s.Title
	p.X.Label.Text = "latency (" + s.Unit + ")"
	p.Y.Label.Text = "fraction of requests > x"
	pts := ecdf(s.Samples, true)
	var cc plotter.XYs
	for _, pt := range pts {
		if y := 1 - pt.Y; y > 0 {
			cc = append(cc, plotter.XY{X: pt.X, Y: y})
		}
	}
	if len(cc) > 0 {
		sc, _ := plotter.NewScatter(cc)
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Color = color.RGBA{R: 180, A: 255}
		p.Add(sc)
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = ticks125{}, ticks125{}
	}
	return p
}

func overTime(s LatencySet) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Latency over capture time\n" + s.Title
	p.X.Label.Text = "request time since first request (s)"
	p.Y.Label.Text = "latency (" + s.Unit + ")"
	ys := s.TimeSamples
	if len(ys) == 0 {
		ys = s.Samples
	}
	n := min(len(ys), len(s.Times))
	if n > 0 {
		step := max(1, n/5000)
		var pts plotter.XYs
		for i := 0; i < n; i += step {
			pts = append(pts, plotter.XY{X: s.Times[i], Y: ys[i]})
		}
		sc, _ := plotter.NewScatter(pts)
		sc.GlyphStyle.Radius = vg.Points(1.2)
		sc.GlyphStyle.Color = color.RGBA{G: 90, B: 160, A: 255}
		p.Add(sc)
	}
	p.Add(plotter.NewGrid())
	return p
}

// ticks125 labels a log axis at 1, 2 and 5 times each power of ten, so an
// axis spanning less than a decade still gets labels (gonum's LogTicks
// labels powers of ten only).
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	var ts []plot.Tick
	wide := math.Log10(hi/lo) > 2 // then 2 and 5 are minor, unlabelled
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				t := plot.Tick{Value: v}
				if m == 1 || !wide {
					t.Label = strconv.FormatFloat(v, 'g', 3, 64)
				}
				ts = append(ts, t)
			}
		}
	}
	return ts
}
