package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

func rank(p float64, n int) int { return stats.NearestRank(p, n) - 1 }

// Units for the text report's breakdown figures (--unit).
const (
	UnitAuto = "auto"
	UnitS    = "s"
	UnitMS   = "ms"
	UnitUS   = "us"
)

// pickUnit resolves auto for one server from its median latency, so that
// a 38 µs server reads 38.0µs, not 0.00004.
func pickUnit(unit string, typical float64) string {
	if unit != UnitAuto && unit != "" {
		return unit
	}
	switch {
	case typical < 1e-3:
		return UnitUS
	case typical < 1:
		return UnitMS
	}
	return UnitS
}

// dur formats seconds in unit, with a tenth of a microsecond's precision.
func dur(v float64, unit string) string {
	scale, decimals, name := unitScale(unit)
	if name == "seconds" {
		name = "s"
	}
	return strconv.FormatFloat(v*scale, 'f', decimals, 64) + name
}

// unitScale is what a second is in unit, the decimals a figure in it
// gets (a tenth of a microsecond in each), and the unit's name.
func unitScale(unit string) (scale float64, decimals int, name string) {
	switch unit {
	case UnitUS:
		return 1e6, 1, "µs"
	case UnitMS:
		return 1e3, 3, "ms"
	}
	return 1, 5, "seconds"
}

// serverUnit is the unit of a server's breakdown figures.
func serverUnit(s *httplat.ServerResult, d httplat.Definition, unit string) string {
	l := s.Latency[d]
	typical := 0.0
	for _, q := range l.Percentiles {
		if q.P == 50 {
			typical = q.Value
		}
	}
	if typical == 0 {
		typical = l.Mean
	}
	return pickUnit(unit, typical)
}

// errorShare is n of total as a percentage.
func errorShare(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

// OverviewText prints one line per server, busiest first, before the
// detailed blocks: with many servers the whole capture fits one screen.
func OverviewText(w io.Writer, r *httplat.Result, p Params) {
	fmt.Fprintf(w, "servers: %d, busiest first; latency %s; errors are 4xx+5xx of matched\n", len(r.Servers), r.Definition)
	fmt.Fprintf(w, "  %-28s %9s %9s %14s %11s %11s %11s\n", "server", "requests", "matched", "errors", "p50", "p99", "max")
	for _, s := range r.Servers {
		b := s.Breakdown
		bq := httplat.Quantiles{}
		errs := 0
		if b != nil {
			errs = b.ClientErrors + b.ServerErrors
			bq = headlineQuantiles(s, r.Definition)
		}
		u := serverUnit(s, r.Definition, p.Unit)
		e := fmt.Sprintf("%d (%.1f%%)", errs, errorShare(errs, s.Counts.Matched))
		p50, p99, mx := "-", "-", "-"
		if bq.N > 0 {
			p50, p99, mx = dur(bq.P50, u), dur(bq.P99, u), dur(bq.Max, u)
		}
		fmt.Fprintf(w, "  %-28s %9d %9d %14s %11s %11s %11s\n", s.Server, s.Counts.Requests, s.Counts.Matched, e, p50, p99, mx)
	}
	fmt.Fprintln(w)
}

// headlineQuantiles reads p50, p99 and max of the server's headline
// samples (sorted by the measurement).
func headlineQuantiles(s *httplat.ServerResult, d httplat.Definition) httplat.Quantiles {
	l := s.Samples[d]
	n := len(l)
	if n == 0 {
		return httplat.Quantiles{}
	}
	return httplat.Quantiles{N: n, P50: l[rank(50, n)], P99: l[rank(99, n)], Max: l[n-1]}
}

// breakdownText prints a server's status codes, methods, latency by
// status class, top URIs, sizes and rates.
func breakdownText(w io.Writer, r *httplat.Result, s *httplat.ServerResult, p Params) {
	b := s.Breakdown
	if b == nil {
		return
	}
	u := serverUnit(s, r.Definition, p.Unit)
	m := s.Counts.Matched
	fmt.Fprintf(w, "status:      %s; errors: 4xx %d (%.1f%%), 5xx %d (%.1f%%) of %d matched\n", countList(intKeys(b.StatusCodes)),
		b.ClientErrors, errorShare(b.ClientErrors, m), b.ServerErrors, errorShare(b.ServerErrors, m), m)
	if len(b.Methods) > 0 {
		fmt.Fprintf(w, "methods:     %s\n", countList(b.Methods))
	}
	hostsText(w, b, p.Top)
	if len(b.ByClass) > 1 {
		classes := make([]string, 0, len(b.ByClass))
		for c := range b.ByClass {
			classes = append(classes, c)
		}
		sort.Strings(classes)
		parts := make([]string, len(classes))
		for i, c := range classes {
			q := b.ByClass[c]
			parts[i] = fmt.Sprintf("%s n=%d p50=%s p99=%s", c, q.N, dur(q.P50, u), dur(q.P99, u))
		}
		fmt.Fprintf(w, "by status:   %s (%s)\n", strings.Join(parts, "; "), r.Definition)
	}
	uriText(w, b, u)
	sizeText(w, b)
	rateText(w, b)
}

// hostsText prints the Host headers by requests, the top (--top) of them:
// one address often serves several names (a CDN, virtual hosts).
func hostsText(w io.Writer, b *httplat.Breakdown, top int) {
	if len(b.Hosts) == 0 {
		return
	}
	if top <= 0 {
		top = 10
	}
	list := countList(b.Hosts)
	parts := strings.Split(list, ", ")
	if len(parts) > top {
		list = strings.Join(parts[:top], ", ") + fmt.Sprintf(" (+%d more)", len(parts)-top)
	}
	if b.UntrackedHosts > 0 {
		list += fmt.Sprintf("; %d requests on hosts past the first %d not tracked", b.UntrackedHosts, httplat.MaxURIs)
	}
	fmt.Fprintf(w, "hosts:       %s\n", list)
}

// uriText prints the busiest paths.
func uriText(w io.Writer, b *httplat.Breakdown, u string) {
	if len(b.TopURIs) == 0 {
		return
	}
	fmt.Fprintf(w, "top URIs:    %d of %d paths (query strings dropped)", len(b.TopURIs), b.DistinctURIs)
	if b.OtherURIs > 0 {
		fmt.Fprintf(w, "; %d requests on paths past the first %d not tracked", b.OtherURIs, httplat.MaxURIs)
	}
	fmt.Fprintf(w, "\n  %8s %11s %11s  %s\n", "count", "p50", "p99", "path")
	for _, x := range b.TopURIs {
		fmt.Fprintf(w, "  %8d %11s %11s  %s\n", x.N, dur(x.P50, u), dur(x.P99, u), Printable(x.URI, 80))
	}
}

// sizeText prints the size figures, each saying what it counts: bodies
// as their Content-Length declares, messages as TCP payload.
func sizeText(w io.Writer, b *httplat.Breakdown) {
	line := func(label string, s httplat.SizeStat) {
		if s.N == 0 {
			fmt.Fprintf(w, "  %-36s none known\n", label)
			return
		}
		fmt.Fprintf(w, "  %-36s n=%d total=%d p50=%d p99=%d", label, s.N, s.Total, s.P50, s.P99)
		if s.Unknown > 0 {
			fmt.Fprintf(w, "; unknown for %d", s.Unknown)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "bytes:")
	line("response body (Content-Length)", b.RespBody)
	line("response on the wire (headers+body)", b.RespWire)
	line("request body (Content-Length)", b.ReqBody)
	line("request on the wire (headers+body)", b.ReqWire)
}

// rateText prints the rates over the active span.
func rateText(w io.Writer, b *httplat.Breakdown) {
	if b.First == 0 && b.Last == 0 {
		return
	}
	if b.RespWire.N == 0 { // HTTP/2, or no size known: not 0 bytes/s
		fmt.Fprintf(w, "rate:        %.2f requests/s; bytes/s unknown (no response's size on the wire is known) over %.3f s active\n", b.RequestsPerSec, b.Last-b.First)
		return
	}
	fmt.Fprintf(w, "rate:        %.2f requests/s, %.0f bytes/s (response bytes on the wire", b.RequestsPerSec, b.WireBytesPerSec)
	if n := b.RespWire.Unknown; n > 0 {
		fmt.Fprintf(w, "; %d of unknown size not counted", n)
	}
	fmt.Fprintf(w, ") over %.3f s active\n", b.Last-b.First)
}

// countList prints "k n" pairs, most frequent first, ties by key.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", Printable(k, 40), m[k])
	}
	return strings.Join(parts, ", ")
}

func intKeys(m map[int]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, n := range m {
		out[strconv.Itoa(k)] = n
	}
	return out
}

// Printable shortens s to max runes and replaces control characters, so
// that a URI from the capture cannot move the terminal's cursor.
func Printable(s string, max int) string {
	rs := []rune(s)
	if len(rs) > max {
		rs = append(rs[:max-1], '…')
	}
	for i, c := range rs {
		if c < 0x20 || c == 0x7f {
			rs[i] = '?'
		}
	}
	return string(rs)
}
