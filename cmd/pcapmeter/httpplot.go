package main

import (
	"fmt"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/chart"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// drawLatency draws the latency page for the headline definition: one row
// per server (the busiest chart.MaxRows), with the exponential model of
// the KL figure and the best fitted model over the histogram.
func drawLatency(path string, res *httplat.Result, kl stats.KLOptions) error {
	def := res.Definition
	var sets []chart.LatencySet
	for _, s := range res.Servers {
		xs := s.Samples[def]
		if len(xs) == 0 || len(s.Times) != len(xs) {
			continue
		}
		// Times are sorted: the first is the earliest request.
		times := make([]float64, len(s.Times))
		for i, t := range s.Times {
			times[i] = t - s.Times[0]
		}
		set := chart.LatencySet{
			Title: fmt.Sprintf("%s, %s (%s)", s.Server, def, report.Describe(def)), Unit: "s", Samples: xs, Times: times, TimeSamples: s.TimeSamples,
		}
		if mean := s.Latency[def].Mean; mean > 0 {
			exp := distuv.Exponential{Rate: 1 / mean}
			set.Densities = append(set.Densities, chart.Density{Name: "exponential (rate 1/mean)", PDF: exp.Prob})
		}
		fits := s.Fit
		if fits == nil { // --plot without --fit: fit for the picture only
			fits, _ = stats.Fit(xs, kl)
		}
		if len(fits) > 0 && fits[0].Name != "exponential" {
			best := fits[0]
			set.Densities = append(set.Densities, chart.Density{Name: "best fit: " + best.Name, PDF: best.PDF})
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return fmt.Errorf("no matched exchange to draw")
	}
	return chart.LatencyPage(path, sets)
}
