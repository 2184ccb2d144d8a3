// Package httplat is the HTTP latency measurement that both binaries
// (pcapmeter http and measure-webserver) run: check the capture, run
// tshark, decode and pair its rows, and aggregate latencies per server. It
// exists so that the two front ends share one pipeline and differ only in
// how they print the result.
package httplat

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Definition names a latency definition.
type Definition string

// The latency definitions every report names.
const (
	TTFB   Definition = "ttfb"   // request first byte → response first byte
	TTLB   Definition = "ttlb"   // request first byte → response last byte
	Server Definition = "server" // request last byte → response first byte
)

// Definitions lists them in report order.
var Definitions = []Definition{TTFB, TTLB, Server}

// Describe says what a definition measures, for reports.
func (d Definition) Describe() string {
	switch d {
	case TTFB:
		return "request first byte -> response first byte"
	case TTLB:
		return "request first byte -> response last byte"
	case Server:
		return "request last byte -> response first byte"
	}
	return string(d)
}

// ParseDefinition validates a --latency value.
func ParseDefinition(s string) (Definition, error) {
	for _, d := range Definitions {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown latency definition %q: want ttfb, ttlb or server", s)
}

// Value returns the exchange's latency under d, in seconds.
func (d Definition) Value(e *exchange.Exchange) float64 {
	switch d {
	case TTLB:
		return e.TTLB()
	case Server:
		return e.ServerTime()
	}
	return e.TTFB()
}

// Options configure one measurement.
type Options struct {
	Files []string
	// Server and Port restrict the analysis; zero values mean any.
	Server netip.Addr
	Port   uint16
	// HTTPPorts are decoded as HTTP on top of tshark's defaults (Port is
	// added automatically).
	HTTPPorts   []uint16
	Pairing     http1.Pairing
	Crosscheck  bool
	Percentiles []float64
	KL          stats.KLOptions
	Tshark      string // binary to run; found with tshark.Locate when empty
	Mode        tshark.OutputMode
	// Jobs > 1 splits each capture by TCP connection and dissects the
	// shards with that many tshark processes at a time (or runs that many
	// files side by side). Below 1 means 1.
	Jobs int
	// Progress, if set, is told how many bytes of the current file the
	// flow splitter has read, of how many.
	Progress func(done, total int64)
	// OnExchange, if set, sees every exchange (of the selected pairing)
	// as soon as it is complete; it is how CSV output streams.
	OnExchange func(file string, e *exchange.Exchange) error
	// TimeSeries, if set, keeps each server's latencies under this
	// definition in request-time order (ServerResult.Times, TimeSamples).
	TimeSeries Definition
}

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
	// Times and TimeSamples, kept only when Options.TimeSeries names a
	// definition (for the latency-over-time plot), hold when each matched
	// request began (Unix seconds) and its latency under that definition,
	// ordered by time. They cost 16 bytes per exchange, hence opt-in.
	Times, TimeSamples []float64
	// Fit and CI are filled by Enrich when asked for (--fit, --ci), for
	// the headline definition.
	Fit       []stats.Model
	FitError  string
	CI        *stats.Bootstrap
	hostCount map[string]int
}

// Latency is the summary of one server's latencies under one definition.
type Latency struct {
	stats.Summary
	KL float64
}

// Disagreement is one request the two pairings match differently.
type Disagreement struct {
	File        string
	Request     exchange.MsgRef
	Tuple       exchange.MsgRef // zero Frame: no response
	Tshark      exchange.MsgRef
	TupleStatus int
}

// Crosscheck compares tuple pairing with tshark's links.
type Crosscheck struct {
	Requests      int            `json:"requests"`
	Agree         int            `json:"agree"`
	Disagree      int            `json:"disagree"`
	Disagreements []Disagreement `json:"first_disagreements"`
}

// MaxDisagreements bounds how many disagreements are listed.
const MaxDisagreements = 20

// Result is a whole measurement.
type Result struct {
	Files      []FileInfo
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
	Warnings          []string
	Crosscheck        *Crosscheck
	TsharkVersion     tshark.Version
}

// FileInfo describes one input file.
type FileInfo struct {
	Path string       `json:"path"`
	Info capfile.Info `json:"capture"`
}

// Errors callers branch on.
var (
	// ErrNoHTTP says that the capture holds no HTTP exchange for the
	// selection; the result is still returned for its counts.
	ErrNoHTTP = errors.New("no HTTP exchange found")
)

// Run performs the measurement. On a truncated capture it returns the
// result with Partial set and a nil error.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if len(opt.Files) == 0 {
		return nil, errors.New("no capture file given")
	}
	if opt.Pairing == "" {
		opt.Pairing = http1.PairTuple
	}
	opt.Jobs = max(1, opt.Jobs)
	if opt.Percentiles == nil {
		opt.Percentiles = stats.DefaultPercentiles
	}
	if opt.KL.Buckets == 0 {
		opt.KL = stats.DefaultKL
	}
	if err := stats.ValidatePercentiles(opt.Percentiles); err != nil {
		return nil, err
	}
	if _, err := stats.KLExponential([]float64{1}, opt.KL); err != nil {
		return nil, err
	}
	res := &Result{Pairing: opt.Pairing}
	for _, f := range opt.Files {
		info, err := capfile.Sniff(f)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, FileInfo{Path: f, Info: info})
	}
	path, err := tshark.Locate(opt.Tshark)
	if err != nil {
		return nil, err
	}
	// tshark takes ~0.3 s to start; the version check runs beside the
	// first dissection instead of before it. Its verdict wins over any
	// error the dissection hit, since an unsupported tshark explains those.
	checked := make(chan error, 1)
	go func() {
		var err error
		res.TsharkVersion, err = tshark.Check(ctx, path)
		checked <- err
	}()
	checkErr := func() error {
		if checked == nil {
			return nil
		}
		err := <-checked
		checked = nil
		return err
	}
	defer checkErr()
	agg := newAggregator()
	agg.timeSeries = opt.TimeSeries
	var cc *crossState
	if opt.Crosscheck {
		cc = &crossState{tuple: map[key]exchange.MsgRef{}, tshark: map[key]exchange.MsgRef{}, status: map[key]int{}}
	}
	reps, err := runFiles(ctx, path, res.Files, opt, agg, cc)
	if err != nil {
		if cerr := checkErr(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	if err := checkErr(); err != nil {
		return nil, err
	}
	for _, r := range reps {
		res.Partial = res.Partial || r.partial
		res.Warnings = append(res.Warnings, r.warnings...)
	}
	agg.finish(res, opt)
	if cc != nil {
		res.Crosscheck = cc.result()
	}
	if res.Total.Requests+res.Total.Responses == 0 {
		return res, ErrNoHTTP
	}
	return res, nil
}

// fileReport is what one file's run has to add to the result, kept apart
// so that files dissected at the same time report in the order given.
type fileReport struct {
	partial  bool
	warnings []string
}

func (r *fileReport) markPartial(file string) {
	r.partial = true
	r.warn("%s: the capture is cut short in the middle of a packet; results cover the packets before the cut", file)
}

func (r *fileReport) warn(format string, a ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, a...))
}

func runFile(ctx context.Context, bin, file string, opt Options, agg *aggregator, cc *crossState, rep *fileReport) error {
	modes := []http1.Pairing{opt.Pairing}
	if cc != nil {
		other := http1.PairTshark
		if opt.Pairing == http1.PairTshark {
			other = http1.PairTuple
		}
		modes = append(modes, other)
	}
	// target is where exchanges count; a split run counts into a scratch
	// aggregator first, so that a split abandoned late (a packet the
	// splitter cannot place, found at the end of the file) leaves nothing
	// behind that the single-tshark run would count again.
	target := agg
	emit := func(mode http1.Pairing, e *exchange.Exchange) error {
		if cc != nil {
			cc.add(file, mode, e)
		}
		if mode != opt.Pairing {
			return nil
		}
		target.add(e)
		if opt.OnExchange != nil {
			return opt.OnExchange(file, e)
		}
		return nil
	}

	// Pass 1: out-of-order reassembly on, so a response whose segment was
	// lost before the capture point and retransmitted is still reported.
	// deferred[i] holds, per mode, the withheld requests of connections a
	// capture gap stalled, by tcp.stream.
	var deferred []map[int64][]exchange.Exchange
	est, estErr := shard.EstimatePackets(file)
	// Split when asked to run in parallel, and also when one tshark would
	// hold too many packets: that bounds its memory whatever --jobs says.
	if opt.Jobs > 1 || (estErr == nil && est > shardPackets) {
		target = newAggregator()
		target.timeSeries = agg.timeSeries
		d, err := runSharded(ctx, bin, file, opt, est, estErr, modes, emit, target, rep)
		if err != nil && !errors.Is(err, errFallback) {
			return err
		}
		if err == nil {
			agg.merge(target)
		}
		target = agg
		if err != nil {
			why := strings.TrimPrefix(err.Error(), errFallback.Error()+": ")
			rep.warn("%s: dissected by one tshark, not split by connection (%s)", file, why)
		}
		deferred = d
	}
	if deferred == nil {
		pass1 := make([]*http1.Pairer, len(modes))
		for i, m := range modes {
			pass1[i] = http1.NewPairer(http1.Options{Mode: m, DeferStalled: true}, func(e *exchange.Exchange) error { return emit(m, e) })
		}
		var onFrame func(int64)
		if opt.Progress != nil && estErr == nil && est > 0 {
			// Without the splitter counting bytes, tshark's frame numbers
			// over the estimated packet count tell how far it has come.
			size := fileSize(file)
			onFrame = func(frame int64) {
				opt.Progress(min(size, size*frame/est), size)
			}
		}
		truncated, tallies, err := dissectFile(ctx, bin, file, opt, true, nil, pass1, onFrame)
		if err != nil {
			return err
		}
		if truncated {
			rep.markPartial(file)
		}
		agg.counters(tallies[0])
		for _, t := range tallies {
			deferred = append(deferred, t.Stalled)
		}
	}

	// Pass 2, only for connections where a gap the capture never filled
	// stalled out-of-order reassembly: re-read them with it off.
	ids := map[int64]bool{}
	for _, d := range deferred {
		for id := range d {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	withheld := make([]map[exchange.MsgRef]exchange.Exchange, len(modes))
	firstFrame := make([]map[int64]int64, len(modes))
	pass2 := make([]*http1.Pairer, len(modes))
	for i, m := range modes {
		withheld[i] = map[exchange.MsgRef]exchange.Exchange{}
		firstFrame[i] = map[int64]int64{}
		for id, exs := range deferred[i] {
			firstFrame[i][id] = exs[0].Req.Frame
			for _, e := range exs {
				withheld[i][e.Req] = e
			}
		}
		pass2[i] = http1.NewPairer(http1.Options{Mode: m}, func(e *exchange.Exchange) error {
			if e.Kind == exchange.Orphan {
				// Responses after the stall were never reported in pass 1.
				if f, ok := firstFrame[i][e.Stream]; ok && e.Resp.Frame > f {
					return emit(m, e)
				}
				return nil
			}
			if _, ok := withheld[i][e.Req]; !ok {
				return nil // already reported by pass 1
			}
			delete(withheld[i], e.Req)
			return emit(m, e)
		})
	}
	if _, _, err := dissectFile(ctx, bin, file, opt, false, sorted, pass2, nil); err != nil {
		return err
	}
	for i, m := range modes {
		left := make([]exchange.Exchange, 0, len(withheld[i]))
		for _, e := range withheld[i] {
			left = append(left, e)
		}
		slices.SortFunc(left, func(a, b exchange.Exchange) int {
			if a.Req.Frame != b.Req.Frame {
				return int(a.Req.Frame - b.Req.Frame)
			}
			return a.Req.Index - b.Req.Index
		})
		for j := range left {
			if err := emit(m, &left[j]); err != nil {
				return err
			}
		}
	}
	rep.warn("%s: %d connection(s) have a gap the capture never fills; they were re-read without out-of-order reassembly", file, len(sorted))
	return nil
}

// httpSpec is the tshark command for the HTTP rows of file ("-": stdin).
// reorder turns tshark's out-of-order reassembly on; streams, if not nil,
// restricts the run to those TCP connections.
func httpSpec(file string, opt Options, reorder bool, streams []int64) tshark.Spec {
	ports := slices.Clone(opt.HTTPPorts)
	if opt.Port != 0 && !slices.Contains(ports, opt.Port) {
		ports = append(ports, opt.Port)
	}
	filter := http1.DisplayFilter
	if sf := tshark.ServerFilter(opt.Server, opt.Port); sf != "" {
		filter = "(" + filter + ") && (" + sf + ")"
	}
	if streams != nil {
		ids := make([]string, len(streams))
		for i, id := range streams {
			ids[i] = strconv.FormatInt(id, 10)
		}
		filter = "(" + filter + ") && tcp.stream in {" + strings.Join(ids, ",") + "}"
	}
	prefs := []string{"tcp.reassemble_out_of_order:FALSE"}
	if reorder {
		prefs[0] = "tcp.reassemble_out_of_order:TRUE"
	}
	return tshark.Spec{
		Input: file, Fields: http1.Fields, Mode: opt.Mode,
		DisplayFilter: filter, HTTPPorts: ports, Prefs: prefs,
	}
}

// dissectFile runs tshark once over file and feeds every row to the pairers,
// then flushes them. It reports whether the capture was cut short.
// reorder turns tshark's out-of-order reassembly on; streams, if not nil,
// restricts the run to those TCP connections. onFrame, if set, is told
// the frame number of every 1024th row.
func dissectFile(ctx context.Context, bin, file string, opt Options, reorder bool, streams []int64, pairers []*http1.Pairer, onFrame func(int64)) (truncated bool, tallies []http1.Tally, err error) {
	spec := httpSpec(file, opt, reorder, streams)
	rows := 0
	truncated, err = dissect.Run(ctx, bin, spec, http1.ToPacket, func(pk *http1.Packet) error {
		if rows++; onFrame != nil && rows&0x3ff == 0 {
			onFrame(pk.Frame)
		}
		for _, p := range pairers {
			if err := p.Add(pk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, nil, err
	}
	for _, p := range pairers {
		t, err := p.Flush()
		if err != nil {
			return truncated, nil, err
		}
		tallies = append(tallies, t)
	}
	return truncated, tallies, nil
}

// aggregator gathers every file's exchanges; files and shards dissected at
// the same time add to it concurrently, hence the lock.
type aggregator struct {
	mu         sync.Mutex
	timeSeries Definition
	servers    map[netip.AddrPort]*ServerResult
	udp        int
	est        int
	ambiguous  int
	dups       int
}

func newAggregator() *aggregator {
	return &aggregator{servers: map[netip.AddrPort]*ServerResult{}}
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
		for _, d := range Definitions {
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
	if e.Host != "" {
		s.hostCount[e.Host]++
	}
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
			s.hostCount[h] += n
		}
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

func (a *aggregator) counters(c http1.Tally) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := c
	a.udp += c.UDPMessages
	a.est += c.Estimated
	a.ambiguous += c.Ambiguous
	// Attributed whether or not the server's exchanges were reported yet
	// (a connection stalled by a capture gap reports them in a second
	// pass); servers with no exchange at all are left out in finish.
	for ap, n := range p.RetransByServer {
		a.server(ap).Counts.RetransSegments += n
	}
	for ap, n := range p.ConnsByServer {
		a.server(ap).Counts.Connections += n
	}
	for ap, n := range p.InterimByServer {
		a.server(ap).Counts.Interim += n
	}
	a.dups += c.DuplicateMessages
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
		s.canonicalOrder()
		s.Latency = map[Definition]Latency{}
		for _, d := range Definitions {
			sum, _ := stats.Summarize(s.Samples[d], opt.Percentiles)
			kl, _ := stats.KLExponential(s.Samples[d], opt.KL)
			s.Latency[d] = Latency{Summary: sum, KL: kl}
		}
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
	if a.ambiguous > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d responses follow a capture gap on a connection with several pipelined requests outstanding; how many responses the gap swallowed is unknowable, so their pairing is a best guess", a.ambiguous))
	}
	if res.Estimated > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d messages have upper-bound byte times (they completed behind a retransmission that filled a hole, or their first segment left the segment buffer); see times_estimated in CSV", res.Estimated))
	}
}

type key struct {
	file string
	req  exchange.MsgRef
}

type crossState struct {
	mu            sync.Mutex
	tuple, tshark map[key]exchange.MsgRef
	status        map[key]int
}

func (c *crossState) add(file string, mode http1.Pairing, e *exchange.Exchange) {
	if e.Kind == exchange.Orphan {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key{file, e.Req}
	var resp exchange.MsgRef
	if e.Kind == exchange.Matched {
		resp = e.Resp
	}
	if mode == http1.PairTuple {
		c.tuple[k] = resp
		c.status[k] = e.Status
	} else {
		c.tshark[k] = resp
	}
}

func (c *crossState) result() *Crosscheck {
	out := &Crosscheck{Requests: len(c.tuple)}
	keys := make([]key, 0, len(c.tuple))
	for k := range c.tuple {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		if keys[i].req.Frame != keys[j].req.Frame {
			return keys[i].req.Frame < keys[j].req.Frame
		}
		return keys[i].req.Index < keys[j].req.Index
	})
	for _, k := range keys {
		tu, ts := c.tuple[k], c.tshark[k]
		if tu == ts {
			out.Agree++
			continue
		}
		out.Disagree++
		if len(out.Disagreements) < MaxDisagreements {
			out.Disagreements = append(out.Disagreements, Disagreement{File: k.file, Request: k.req, Tuple: tu, Tshark: ts, TupleStatus: c.status[k]})
		}
	}
	return out
}

// HostList joins a server's Host headers for display.
func (s *ServerResult) HostList(max int) string {
	h := s.Hosts
	more := ""
	if len(h) > max {
		more = fmt.Sprintf(" (+%d more)", len(h)-max)
		h = h[:max]
	}
	return strings.Join(h, ", ") + more
}

// CISeed seeds the bootstrap, so that the same capture gives the same
// intervals; reports state it.
const CISeed = 1

// Enrich adds, for every server and the headline definition d, the model
// fits (fit) and bootstrap confidence intervals at level ci (0: none) for
// the mean and each percentile.
func Enrich(res *Result, d Definition, fit bool, ci float64, ps []float64, kl stats.KLOptions) {
	for _, s := range res.Servers {
		xs := s.Samples[d]
		if fit {
			ms, err := stats.Fit(xs, kl)
			s.Fit = ms
			if err != nil {
				s.FitError = err.Error()
			}
		}
		if ci > 0 && len(xs) > 0 {
			b := stats.BootstrapCI(xs, ps, ci, CISeed)
			s.CI = &b
		}
	}
}
