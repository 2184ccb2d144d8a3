package chart

import (
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	blue      = color.RGBA{B: 180, A: 255}
	red       = color.RGBA{R: 180, A: 255}
	teal      = color.RGBA{G: 90, B: 160, A: 255}
	histFill  = color.RGBA{R: 120, G: 160, B: 220, A: 255}
	markColor = color.RGBA{R: 200, G: 110, A: 255}
	palette   = []color.Color{
		color.RGBA{R: 200, G: 30, B: 30, A: 255},
		color.RGBA{G: 140, B: 60, A: 255},
		color.RGBA{R: 120, G: 60, B: 160, A: 255},
	}
)

// newPanel is a plot with the figure's type sizes: a short panel title
// (the server and the definition are said once, above the row), axis
// labels and a grid. notes, if any, go on a second title line in a
// smaller size, where a reader looks before trusting the picture.
func newPanel(title, xlabel, ylabel string, notes ...string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	if len(notes) > 0 {
		p.Title.Text += "\n" + strings.Join(notes, "; ")
	}
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Size = vg.Points(9)
		a.Tick.Marker = numberTicks{}
	}
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	return p
}

// setLinear fixes a linear axis to [lo, hi] after linearRange, so that
// gonum's own widening (which is what drives a log axis below zero) never
// applies.
func setLinear(a *plot.Axis, lo, hi, pad float64) {
	a.Min, a.Max = linearRange(lo, hi, pad)
}

// setLog makes a a log axis over [lo, hi] (both > 0, widened by
// logRange). The panel plots log10 of its data on it (see log10Ticks), so
// gonum's LogScale is never used: it panics on any value ≤ 0 that reaches
// it, and it centres the axis label on the arithmetic midpoint of the
// range, which on a log axis is near the top, pushing the panel down.
func setLog(a *plot.Axis, lo, hi float64, duration bool) {
	l, h := logRange(lo, hi)
	a.Min, a.Max = math.Log10(l), math.Log10(h)
	a.Tick.Marker = log10Ticks{logTicks{duration: duration}}
}

// textStyle is the figure's text at size points.
func textStyle(size float64, xa draw.XAlignment, ya draw.YAlignment) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(size)),
		XAlign:  xa,
		YAlign:  ya,
		Handler: plot.DefaultTextHandler,
	}
}

// clip shortens s to at most n runes, so that a server with fifty Host
// names does not run its label off the page.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// scatter is a plotter.Scatter of pts in col; pts are drawable by then.
func scatter(pts plotter.XYs, col color.Color, radius float64) *plotter.Scatter {
	sc := &plotter.Scatter{XYs: pts, GlyphStyle: draw.GlyphStyle{Color: col, Radius: vg.Points(radius), Shape: draw.CircleGlyph{}}}
	return sc
}

// line is a plotter.Line of pts in col.
func line(pts plotter.XYs, col color.Color, width float64) *plotter.Line {
	return &plotter.Line{XYs: pts, LineStyle: draw.LineStyle{Color: col, Width: vg.Points(width)}}
}
