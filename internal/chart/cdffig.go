package chart

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sample is one panel of a CDFFigure: the empirical CDF of Values.
type Sample struct {
	Title  string // the panel's own title, e.g. "Packet sizes"
	XLabel string // what x is, without a unit when Duration
	// Values in any order; NaN and ±Inf are left out (the panel says so).
	Values []float64
	// LogX draws x on a log axis; values ≤ 0 cannot be placed there but
	// still count in the fraction, so the curve starts above 0.
	LogX bool
	// Duration says Values are seconds: ticks and marks then read in
	// µs, ms, s, min, h, d or y as the span needs.
	Duration bool
}

// CDFFigure is a row of CDF panels under one title (the trace summary's
// packet sizes and inter-arrival times).
type CDFFigure struct {
	Title  string // e.g. "Trace summary · capture.pcapng"
	Panels []Sample
}

// Write draws the figure into path (.svg or .png), atomically.
func (f CDFFigure) Write(path string) error {
	b, err := f.Encode(path)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

// Encode draws the figure and returns the file's bytes, in the format
// name's extension asks for, for a caller that writes the file itself.
func (f CDFFigure) Encode(name string) ([]byte, error) {
	return encode(name, func() ([]byte, error) { return f.encode(name) })
}

func (f CDFFigure) encode(path string) ([]byte, error) {
	row := make([]*plot.Plot, len(f.Panels))
	for i, s := range f.Panels {
		row[i] = samplePanel(s)
	}
	w := vg.Length(max(1, len(row))) * 5 * vg.Inch
	h := titleBand + rowHeight
	return render(path, w, h, func(dc draw.Canvas) {
		top := dc.Max.Y
		if f.Title != "" {
			top = pageTitle(dc, f.Title)
		}
		if len(row) == 0 {
			return
		}
		sub := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Max.X, Y: top}}}
		tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: 6 * vg.Millimeter,
			PadTop: 1 * vg.Millimeter, PadBottom: 3 * vg.Millimeter, PadLeft: 3 * vg.Millimeter, PadRight: 5 * vg.Millimeter}
		cs := plot.Align([][]*plot.Plot{row}, tiles, sub)
		for j, p := range row {
			p.Draw(cs[0][j])
		}
	})
}

func samplePanel(s Sample) *plot.Plot {
	sorted, dropped := cleanSorted(s.Values)
	n := len(sorted)
	var notes []string
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d NaN or infinite values left out", dropped))
	}
	first := 0
	if s.LogX {
		first = sort.Search(n, func(i int) bool { return sorted[i] > 0 })
		if first > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d values ≤ 0 below the log axis", first, n))
		}
	}
	scale, xlabel, format := 1.0, s.XLabel, fmtNumber
	if s.Duration {
		format = fmtDuration
		if !s.LogX && n > 0 {
			u := latencyUnit(math.Max(math.Abs(sorted[0]), math.Abs(sorted[n-1])))
			scale, xlabel = u.scale, xlabel+" ("+u.name+")"
		}
	}
	p := newPanel(s.Title, xlabel, "fraction ≤ x", notes...)
	p.Y.Min, p.Y.Max = 0, 1.02
	pos := sorted[first:]
	if len(pos) == 0 {
		return p
	}
	x := func(v float64) float64 { return v / scale }
	if s.LogX {
		x = math.Log10 // see setLog
	}
	idx := thinCurve(len(pos), cdfRes, func(i int) (float64, float64) {
		return x(pos[i]), float64(first+i+1) / float64(n)
	})
	pts := plotter.XYs{{X: x(pos[0]), Y: float64(first) / float64(n)}}
	for _, i := range idx {
		pts = append(pts, plotter.XY{X: x(pos[i]), Y: float64(first+i+1) / float64(n)})
	}
	l := line(pts, blue, 1.2)
	l.StepStyle = plotter.PostStep
	p.Add(l)
	if s.LogX {
		setLog(&p.X, pos[0], pos[len(pos)-1], s.Duration)
	} else {
		setLinear(&p.X, x(pos[0]), x(pos[len(pos)-1]), 0.02)
	}
	markPercentiles(p, sorted, x, format, s.LogX)
	return p
}
