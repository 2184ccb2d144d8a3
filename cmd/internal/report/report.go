// Package report prints httplat results for people (text), for programs
// (JSON, with a versioned schema) and per exchange (CSV). It is separate
// from the measurement, as vegeta separates metrics from reporters, so a
// new format never touches the numbers.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// CIText prints bootstrap confidence intervals under a latency block.
func CIText(w io.Writer, b *stats.Bootstrap, l httplat.Latency) {
	fmt.Fprintf(w, "%g%% CI:      mean [%.5f, %.5f]", b.Level, b.Mean.Lo, b.Mean.Hi)
	for i, q := range l.Percentiles {
		if i < len(b.Percentiles) {
			fmt.Fprintf(w, "; p%s [%.5f, %.5f]", strconv.FormatFloat(q.P, 'f', -1, 64), b.Percentiles[i].Lo, b.Percentiles[i].Hi)
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
	fmt.Fprintf(w, "AVERAGE LATENCY: %.5f\n", l.Mean)
	ps := make([]string, len(l.Percentiles))
	for i, p := range l.Percentiles {
		ps[i] = fmt.Sprintf("%.5f", p.Value)
	}
	fmt.Fprintf(w, "PERCENTILES: %s\n", strings.Join(ps, " "))
	fmt.Fprintf(w, "KL DIVERGENCE: %.5f\n", l.KL)
}

// Params are the report settings that are not part of the result.
type Params struct {
	KLBase    float64
	KLUnit    string // "bits" or "nats"
	KLBuckets int
	// Histogram is "log", "linear" or "off" (text only).
	Histogram string
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Text prints one block per server, the classic three lines first.
func Text(w io.Writer, r *httplat.Result, p Params) {
	d := r.Definition
	for i, s := range r.Servers {
		if i > 0 {
			fmt.Fprintln(w)
		}
		title := s.Server.String()
		if len(s.Hosts) > 0 {
			title += " (" + s.HostList(3) + ")"
		}
		fmt.Fprintf(w, "== HTTP server %s ==\n", title)
		l := s.Latency[d]
		if l.N == 0 {
			fmt.Fprintln(w, "AVERAGE LATENCY: n/a (no matched exchange)")
		} else {
			Classic(w, l)
		}
		c := s.Counts
		fmt.Fprintf(w, "latency:     %s = %s, seconds; pairing: %s\n", d, d.Describe(), r.Pairing)
		pl := make([]string, len(l.Percentiles))
		for j, q := range l.Percentiles {
			pl[j] = "p" + strconv.FormatFloat(q.P, 'f', -1, 64)
		}
		fmt.Fprintf(w, "percentiles: %s (nearest rank); KL vs exponential(1/mean), %d buckets, %s\n", strings.Join(pl, " "), p.KLBuckets, p.KLUnit)
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
		fmt.Fprintf(w, "connections: %d; retransmitted segments: %d\n", c.Connections, c.RetransSegments)
		if l.N > 0 {
			fmt.Fprintf(w, "spread:      n=%d min=%.5f max=%.5f stddev=%.5f\n", l.N, l.Min, l.Max, l.StdDev)
		}
		if s.CI != nil {
			CIText(w, s.CI, l)
		}
		if p.Histogram != "off" && p.Histogram != "" && l.N > 0 {
			Histogram(w, s.Samples[d], p.Histogram == "log")
		}
		if s.Fit != nil || s.FitError != "" {
			FitText(w, s.Fit, s.FitError, p.KLUnit)
		}
	}
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
	if r.Crosscheck != nil {
		CrosscheckText(w, r.Crosscheck)
	}
	if r.Partial {
		fmt.Fprintln(w, "PARTIAL: the capture is cut short; figures cover the packets before the cut")
	}
	for _, wmsg := range r.Warnings {
		fmt.Fprintln(w, "warning: "+wmsg)
	}
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
	fmt.Fprintf(w, "crosscheck: tuple and tshark pairing agree on %d of %d requests, disagree on %d\n", c.Agree, c.Requests, c.Disagree)
	for _, d := range c.Disagreements {
		fmt.Fprintf(w, "  request %s: tuple -> response %s, tshark -> response %s\n", ref(d.Request), ref(d.Tuple), ref(d.Tshark))
	}
	if c.Disagree > len(c.Disagreements) {
		fmt.Fprintf(w, "  (+%d more)\n", c.Disagree-len(c.Disagreements))
	}
}

// SchemaVersion names the JSON layout; it changes only when a field is
// removed or changes meaning.
const SchemaVersion = "pcapmeter.http/v1"

type jsonLatency struct {
	N           int           `json:"n"`
	Mean        float64       `json:"mean"`
	StdDev      float64       `json:"stddev"`
	Min         float64       `json:"min"`
	Max         float64       `json:"max"`
	Percentiles []jsonPercent `json:"percentiles"`
	KL          float64       `json:"kl_divergence"`
}

type jsonPercent struct {
	P     float64 `json:"p"`
	Value float64 `json:"value"`
}

type jsonServer struct {
	Server   string                 `json:"server"`
	Address  string                 `json:"address"`
	Port     uint16                 `json:"port"`
	Hosts    []string               `json:"hosts"`
	Counts   httplat.Counts         `json:"counts"`
	Latency  map[string]jsonLatency `json:"latency"`
	Fit      []stats.Model          `json:"fit,omitempty"`
	FitError string                 `json:"fit_error,omitempty"`
	CI       *stats.Bootstrap       `json:"ci,omitempty"`
}

type jsonTotals struct {
	httplat.Counts
	UDPIgnored int `json:"udp_http_ignored"`
	Estimated  int `json:"times_estimated"`
	Ambiguous  int `json:"ambiguous_after_gap"`
	Duplicates int `json:"retransmitted_messages_ignored"`
}

type jsonDisagreement struct {
	File    string           `json:"file"`
	Request exchange.MsgRef  `json:"request"`
	Tuple   *exchange.MsgRef `json:"tuple_response"`
	Tshark  *exchange.MsgRef `json:"tshark_response"`
}

type jsonCross struct {
	Requests      int                `json:"requests"`
	Agree         int                `json:"agree"`
	Disagree      int                `json:"disagree"`
	Disagreements []jsonDisagreement `json:"first_disagreements"`
}

type jsonUnits struct {
	Latency string `json:"latency"`
	KL      string `json:"kl_divergence"`
}

type jsonKL struct {
	Buckets int     `json:"buckets"`
	Base    float64 `json:"base"`
	Model   string  `json:"model"`
}

type jsonReport struct {
	Schema     string             `json:"schema"`
	Files      []httplat.FileInfo `json:"files"`
	Tshark     string             `json:"tshark_version"`
	Pairing    string             `json:"pairing"`
	Definition string             `json:"latency_definition"`
	Defs       map[string]string  `json:"latency_definitions"`
	Units      jsonUnits          `json:"units"`
	KL         jsonKL             `json:"kl"`
	Partial    bool               `json:"partial"`
	Warnings   []string           `json:"warnings"`
	Totals     jsonTotals         `json:"totals"`
	Servers    []jsonServer       `json:"servers"`
	Crosscheck *jsonCross         `json:"crosscheck,omitempty"`
}

func optRef(m exchange.MsgRef) *exchange.MsgRef {
	if m.Frame == 0 {
		return nil
	}
	return &m
}

// JSON prints the result as one indented JSON document.
func JSON(w io.Writer, r *httplat.Result, p Params) error {
	out := jsonReport{
		Schema:     SchemaVersion,
		Files:      r.Files,
		Tshark:     r.TsharkVersion.String(),
		Pairing:    string(r.Pairing),
		Definition: string(r.Definition),
		Defs:       map[string]string{},
		Units:      jsonUnits{Latency: "seconds", KL: p.KLUnit},
		KL:         jsonKL{Buckets: p.KLBuckets, Base: p.KLBase, Model: "exponential, rate = 1/mean"},
		Partial:    r.Partial,
		Warnings:   append([]string{}, r.Warnings...),
		Totals:     jsonTotals{Counts: r.Total, UDPIgnored: r.UDPIgnored, Estimated: r.Estimated, Ambiguous: r.Ambiguous, Duplicates: r.DuplicatesIgnored},
		Servers:    []jsonServer{},
	}
	for _, d := range httplat.Definitions {
		out.Defs[string(d)] = d.Describe()
	}
	for _, s := range r.Servers {
		js := jsonServer{
			Server: s.Server.String(), Address: s.Server.Addr().String(), Port: s.Server.Port(),
			Hosts: append([]string{}, s.Hosts...), Counts: s.Counts, Latency: map[string]jsonLatency{},
			Fit: s.Fit, FitError: s.FitError, CI: s.CI,
		}
		for _, d := range httplat.Definitions {
			l := s.Latency[d]
			jl := jsonLatency{N: l.N, Mean: l.Mean, StdDev: l.StdDev, Min: l.Min, Max: l.Max, KL: l.KL, Percentiles: []jsonPercent{}}
			for _, q := range l.Percentiles {
				jl.Percentiles = append(jl.Percentiles, jsonPercent{q.P, q.Value})
			}
			js.Latency[string(d)] = jl
		}
		out.Servers = append(out.Servers, js)
	}
	if c := r.Crosscheck; c != nil {
		jc := &jsonCross{Requests: c.Requests, Agree: c.Agree, Disagree: c.Disagree, Disagreements: []jsonDisagreement{}}
		for _, d := range c.Disagreements {
			jc.Disagreements = append(jc.Disagreements, jsonDisagreement{File: d.File, Request: d.Request, Tuple: optRef(d.Tuple), Tshark: optRef(d.Tshark)})
		}
		out.Crosscheck = jc
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// CSVHeader is the per-exchange CSV layout: times are Unix epoch seconds
// with 9 decimals, latencies seconds; empty cells mean "not applicable"
// (no response, no request), never zero.
var CSVHeader = []string{
	"file", "kind", "tcp_stream", "client", "server", "method", "host", "uri", "status", "interim_responses",
	"req_frame", "req_index", "req_first_frame", "req_first_time", "req_last_time",
	"resp_frame", "resp_index", "resp_first_frame", "resp_first_time", "resp_last_time",
	"ttfb", "ttlb", "server_time", "times_estimated", "note",
}

// note says why an unmatched request has no response.
func note(e *exchange.Exchange) string {
	switch {
	case e.ResponseLost:
		return "response in a capture gap"
	case e.ResponseIncomplete:
		return "response incomplete"
	case e.Kind == exchange.Unmatched:
		return "no response"
	case e.Kind == exchange.Orphan:
		return "no request in capture"
	}
	return ""
}

// CSV streams exchanges as CSV rows, with RFC 4180 quoting.
type CSV struct {
	w *csv.Writer
}

// NewCSV writes the header and returns the writer.
func NewCSV(w io.Writer) (*CSV, error) {
	c := &CSV{w: csv.NewWriter(w)}
	return c, c.w.Write(CSVHeader)
}

func sec(v float64) string { return strconv.FormatFloat(v, 'f', 9, 64) }

func addrPort(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Write adds one exchange.
func (c *CSV) Write(file string, e *exchange.Exchange) error {
	row := make([]string, 0, len(CSVHeader))
	row = append(row, file, string(e.Kind), strconv.FormatInt(e.Stream, 10), addrPort(e.Client), addrPort(e.Server),
		e.Method, e.Host, e.URI)
	if e.Kind == exchange.Unmatched {
		row = append(row, "")
	} else {
		row = append(row, strconv.Itoa(e.Status))
	}
	row = append(row, strconv.Itoa(e.Interim))
	if e.Kind != exchange.Orphan {
		row = append(row, strconv.FormatInt(e.Req.Frame, 10), strconv.Itoa(e.Req.Index), strconv.FormatInt(e.ReqFirstFrame, 10), e.ReqFirst.String(), e.ReqLast.String())
	} else {
		row = append(row, "", "", "", "", "")
	}
	switch {
	case e.Kind != exchange.Unmatched:
		row = append(row, strconv.FormatInt(e.Resp.Frame, 10), strconv.Itoa(e.Resp.Index), strconv.FormatInt(e.RespFirstFrame, 10), e.RespFirst.String(), e.RespLast.String())
	case e.ResponseIncomplete:
		row = append(row, "", "", strconv.FormatInt(e.RespFirstFrame, 10), e.RespFirst.String(), "")
	default:
		row = append(row, "", "", "", "", "")
	}
	if e.Kind == exchange.Matched {
		row = append(row, sec(e.TTFB()), sec(e.TTLB()), sec(e.ServerTime()))
	} else {
		row = append(row, "", "", "")
	}
	row = append(row, strconv.FormatBool(e.Estimated), note(e))
	return c.w.Write(row)
}

// Flush writes buffered rows and reports any write error.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// JSONL streams exchanges as JSON Lines (one object per exchange, same
// content as the CSV). Absolute times are strings of Unix seconds with 9
// decimals, because a JSON number (float64) cannot hold nanoseconds at
// today's epoch; latencies are numbers in seconds; absent values are null.
type JSONL struct {
	enc *json.Encoder
}

// NewJSONL returns a JSON Lines writer.
func NewJSONL(w io.Writer) *JSONL {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONL{enc: enc}
}

type jsonMsg struct {
	Frame      int64  `json:"frame"`
	Index      int    `json:"index"`
	FirstFrame int64  `json:"first_frame"`
	FirstTime  string `json:"first_time"`
	LastTime   string `json:"last_time,omitempty"`
}

type jsonExchange struct {
	File       string   `json:"file"`
	Kind       string   `json:"kind"`
	TCPStream  int64    `json:"tcp_stream"`
	Client     string   `json:"client"`
	Server     string   `json:"server"`
	Method     string   `json:"method,omitempty"`
	Host       string   `json:"host,omitempty"`
	URI        string   `json:"uri,omitempty"`
	Status     *int     `json:"status"`
	Interim    int      `json:"interim_responses"`
	Request    *jsonMsg `json:"request"`
	Response   *jsonMsg `json:"response"`
	TTFB       *float64 `json:"ttfb"`
	TTLB       *float64 `json:"ttlb"`
	ServerTime *float64 `json:"server_time"`
	Estimated  bool     `json:"times_estimated"`
	Note       string   `json:"note,omitempty"`
}

// Write adds one exchange.
func (j *JSONL) Write(file string, e *exchange.Exchange) error {
	out := jsonExchange{File: file, Kind: string(e.Kind), TCPStream: e.Stream, Client: addrPort(e.Client), Server: addrPort(e.Server),
		Method: e.Method, Host: e.Host, URI: e.URI, Interim: e.Interim, Estimated: e.Estimated, Note: note(e)}
	if e.Kind != exchange.Unmatched {
		st := e.Status
		out.Status = &st
	}
	if e.Kind != exchange.Orphan {
		out.Request = &jsonMsg{Frame: e.Req.Frame, Index: e.Req.Index, FirstFrame: e.ReqFirstFrame, FirstTime: e.ReqFirst.String(), LastTime: e.ReqLast.String()}
	}
	switch {
	case e.Kind != exchange.Unmatched:
		out.Response = &jsonMsg{Frame: e.Resp.Frame, Index: e.Resp.Index, FirstFrame: e.RespFirstFrame, FirstTime: e.RespFirst.String(), LastTime: e.RespLast.String()}
	case e.ResponseIncomplete:
		out.Response = &jsonMsg{FirstFrame: e.RespFirstFrame, FirstTime: e.RespFirst.String()}
	}
	if e.Kind == exchange.Matched {
		a, b, c := e.TTFB(), e.TTLB(), e.ServerTime()
		out.TTFB, out.TTLB, out.ServerTime = &a, &b, &c
	}
	return j.enc.Encode(&out)
}
