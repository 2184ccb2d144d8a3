package httplat

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/stats"
)

// aggregator gathers every file's exchanges; files and shards dissected at
// the same time add to it concurrently, hence the lock.
type aggregator struct {
	mu sync.Mutex
	// timeSeries is the definition whose latencies are kept in time
	// order ("" for none).
	timeSeries Definition
	headline   Definition
	servers    map[netip.AddrPort]*ServerResult
	udp        int
	est        int
	ambiguous  int
	dups       int
	h2         *HTTP2Summary
	tls        *TLSSummary
	tlsBy      map[netip.AddrPort]*TLSServer
	quic       map[netip.AddrPort]int // QUIC connections by server (probe.go)
}

func newAggregator(opt Options) *aggregator {
	a := &aggregator{servers: map[netip.AddrPort]*ServerResult{}, headline: opt.Definition}
	if opt.TimeSeries {
		a.timeSeries = opt.Definition
	}
	return a
}

// scratch returns an empty aggregator that keeps what a keeps.
func (a *aggregator) scratch() *aggregator {
	return &aggregator{servers: map[netip.AddrPort]*ServerResult{}, timeSeries: a.timeSeries, headline: a.headline}
}

func (a *aggregator) server(ap netip.AddrPort) *ServerResult {
	s := a.servers[ap]
	if s == nil {
		s = &ServerResult{Server: ap, Samples: map[Definition][]float64{}, hostCount: map[string]int{}}
		a.servers[ap] = s
	}
	return s
}

func (a *aggregator) add(e *exchange.Exchange) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.server(e.Server)
	switch e.Kind {
	case exchange.Matched:
		s.Counts.Requests++
		s.Counts.Responses++
		s.Counts.Matched++
		if e.RespLastUnknown {
			s.Counts.TTLBUndefined++
		}
		if e.ReqLastUnknown {
			s.Counts.ServerTimeUndefined++
		}
		for _, d := range Definitions {
			// A last byte the capture lacks leaves TTLB (or server
			// time) undefined: left out of the samples, never guessed.
			if (d == TTLB && e.RespLastUnknown) || (d == Server && e.ReqLastUnknown) {
				continue
			}
			s.Samples[d] = append(s.Samples[d], d.Value(e))
		}
		if a.timeSeries != "" {
			s.Times = append(s.Times, e.ReqFirst.Seconds())
			s.TimeSamples = append(s.TimeSamples, a.timeSeries.Value(e))
		}
	case exchange.Unmatched:
		s.Counts.Requests++
		s.Counts.UnmatchedRequests++
		if e.ResponseLost {
			s.Counts.LostInGaps++
		}
		if e.ResponseIncomplete {
			s.Counts.Incomplete++
		}
	case exchange.Orphan:
		s.Counts.Responses++
		s.Counts.OrphanResponses++
	}
	s.Counts.Interim += e.Interim
	if e.Reconstructed {
		s.Counts.Reconstructed++
	}
	if e.Ambiguous != "" {
		s.Counts.Ambiguous++
	}
	switch e.Protocol {
	case exchange.HTTP1:
		s.Counts.HTTP1++
	case exchange.H2:
		s.Counts.H2++
	}
	if e.Host != "" {
		s.countHost(e.Host, 1)
	}
	s.breakdown().add(e, a.headline.Value(e))
}

// merge adds everything b gathered to a. b must not be used afterwards:
// its sample slices may become a's.
func (a *aggregator) merge(b *aggregator) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.udp += b.udp
	a.est += b.est
	a.ambiguous += b.ambiguous
	a.dups += b.dups
	for ap, bs := range b.servers {
		s := a.server(ap)
		s.Counts.add(bs.Counts)
		for _, def := range Definitions {
			s.Samples[def] = appendOrTake(s.Samples[def], bs.Samples[def])
		}
		s.Times = appendOrTake(s.Times, bs.Times)
		s.TimeSamples = appendOrTake(s.TimeSamples, bs.TimeSamples)
		for h, n := range bs.hostCount {
			s.countHost(h, n)
		}
		s.untrackedHosts += bs.untrackedHosts
		s.breakdown().merge(bs.breakdown())
	}
}

// appendOrTake appends b to a, or takes b whole when a is empty: the
// samples of one big file are not copied.
func appendOrTake(a, b []float64) []float64 {
	if len(a) == 0 {
		return b
	}
	return append(a, b...)
}

// addTally adds what a pass's selected pairer counted besides exchanges.
func (a *aggregator) addTally(t http1.Tally) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.udp += t.UDPMessages
	a.est += t.Estimated
	a.ambiguous += t.Ambiguous
	a.dups += t.DuplicateMessages
	// Attributed whether or not the server's exchanges were reported yet
	// (a connection stalled by a capture gap reports them in a second
	// pass); servers with no exchange at all are left out in finish.
	for ap, n := range t.RetransByServer {
		a.server(ap).Counts.RetransSegments += n
	}
	for ap, n := range t.ConnsByServer {
		a.server(ap).Counts.Connections += n
	}
	for ap, n := range t.InterimByServer {
		a.server(ap).Counts.Interim += n
	}
}

// canonicalOrder puts a server's samples in an order that does not
// depend on how the exchanges arrived: each definition's values sorted, in
// place (no copies: they are the biggest thing pcapmeter holds, which is
// also why the definitions are not kept row by row).
func (s *ServerResult) canonicalOrder() {
	for _, d := range Definitions {
		slices.Sort(s.Samples[d])
	}
	// Pairs equal in both fields are interchangeable, so an unstable sort
	// gives the same slices whatever the arrival order.
	sort.Sort(timeOrder{t: s.Times, v: s.TimeSamples})
}

// timeOrder sorts the time series by request time, then latency.
type timeOrder struct{ t, v []float64 }

func (c timeOrder) Len() int { return len(c.t) }
func (c timeOrder) Less(i, j int) bool {
	if c.t[i] != c.t[j] {
		return c.t[i] < c.t[j]
	}
	return c.v[i] < c.v[j]
}
func (c timeOrder) Swap(i, j int) {
	c.t[i], c.t[j] = c.t[j], c.t[i]
	c.v[i], c.v[j] = c.v[j], c.v[i]
}

// finish puts the gathered figures into res: the selected servers
// summarized, busiest first, the totals and the warnings they call for.
func (a *aggregator) finish(res *Result, opt Options) {
	res.UDPIgnored = a.udp
	res.Estimated = a.est
	for _, s := range a.servers {
		if s.Counts.Requests+s.Counts.Responses == 0 {
			continue
		}
		// The display filter selects packets to or from the address; the
		// same host may also be a client of other servers, which were not
		// asked about.
		if (opt.Server.IsValid() && s.Server.Addr() != opt.Server) || (opt.Port != 0 && s.Server.Port() != opt.Port) {
			continue
		}
		s.summarize(opt)
		res.Servers = append(res.Servers, s)
		res.Total.add(s.Counts)
	}
	sort.Slice(res.Servers, func(i, j int) bool {
		a, b := res.Servers[i], res.Servers[j]
		if a.Counts.Matched != b.Counts.Matched {
			return a.Counts.Matched > b.Counts.Matched
		}
		if a.Counts.Requests != b.Counts.Requests {
			return a.Counts.Requests > b.Counts.Requests
		}
		return a.Server.String() < b.Server.String()
	})
	res.Ambiguous = a.ambiguous
	res.DuplicatesIgnored = a.dups
	a.finishH2(res, len(opt.KeyLogs) > 0)
	a.finishQUIC(res)
	if a.ambiguous > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d responses follow a capture gap on a connection with several pipelined requests outstanding; how many responses the gap swallowed is unknowable, so their pairing is a best guess", a.ambiguous))
	}
	if res.Estimated > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d messages have upper-bound byte times (they completed behind a retransmission that filled a hole, or their first segment left the segment buffer); see times_estimated in CSV", res.Estimated))
	}
}

// summarize computes a server's latency figures and orders its hosts,
// most frequent first.
func (s *ServerResult) summarize(opt Options) {
	s.canonicalOrder()
	s.Breakdown = s.breakdown().finish(opt.top(), opt.Interval)
	s.bd = nil
	s.Latency = map[Definition]Latency{}
	for _, d := range Definitions {
		sum, _ := stats.Summarize(s.Samples[d], opt.Percentiles)
		kl, _ := stats.KLExponential(s.Samples[d], opt.KL)
		s.Latency[d] = Latency{Summary: sum, KL: kl}
	}
	s.Breakdown.Hosts, s.Breakdown.UntrackedHosts = s.hostCount, s.untrackedHosts
	for h := range s.hostCount {
		s.Hosts = append(s.Hosts, h)
	}
	sort.Slice(s.Hosts, func(i, j int) bool {
		ci, cj := s.hostCount[s.Hosts[i]], s.hostCount[s.Hosts[j]]
		if ci != cj {
			return ci > cj
		}
		return s.Hosts[i] < s.Hosts[j]
	})
}

// countHost adds n requests to host, keeping at most MaxURIs distinct
// Host headers per server (a capture with a made-up Host per request
// must not grow without bound); the rest are counted untracked.
func (s *ServerResult) countHost(host string, n int) {
	if _, ok := s.hostCount[host]; ok || len(s.hostCount) < MaxURIs {
		s.hostCount[host] += n
		return
	}
	s.untrackedHosts += n
}
