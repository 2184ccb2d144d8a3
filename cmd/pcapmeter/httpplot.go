package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/chart"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// drawLatency draws the latency page (the bytes of path's file) for the headline definition: one
// block per server (the busiest chart.MaxServers), with the exponential
// model of the KL figure and the best fitted model over the histogram. A
// result with no matched exchange still gets a page that says so, so that
// a script expecting the file finds one.
func drawLatency(path string, res *httplat.Result, kl stats.KLOptions) ([]byte, error) {
	def := res.Definition
	fig := chart.LatencyFigure{Title: latencyTitle(res)}
	for _, s := range res.Servers {
		xs := s.Samples[def]
		if len(xs) == 0 {
			continue
		}
		srv := chart.Server{Label: serverLabel(s), Sorted: xs, Times: s.Times, TimeLatencies: s.TimeSamples, Rate: rateSeries(s.Breakdown)}
		if mean := s.Latency[def].Mean; mean > 0 {
			exp := distuv.Exponential{Rate: 1 / mean}
			srv.Densities = append(srv.Densities, chart.Density{Name: "exponential (rate 1/mean)", PDF: exp.Prob})
		}
		fits := s.Fit
		if fits == nil { // --plot without --fit: fit for the picture only
			fits, _ = stats.Fit(xs, kl)
		}
		if len(fits) > 0 && fits[0].Name != "exponential" {
			best := fits[0]
			srv.Densities = append(srv.Densities, chart.Density{Name: "best fit: " + best.Name, PDF: best.PDF})
		}
		fig.Servers = append(fig.Servers, srv)
	}
	return fig.Encode(path)
}

// rateSeries is the server's --interval time series for the requests/s and
// bytes/s panels (nil without one). The bytes are the response bytes on
// the wire, as the report's rate line counts them; exchanges whose size on
// the wire is unknown add none, and with no size known there is no bytes
// panel.
func rateSeries(b *httplat.Breakdown) *chart.Rate {
	if b == nil || len(b.Series) == 0 || b.Interval <= 0 {
		return nil
	}
	r := &chart.Rate{Start: b.Series[0].Start, Interval: b.Interval, BytesLabel: "response bytes on the wire",
		Requests: make([]float64, len(b.Series))}
	if b.RespWire.N > 0 { // else (HTTP/2) no size is known: no bytes panel, not a flat 0
		r.Bytes = make([]float64, len(b.Series))
	}
	for i, x := range b.Series {
		r.Requests[i] = float64(x.Requests)
		if r.Bytes != nil {
			r.Bytes[i] = float64(x.WireBytes)
		}
	}
	return r
}

// latencyTitle says once what every panel measures and from which files.
func latencyTitle(res *httplat.Result) string {
	def := res.Definition
	return fmt.Sprintf("HTTP latency: %s (%s) · %s", def, report.Describe(def), fileList(res))
}

// fileList names the captures by base name, the first three of them.
func fileList(res *httplat.Result) string {
	var names []string
	for _, f := range res.Files {
		names = append(names, filepath.Base(f.Path))
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more files", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// serverLabel is the server's address and, when seen, its Host headers.
func serverLabel(s *httplat.ServerResult) string {
	label := s.Server.String()
	if len(s.Hosts) > 0 {
		hosts := s.Hosts
		if len(hosts) > 3 {
			hosts = append(hosts[:3:3], fmt.Sprintf("+%d", len(s.Hosts)-3))
		}
		label += " (" + strings.Join(hosts, ", ") + ")"
	}
	return label
}

// plotWarning draws a figure with draw and, when it cannot be drawn, says
// so on stderr and in warnings (which the report then carries) instead of
// failing the run: a picture is an extra, the report is what the user
// came for. It runs before the report is written so that the JSON report
// can carry the warning; a panic in draw is caught here, so the report is
// written whatever the picture does.
func plotWarning(stderr io.Writer, prog string, warnings *[]string, path string, draw func() error) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		return draw()
	}()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("plot %s not drawn: %v", path, err)
	fmt.Fprintf(stderr, "%s: warning: %s\n", prog, msg)
	*warnings = append(*warnings, msg)
}
