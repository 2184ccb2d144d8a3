// Package report prints results for people (text), for programs (JSON,
// with a versioned schema) and per exchange (CSV, JSON Lines). It is
// separate from the measurements, as vegeta separates metrics from
// reporters, so a new format never touches the numbers. HTTP: report.go
// (text and the display helpers), json.go (the summary), exchanges.go
// (per exchange); each other analysis has a file of its own.
package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// CIText prints bootstrap confidence intervals under a latency block, in
// unit (UnitS, UnitMS or UnitUS).
func CIText(w io.Writer, b *stats.Bootstrap, l httplat.Latency, unit string) {
	fmt.Fprintf(w, "%g%% CI:      mean [%s, %s]", b.Level, dur(b.Mean.Lo, unit), dur(b.Mean.Hi, unit))
	for i, q := range l.Percentiles {
		if i < len(b.Percentiles) {
			fmt.Fprintf(w, "; p%s [%s, %s]", strconv.FormatFloat(q.P, 'f', -1, 64), dur(b.Percentiles[i].Lo, unit), dur(b.Percentiles[i].Hi, unit))
		}
	}
	fmt.Fprintf(w, "\n             (percentile bootstrap, %d resamples, seed %d)\n", b.Replicates, b.Seed)
}

// FitText prints the model comparison, best (lowest AIC) first.
func FitText(w io.Writer, ms []stats.Model, fitErr, klUnit string) {
	if len(ms) == 0 {
		fmt.Fprintf(w, "fit:         not possible: %s\n", fitErr)
		return
	}
	fmt.Fprintf(w, "fit (maximum likelihood; best by AIC: %s):\n", ms[0].Name)
	fmt.Fprintf(w, "  %-12s %-34s %9s %7s %11s %11s\n", "model", "parameters", "KL "+klUnit, "KS", "log-lik", "AIC")
	for _, m := range ms {
		fmt.Fprintf(w, "  %-12s %-34s %9.4f %7.4f %11.2f %11.2f\n", m.Name, params(m), m.KL, m.KS, m.LogLikelihood, m.AIC)
	}
	if left := unfitted(ms); len(left) > 0 {
		fmt.Fprintf(w, "  not fitted:  %s (the estimate did not converge on this sample)\n", strings.Join(left, ", "))
	}
}

// unfitted lists the candidate models stats.Fit left out, in its order:
// on a tiny or degenerate sample some estimators do not converge, and a
// table that silently lacks a row reads as if the model had not been
// tried.
func unfitted(ms []stats.Model) []string {
	var left []string
	for _, name := range stats.Models {
		if !slices.ContainsFunc(ms, func(m stats.Model) bool { return m.Name == name }) {
			left = append(left, name)
		}
	}
	return left
}

func params(m stats.Model) string {
	order := map[string][]string{
		"exponential": {"rate"}, "lognormal": {"mu", "sigma"}, "gamma": {"shape", "rate"},
		"weibull": {"shape", "scale"}, "pareto": {"xm", "alpha"},
	}[m.Name]
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, m.Params[k]))
	}
	return strings.Join(parts, " ")
}

// Classic prints the three lines of the measure-webserver assignment:
// seconds with 5 decimals, percentiles in the order requested.
func Classic(w io.Writer, l httplat.Latency) {
	classicHead(w, l)
	fmt.Fprintf(w, "KL DIVERGENCE: %.5f\n", l.KL)
}

// classicHead is the classic block's mean and percentiles.
func classicHead(w io.Writer, l httplat.Latency) {
	fmt.Fprintf(w, "AVERAGE LATENCY: %.5f\n", l.Mean)
	ps := make([]string, len(l.Percentiles))
	for i, p := range l.Percentiles {
		ps[i] = fmt.Sprintf("%.5f", p.Value)
	}
	fmt.Fprintf(w, "PERCENTILES: %s\n", strings.Join(ps, " "))
}

// Params are the report settings that are not part of the result.
type Params struct {
	KLBase    float64
	KLUnit    string // "bits" or "nats"
	KLBuckets int
	// Histogram is "log", "linear" or "off" (text only).
	Histogram string
	// Unit is the text breakdown's latency unit (UnitAuto, UnitS, …);
	// Top how many servers get a detailed block (and URIs a list), 0: 10.
	Unit string
	Top  int
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Text prints one block per server, the classic three lines first.
func Text(w io.Writer, r *httplat.Result, p Params) {
	top := p.Top
	if top <= 0 {
		top = 10
	}
	if len(r.Servers) > 1 {
		OverviewText(w, r, p)
	}
	for i, s := range r.Servers {
		if i == top {
			rest := plural(len(r.Servers)-top, "less busy server is", "less busy servers are")
			fmt.Fprintf(w, "\n(%s in the table above only; --top %d shows them all)\n", rest, len(r.Servers))
			break
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		serverText(w, r, s, p)
	}
	totalText(w, r)
	SelectionText(w, r.Selection)
	if r.Crosscheck != nil {
		CrosscheckText(w, r.Crosscheck)
	}
	if r.Partial {
		why := "the capture is cut short; figures cover the packets before the cut"
		for _, b := range r.PartialBecause {
			if !strings.Contains(b, "cut short") {
				why = "figures leave out part of the capture; the warnings below say which"
			}
		}
		fmt.Fprintln(w, "PARTIAL: "+why)
	}
	for _, wmsg := range r.Warnings {
		fmt.Fprintln(w, "warning: "+wmsg)
	}
}

// serverText prints one server's block.
func serverText(w io.Writer, r *httplat.Result, s *httplat.ServerResult, p Params) {
	d := r.Definition
	title := s.Server.String()
	if len(s.Hosts) > 0 {
		title += " (" + hostList(s.Hosts, 3) + ")"
	}
	fmt.Fprintf(w, "== HTTP server %s ==\n", title)
	l := s.Latency[d]
	switch {
	case l.N == 0:
		fmt.Fprintln(w, "AVERAGE LATENCY: n/a (no matched exchange)")
	case l.N < MinShapeSamples:
		// measure-webserver keeps its three lines whatever n is;
		// here a shape fitted to a handful of samples is not printed.
		classicHead(w, l)
		fmt.Fprintf(w, "KL DIVERGENCE: n/a (n=%d < %d: too few samples for a distribution's shape)\n", l.N, MinShapeSamples)
	default:
		Classic(w, l)
	}
	u := serverUnit(s, d, p.Unit)
	_, _, uname := unitScale(u)
	fmt.Fprintf(w, "latency:     %s = %s; the lines above in seconds, below in %s; pairing: %s\n", d, Describe(d), uname, r.Pairing)
	pl := make([]string, len(l.Percentiles))
	for j, q := range l.Percentiles {
		pl[j] = "p" + strconv.FormatFloat(q.P, 'f', -1, 64)
	}
	fmt.Fprintf(w, "percentiles: %s (nearest rank); KL vs exponential(1/mean), %d buckets, %s\n", strings.Join(pl, " "), p.KLBuckets, p.KLUnit)
	countsText(w, s.Counts)
	if l.N > 0 {
		fmt.Fprintf(w, "spread:      n=%d min=%s max=%s stddev=%s\n", l.N, dur(l.Min, u), dur(l.Max, u), dur(l.StdDev, u))
	}
	if s.CI != nil {
		CIText(w, s.CI, l, u)
	}
	breakdownText(w, r, s, p)
	switch {
	case l.N > 0 && l.N < MinShapeSamples:
		fmt.Fprintf(w, "note:        histogram and KL divergence omitted: n=%d < %d\n", l.N, MinShapeSamples)
	case p.Histogram != "off" && p.Histogram != "" && l.N > 0:
		HistogramIn(w, s.Samples[d], p.Histogram == "log", u)
	}
	if s.Fit != nil || s.FitError != "" {
		FitText(w, s.Fit, s.FitError, p.KLUnit)
	}
}

// MinShapeSamples is the fewest latencies whose histogram and KL
// divergence say something about the shape of the distribution: with
// fewer, ten buckets hold one sample or none each and the KL value is
// noise. The figures are still given (JSON flags them); the text report
// draws no histogram.
const MinShapeSamples = 10

// countsText prints a server's exchange and connection counts.
func countsText(w io.Writer, c httplat.Counts) {
	fmt.Fprintf(w, "exchanges:   %s, %s: %d matched, %s, %s",
		plural(c.Requests, "request", "requests"), plural(c.Responses, "response", "responses"),
		c.Matched, plural(c.UnmatchedRequests, "unanswered request", "unanswered requests"),
		plural(c.OrphanResponses, "orphan response", "orphan responses"))
	if c.Interim > 0 {
		fmt.Fprintf(w, ", %d interim (1xx)", c.Interim)
	}
	if c.LostInGaps > 0 {
		fmt.Fprintf(w, "; %d unanswered: response in bytes the capture lacks or tshark could not reassemble", c.LostInGaps)
	}
	if c.Incomplete > 0 {
		fmt.Fprintf(w, "; %d unanswered: response began but never completed", c.Incomplete)
	}
	fmt.Fprintln(w)
	reconstructionText(w, c)
	fmt.Fprintf(w, "connections: %d; retransmitted segments: %d\n", c.Connections, c.RetransSegments)
}

// totalText prints the totals line and, for merged captures, which.
func totalText(w io.Writer, r *httplat.Result) {
	t := r.Total
	fmt.Fprintf(w, "\ntotal: %s, %s, %d matched, %d unanswered, %d orphan responses, %d retransmitted segments",
		plural(len(r.Servers), "server", "servers"), plural(t.Requests, "request", "requests"), t.Matched, t.UnmatchedRequests, t.OrphanResponses, t.RetransSegments)
	if r.UDPIgnored > 0 {
		fmt.Fprintf(w, "; %d HTTP-over-UDP messages (SSDP) not paired", r.UDPIgnored)
	}
	if r.DuplicatesIgnored > 0 {
		fmt.Fprintf(w, "; %d retransmitted copies of messages ignored", r.DuplicatesIgnored)
	}
	fmt.Fprintln(w)
	if len(r.Files) > 1 {
		// Several captures merged: say which, so a glob's expansion can be checked.
		// A ring buffer can be hundreds of files: name the first and last.
		var names []string
		for i, f := range r.Files {
			if len(r.Files) > 6 && i == 3 {
				names = append(names, fmt.Sprintf("… %d more …", len(r.Files)-5))
			}
			if len(r.Files) <= 6 || i < 3 || i >= len(r.Files)-2 {
				names = append(names, f.Path)
			}
		}
		fmt.Fprintf(w, "captures: %d merged: %s\n", len(r.Files), strings.Join(names, ", "))
	}
}

// Describe says what a latency definition measures, for reports.
func Describe(d httplat.Definition) string {
	switch d {
	case httplat.TTFB:
		return "request first byte -> response first byte"
	case httplat.TTLB:
		return "request first byte -> response last byte"
	case httplat.Server:
		return "request last byte -> response first byte"
	}
	return string(d)
}

// hostList joins a server's Host headers for display, the first max of
// them.
func hostList(h []string, max int) string {
	more := ""
	if len(h) > max {
		more = fmt.Sprintf(" (+%d more)", len(h)-max)
		h = h[:max]
	}
	return strings.Join(h, ", ") + more
}

func ref(m exchange.MsgRef) string {
	if m.Frame == 0 {
		return "none"
	}
	if m.Index == 0 {
		return "frame " + strconv.FormatInt(m.Frame, 10)
	}
	return fmt.Sprintf("frame %d #%d", m.Frame, m.Index+1)
}

// CrosscheckText prints the comparison of the two pairings.
func CrosscheckText(w io.Writer, c *httplat.Crosscheck) {
	if h := c.HTTP2; h != nil {
		fmt.Fprintf(w, "crosscheck: HTTP/2 streams' final status agrees with tshark's per-stream view on %d of %d, disagrees on %d\n", h.Agree, h.Streams, h.Disagree)
	}
	fmt.Fprintf(w, "crosscheck: tuple and tshark pairing agree on %d of %d requests, disagree on %d\n", c.Agree, c.Requests, c.Disagree)
	for _, d := range c.Disagreements {
		fmt.Fprintf(w, "  request %s: tuple -> response %s, tshark -> response %s\n", ref(d.Request), ref(d.Tuple), ref(d.Tshark))
	}
	if c.Disagree > len(c.Disagreements) {
		fmt.Fprintf(w, "  (+%d more)\n", c.Disagree-len(c.Disagreements))
	}
}
