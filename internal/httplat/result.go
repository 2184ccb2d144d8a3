package httplat

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Counts are the per-server (or whole-trace) tallies.
type Counts struct {
	Requests          int `json:"requests"`
	Responses         int `json:"responses"`
	Matched           int `json:"matched"`
	UnmatchedRequests int `json:"unmatched_requests"`
	OrphanResponses   int `json:"orphan_responses"`
	// LostInGaps counts unanswered requests whose response was evidently
	// sent but fell in a gap of the capture.
	LostInGaps int `json:"responses_lost_in_gaps"`
	// Incomplete counts unanswered requests whose response began but did
	// not complete before the capture or connection ended.
	Incomplete      int `json:"responses_incomplete"`
	Interim         int `json:"interim_responses"`
	RetransSegments int `json:"retransmitted_segments"`
	Connections     int `json:"connections"`
	// Reconstructed counts exchanges placed by sequence numbers on
	// connections with a gap the capture never fills (not from tshark's
	// reassembled messages); Ambiguous those of them whose pairing the
	// capture cannot decide (exchange.Exchange.Ambiguous).
	Reconstructed int `json:"reconstructed_exchanges,omitempty"`
	Ambiguous     int `json:"ambiguous_exchanges,omitempty"`
	// TTLBUndefined and ServerTimeUndefined count matched exchanges whose
	// response (request) last byte the capture lacks: left out of the
	// ttlb (server time) figures, which then cover fewer exchanges.
	TTLBUndefined       int `json:"ttlb_undefined,omitempty"`
	ServerTimeUndefined int `json:"server_time_undefined,omitempty"`
	// HTTP1 and H2 count exchanges by protocol; set only when a run
	// found HTTP/2 (without it every exchange is HTTP/1.x).
	HTTP1 int `json:"http1_exchanges,omitempty"`
	H2    int `json:"h2_exchanges,omitempty"`
}

func (c *Counts) add(d Counts) {
	c.Requests += d.Requests
	c.Responses += d.Responses
	c.Matched += d.Matched
	c.UnmatchedRequests += d.UnmatchedRequests
	c.OrphanResponses += d.OrphanResponses
	c.LostInGaps += d.LostInGaps
	c.Incomplete += d.Incomplete
	c.Interim += d.Interim
	c.RetransSegments += d.RetransSegments
	c.Connections += d.Connections
	c.Reconstructed += d.Reconstructed
	c.Ambiguous += d.Ambiguous
	c.TTLBUndefined += d.TTLBUndefined
	c.ServerTimeUndefined += d.ServerTimeUndefined
	c.HTTP1 += d.HTTP1
	c.H2 += d.H2
}

// ServerResult is the latency report for one server.
type ServerResult struct {
	Server netip.AddrPort
	Hosts  []string // Host headers seen, most frequent first
	Counts Counts
	// Latency holds a summary and the KL divergence per definition.
	Latency map[Definition]Latency
	// Samples holds the raw latencies per definition (seconds), sorted
	// ascending: a canonical order, so that every figure computed from them
	// (down to the last bit of a floating-point sum, and the seeded
	// bootstrap) is the same however the exchanges arrived (one tshark, or
	// flow shards and files finishing in any order). Histograms, fits and
	// CDFs use them.
	Samples map[Definition][]float64
	// Times and TimeSamples, kept only under Options.TimeSeries (for the
	// latency-over-time plot), hold when each matched request began (Unix
	// seconds) and its latency under the headline definition, ordered by
	// time. They cost 16 bytes per exchange, hence opt-in.
	Times, TimeSamples []float64
	// Fit and CI are there when asked for (Options.Fit, Options.CI), for
	// the headline definition.
	Fit      []stats.Model
	FitError string
	CI       *stats.Bootstrap
	// Breakdown is what the exchanges were (breakdown.go).
	Breakdown      *Breakdown
	hostCount      map[string]int
	untrackedHosts int
	bd             *breakdownAcc
}

// Latency is the summary of one server's latencies under one definition.
type Latency struct {
	stats.Summary
	KL float64
}

// Result is a whole measurement.
type Result struct {
	Files []FileInfo
	// Definition is the headline latency definition (Options.Definition).
	Definition Definition
	Pairing    http1.Pairing
	Servers    []*ServerResult // busiest first
	Total      Counts
	UDPIgnored int
	// Estimated counts messages whose byte times are upper bounds.
	Estimated int
	// Ambiguous counts responses paired by guess after a capture gap.
	Ambiguous int
	// DuplicatesIgnored counts HTTP messages seen again on retransmitted
	// segments (not exchanges).
	DuplicatesIgnored int
	Partial           bool
	// PartialBecause says, one line per cut, why Partial is set (each
	// is among Warnings too): what a user reads on the exit-3 line.
	PartialBecause []string
	Warnings       []string
	// Unsplit names the files --jobs could not split by connection, and
	// why (a link type or tunnel the splitter does not read): one tshark
	// dissected each, with the same results. It is how the run went, not
	// what it found, so it is no warning and not in the JSON, which must
	// not change with --jobs; --stats prints it.
	Unsplit    []string `json:"-"`
	Crosscheck *Crosscheck
	// HTTP2 and TLS are there when the HTTP/2 pass ran and found any.
	HTTP2         *HTTP2Summary
	TLS           *TLSSummary
	QUIC          *QUICSummary // QUIC connections found, none measured
	TsharkVersion tshark.Version
	// Selection is the selection applied (Options.Select), nil for none.
	Selection *SelectionResult
}

// Lookup returns the result of the server at ap, nil when it has none.
func (r *Result) Lookup(ap netip.AddrPort) *ServerResult {
	for _, s := range r.Servers {
		if s.Server == ap {
			return s
		}
	}
	return nil
}

// FileInfo describes one input file.
type FileInfo struct {
	Path string       `json:"path"`
	Info capfile.Info `json:"capture"`
}
