package chart

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Density is a fitted model drawn over the histogram. PDF takes and
// returns per-second values (a latency in seconds, a density in 1/s).
type Density struct {
	Name string
	PDF  func(float64) float64
}

// Server is one server's data for the latency page, as the caller keeps
// it (httplat.ServerResult): nothing needs converting or copying.
type Server struct {
	// Label names the server once, above its panels, e.g.
	// "10.0.0.5:80 (example.com)". The page adds n, p50, p99 and max.
	Label string
	// Sorted holds the latencies in seconds, ascending
	// (ServerResult.Samples[def]). Unsorted input is sorted on a copy.
	Sorted []float64
	// Times holds when each request began, Unix seconds (ServerResult.Times),
	// and TimeLatencies its latency (ServerResult.TimeSamples); they drive
	// the latency-over-time panel. Empty: that panel says so.
	Times, TimeLatencies []float64
	// Densities are drawn over the histogram: first the exponential model
	// of the KL figure, then the best fit.
	Densities []Density
	// Rate, if set, adds the requests/s and bytes/s panels.
	Rate *Rate
}

// LatencyFigure is the latency page: a title said once, then one block of
// panels per server, the busiest MaxServers of them.
type LatencyFigure struct {
	// Title is the page title, e.g. "HTTP latency: ttfb (request first
	// byte → response first byte) · capture.pcapng".
	Title   string
	Servers []Server
}

// MaxServers bounds a latency page: the busiest servers only (the title
// says how many were left out).
const MaxServers = 8

// Page geometry: panels about four inches wide, as tall as they need.
const (
	pageWidth  = 16 * vg.Inch
	titleBand  = 0.6 * vg.Inch
	labelBand  = 0.4 * vg.Inch
	rowHeight  = 3.4 * vg.Inch
	labelRunes = 190
)

// Write draws the figure into path (.svg or .png). A figure with no
// server that has a sample is still written, saying so, so that a script
// expecting the file finds one; the caller warns. The file is replaced
// atomically.
func (f LatencyFigure) Write(path string) error {
	b, err := f.Encode(path)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

// Encode draws the figure and returns the file's bytes, in the format
// name's extension asks for, for a caller that writes the file itself.
func (f LatencyFigure) Encode(name string) ([]byte, error) {
	return encode(name, func() ([]byte, error) { return f.encode(name) })
}

func (f LatencyFigure) encode(path string) ([]byte, error) {
	servers, title := f.pick()
	ta := newTimeAxis(servers)
	blocks := make([][][]*plot.Plot, len(servers))
	h := titleBand
	for i, s := range servers {
		blocks[i] = serverRows(s, ta)
		h += labelBand + vg.Length(len(blocks[i]))*rowHeight
	}
	if len(servers) == 0 {
		h += labelBand
	}
	return render(path, pageWidth, h, func(dc draw.Canvas) {
		top := pageTitle(dc, title)
		if len(servers) == 0 {
			dc.FillText(textStyle(12, draw.XCenter, draw.YTop), vg.Point{X: pageWidth / 2, Y: top}, "no matched exchange to draw")
		}
		for i, s := range servers {
			top = drawBlock(dc, top, serverLabel(s), blocks[i])
		}
	})
}

// pick cleans the servers with samples and keeps the busiest MaxServers in
// the caller's order; the title says what was left out.
func (f LatencyFigure) pick() ([]*server, string) {
	title := f.Title
	if title == "" {
		title = "Latency"
	}
	var all []*server
	for _, s := range f.Servers {
		if c := newServer(s); len(c.sorted) > 0 {
			all = append(all, c)
		}
	}
	var notes []string
	if k := len(f.Servers) - len(all); k > 0 && len(all) > 0 {
		notes = append(notes, fmt.Sprintf("%d without a matched exchange not drawn", k))
	}
	if len(all) > MaxServers {
		busiest := slices.Clone(all)
		slices.SortStableFunc(busiest, func(a, b *server) int { return cmp.Compare(len(b.sorted), len(a.sorted)) })
		busiest = busiest[:MaxServers]
		all = slices.DeleteFunc(all, func(s *server) bool { return !slices.Contains(busiest, s) })
		notes = append(notes, fmt.Sprintf("the busiest %d of %d servers", MaxServers, len(f.Servers)))
	}
	for _, n := range notes {
		title += " · " + n
	}
	return all, title
}

// serverRows lays out one server's panels: one row of four without a rate
// series, else two rows of three (distribution above, time below).
func serverRows(s *server, ta timeAxis) [][]*plot.Plot {
	dist := []*plot.Plot{histogramPanel(s), cdfPanel(s), tailPanel(s)}
	over := overTimePanel(s, ta)
	if s.Rate == nil {
		return [][]*plot.Plot{append(dist, over)}
	}
	second := append([]*plot.Plot{over}, ratePanels(s.Rate, ta)...)
	for len(second) < len(dist) {
		second = append(second, nil)
	}
	return [][]*plot.Plot{dist, second}
}

// serverLabel is the line above a server's panels: who, how many, and
// the figures a reader checks the picture against.
func serverLabel(s *server) string {
	l := fmt.Sprintf("%s · n = %d · p50 %s · p99 %s · max %s", s.Label, len(s.sorted),
		fmtDuration(s.percentile(50)), fmtDuration(s.percentile(99)), fmtDuration(s.sorted[len(s.sorted)-1]))
	if s.dropped > 0 {
		l += fmt.Sprintf(" · %d NaN or infinite latencies left out", s.dropped)
	}
	return clip(l, labelRunes)
}

// pageTitle draws the title at the top of the page and returns where the
// content below it starts.
func pageTitle(dc draw.Canvas, title string) vg.Length {
	top := dc.Max.Y
	dc.FillText(textStyle(15, draw.XCenter, draw.YTop), vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top - 0.15*vg.Inch}, clip(title, 150))
	return top - titleBand
}

// drawBlock draws a label and a grid of panels below top, aligned with
// one another, and returns the bottom of the block.
func drawBlock(dc draw.Canvas, top vg.Length, label string, rows [][]*plot.Plot) vg.Length {
	rule := draw.LineStyle{Color: color.Gray{Y: 170}, Width: vg.Points(0.5)}
	dc.StrokeLine2(rule, dc.Min.X+0.2*vg.Inch, top, dc.Max.X-0.2*vg.Inch, top)
	dc.FillText(textStyle(12.5, draw.XLeft, draw.YTop), vg.Point{X: dc.Min.X + 0.25*vg.Inch, Y: top - 0.1*vg.Inch}, label)
	bottom := top - labelBand - vg.Length(len(rows))*rowHeight
	sub := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: dc.Min.X, Y: bottom}, Max: vg.Point{X: dc.Max.X, Y: top - labelBand},
	}}
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: 6 * vg.Millimeter, PadY: 8 * vg.Millimeter,
		PadTop: 1 * vg.Millimeter, PadBottom: 3 * vg.Millimeter, PadLeft: 3 * vg.Millimeter, PadRight: 5 * vg.Millimeter}
	canvases := plot.Align(rows, tiles, sub)
	for i := range rows {
		for j, p := range rows[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	return bottom
}
