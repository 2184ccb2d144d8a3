package chart

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Rate is a throughput time series as the caller bins it: bucket i covers
// [Start + i·Interval, Start + (i+1)·Interval) and holds how many
// requests began in it and how many bytes they carried. The panels draw
// them per second (count / Interval), so a 10 s interval reads in the same
// unit as a 1 s one.
type Rate struct {
	Start    float64   // Unix seconds (the capture clock), like Server.Times
	Interval float64   // seconds per bucket, > 0
	Requests []float64 // requests per bucket
	Bytes    []float64 // bytes per bucket; nil draws no bytes panel
	// BytesLabel says which bytes these are, e.g. "response body bytes
	// (Content-Length)"; empty reads "bytes".
	BytesLabel string
}

func (r *Rate) usable() bool {
	return drawable(r.Start) && r.Interval > 0 && drawable(r.Interval) && r.len() > 0
}

func (r *Rate) len() int { return max(len(r.Requests), len(r.Bytes)) }

func (r *Rate) intervalText() string {
	if r.Interval == 1 {
		return "per second"
	}
	return "per second, " + fmtDurationShort(r.Interval) + " buckets"
}

// Rate series with more buckets than this (a day at 1 s is 86400) keep
// the lowest and highest of each slice of the axis, so no peak is lost.
const (
	rateBuckets = 1500
	rateTarget  = 3000
)

// ratePanel draws counts per bucket as a rate, a step per bucket.
func ratePanel(title, ylabel string, r *Rate, counts []float64, ta timeAxis, u unit) *plot.Plot {
	p := newPanel(title+" ("+r.intervalText()+")", ta.label, ylabel)
	ta.set(&p.X)
	if !r.usable() || len(counts) == 0 {
		p.Title.Text += "\nno rate series given"
		return p
	}
	pts, thinned := ratePoints(r, counts, ta, u)
	if len(pts) == 0 {
		return p
	}
	top := 0.0
	for _, pt := range pts {
		top = math.Max(top, pt.Y)
	}
	l := line(pts, teal, 1.2)
	if !thinned {
		l.StepStyle = plotter.PostStep // thinned, steps would misplace the peaks
	}
	p.Add(l)
	ta.set(&p.X) // Add widened it to a bucket begun before the first request
	p.Y.Min, p.Y.Max = 0, top*1.1
	if !(top > 0) {
		p.Y.Max = 1
	}
	return p
}

// ratePoints are the drawable (bucket start, count/Interval) points in
// axis units, closed by a point at the end of the last bucket, thinned
// (with every peak kept) when there are many.
func ratePoints(r *Rate, counts []float64, ta timeAxis, u unit) (pts plotter.XYs, thinned bool) {
	xs := make([]float64, 0, len(counts)+1)
	ys := make([]float64, 0, len(counts)+1)
	for i, c := range counts {
		x := ta.x(r.Start + float64(i)*r.Interval)
		if y := c / r.Interval / u.scale; drawable(y) && drawable(x) {
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	if len(xs) == 0 {
		return nil, false
	}
	xs, ys = append(xs, ta.x(r.Start+float64(len(counts))*r.Interval)), append(ys, ys[len(ys)-1])
	idx := thinScatter(xs, ys, rateBuckets, rateTarget)
	pts = make(plotter.XYs, len(idx))
	for k, i := range idx {
		pts[k] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return pts, len(idx) < len(xs)
}

// ratePanels are the requests/s panel and, with bytes, the bytes/s panel
// in the SI unit that suits its peak.
func ratePanels(r *Rate, ta timeAxis) []*plot.Plot {
	req := ratePanel("Requests", "requests/s", r, r.Requests, ta, unit{"", 1})
	if r.Bytes == nil {
		return []*plot.Plot{req}
	}
	peak := 0.0
	if r.Interval > 0 {
		for _, b := range r.Bytes {
			if v := b / r.Interval; drawable(v) {
				peak = math.Max(peak, math.Abs(v))
			}
		}
	}
	u := byteUnit(peak)
	what := r.BytesLabel
	if what == "" {
		what = "bytes"
	}
	return []*plot.Plot{req, ratePanel(fmt.Sprintf("Throughput: %s", what), u.name+"/s", r, r.Bytes, ta, u)}
}
