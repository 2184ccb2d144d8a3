package httplat

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/stats"
)

// MaxURIs bounds the distinct URI paths a server's breakdown tracks: a
// browsing or crawling capture can hold hundreds of thousands, each only
// once. Exchanges on paths beyond it are counted together (OtherURIs).
const MaxURIs = 10000

// maxBuckets bounds a server's rate time series; a capture spanning longer
// than maxBuckets intervals gets a wider interval (Breakdown.Interval).
const maxBuckets = 100000

// Breakdown is what a server's exchanges were: status codes, methods, the
// busiest URIs, latency by status class, body and message sizes, and
// rates. Latencies are under the headline definition, in seconds.
type Breakdown struct {
	// StatusCodes counts final status codes over matched exchanges.
	StatusCodes map[int]int
	// ClientErrors and ServerErrors count 4xx and 5xx among them.
	ClientErrors, ServerErrors int
	// Methods and Hosts count requests (unanswered ones included) by
	// method and by Host header; UntrackedHosts those past the first
	// MaxURIs distinct hosts.
	Methods        map[string]int
	Hosts          map[string]int
	UntrackedHosts int
	// ByClass summarizes latency per status class ("2xx" … "5xx").
	ByClass map[string]Quantiles
	// TopURIs are the busiest paths (query strings dropped), at most
	// Options.Top; DistinctURIs counts the paths tracked, OtherURIs the
	// requests on paths past MaxURIs.
	TopURIs      []URIStat
	DistinctURIs int
	OtherURIs    int
	// Sizes in bytes: bodies by Content-Length, messages on the wire.
	ReqBody, RespBody, ReqWire, RespWire SizeStat
	// Rates over the active span (first request byte to last response
	// byte of the matched exchanges).
	First, Last     float64 // Unix seconds; 0 when nothing matched
	RequestsPerSec  float64
	WireBytesPerSec float64 // response bytes on the wire per second
	// Interval is the time series' bucket width in seconds; Series holds
	// one entry per interval from First's, empty intervals included.
	Interval float64
	Series   []RateBucket
}

// Quantiles is a small latency summary.
type Quantiles struct {
	N             int
	P50, P99, Max float64
}

// URIStat is one path's count and latency.
type URIStat struct {
	URI string
	Quantiles
}

// SizeStat summarizes sizes that are known for N of the matched
// exchanges; Unknown counts the others (no Content-Length; on the wire:
// bytes the capture lacks, or where a message starts or ends is not in
// tshark's fields), which the figures leave out rather than count as 0.
type SizeStat struct {
	N, Unknown    int
	Total         int64
	P50, P99, Max int64
}

// RateBucket counts the requests that began in one interval and the
// response bytes on the wire of those requests.
type RateBucket struct {
	Start     float64
	Requests  int
	WireBytes int64
}

// breakdownAcc gathers a server's Breakdown. Its memory is one latency
// per matched exchange per URI and per class (as Samples already holds),
// four sizes per exchange, and at most MaxURIs paths.
type breakdownAcc struct {
	codes                      map[int]int
	methods                    map[string]int
	classes                    map[string][]float64
	uris                       map[string][]float64
	other                      int
	reqBody, respBody          []int64
	reqWire, respWire          []int64
	times                      []float64 // request start of matched exchanges
	wire                       []int64   // their response wire bytes (0 unknown)
	first, last                float64
	clientErrors, serverErrors int
}

// UnparsedMethod is the method a request tshark could not parse is
// counted under in Breakdown.Methods.
const UnparsedMethod = "(unparsed)"

func newBreakdownAcc() *breakdownAcc {
	return &breakdownAcc{codes: map[int]int{}, methods: map[string]int{}, classes: map[string][]float64{}, uris: map[string][]float64{}}
}

// add counts one exchange; lat is its headline latency (matched only).
func (b *breakdownAcc) add(e *exchange.Exchange, lat float64) {
	switch {
	case e.Method != "":
		b.methods[e.Method]++
	case e.Kind != exchange.Orphan:
		// A request tshark could not parse (a malformed request line, an
		// HTTP/2 header block it did not decode): counted, not hidden.
		b.methods[UnparsedMethod]++
	}
	if e.Kind != exchange.Matched {
		return
	}
	b.codes[e.Status]++
	switch {
	case e.Status >= 400 && e.Status < 500:
		b.clientErrors++
	case e.Status >= 500 && e.Status < 600:
		b.serverErrors++
	}
	if e.Status >= 100 && e.Status < 1000 {
		c := strconv.Itoa(e.Status/100) + "xx"
		b.classes[c] = append(b.classes[c], lat)
	}
	path, _, _ := strings.Cut(e.URI, "?")
	if l, ok := b.uris[path]; ok || len(b.uris) < MaxURIs {
		b.uris[path] = append(l, lat)
	} else {
		b.other++
	}
	b.reqBody = appendSize(b.reqBody, e.ReqBody)
	b.respBody = appendSize(b.respBody, e.RespBody)
	b.reqWire = appendSize(b.reqWire, e.ReqWire)
	b.respWire = appendSize(b.respWire, e.RespWire)
	t0, t1 := e.ReqFirst.Seconds(), e.RespLast.Seconds()
	if len(b.times) == 0 || t0 < b.first {
		b.first = t0
	}
	if t1 > b.last {
		b.last = t1
	}
	b.times = append(b.times, t0)
	b.wire = append(b.wire, e.RespWire.N)
}

func appendSize(l []int64, s exchange.Size) []int64 {
	if s.Known {
		return append(l, s.N)
	}
	return l
}

// merge adds o's figures to b; o must not be used afterwards.
func (b *breakdownAcc) merge(o *breakdownAcc) {
	for k, n := range o.codes {
		b.codes[k] += n
	}
	for k, n := range o.methods {
		b.methods[k] += n
	}
	for k, l := range o.classes {
		b.classes[k] = append(b.classes[k], l...)
	}
	for k, l := range o.uris {
		if m, ok := b.uris[k]; ok || len(b.uris) < MaxURIs {
			b.uris[k] = append(m, l...)
		} else {
			b.other += len(l)
		}
	}
	b.other += o.other
	b.clientErrors += o.clientErrors
	b.serverErrors += o.serverErrors
	b.reqBody = append(b.reqBody, o.reqBody...)
	b.respBody = append(b.respBody, o.respBody...)
	b.reqWire = append(b.reqWire, o.reqWire...)
	b.respWire = append(b.respWire, o.respWire...)
	if len(o.times) > 0 && (len(b.times) == 0 || o.first < b.first) {
		b.first = o.first
	}
	b.last = math.Max(b.last, o.last)
	b.times = append(b.times, o.times...)
	b.wire = append(b.wire, o.wire...)
}

// finish computes the Breakdown: top (at most) URIs, time series buckets
// of interval seconds (widened to stay under maxBuckets).
func (b *breakdownAcc) finish(top int, interval float64) *Breakdown {
	r := &Breakdown{StatusCodes: b.codes, Methods: b.methods, ByClass: map[string]Quantiles{},
		ClientErrors: b.clientErrors, ServerErrors: b.serverErrors,
		DistinctURIs: len(b.uris), OtherURIs: b.other,
		ReqBody: sizeStat(b.reqBody), RespBody: sizeStat(b.respBody),
		ReqWire: sizeStat(b.reqWire), RespWire: sizeStat(b.respWire)}
	for c, l := range b.classes {
		r.ByClass[c] = quantiles(l)
	}
	r.TopURIs = topURIs(b.uris, top)
	for _, z := range []*SizeStat{&r.ReqBody, &r.RespBody, &r.ReqWire, &r.RespWire} {
		z.Unknown = len(b.times) - z.N
	}
	if len(b.times) > 0 {
		r.First, r.Last = b.first, b.last
		if span := b.last - b.first; span > 0 {
			r.RequestsPerSec = float64(len(b.times)) / span
			r.WireBytesPerSec = float64(r.RespWire.Total) / span
		}
		r.Interval, r.Series = series(b.times, b.wire, b.first, b.last, interval)
	}
	return r
}

// quantiles sorts l in place and summarizes it (nearest rank).
func quantiles(l []float64) Quantiles {
	if len(l) == 0 {
		return Quantiles{}
	}
	slices.Sort(l)
	n := len(l)
	return Quantiles{N: n, P50: l[stats.NearestRank(50, n)-1], P99: l[stats.NearestRank(99, n)-1], Max: l[n-1]}
}

func sizeStat(l []int64) SizeStat {
	if len(l) == 0 {
		return SizeStat{}
	}
	slices.Sort(l)
	n := len(l)
	s := SizeStat{N: n, P50: l[stats.NearestRank(50, n)-1], P99: l[stats.NearestRank(99, n)-1], Max: l[n-1]}
	for _, v := range l {
		s.Total += v
	}
	return s
}

// topURIs returns the top busiest paths, ties by path.
func topURIs(uris map[string][]float64, top int) []URIStat {
	keys := make([]string, 0, len(uris))
	for k := range uris {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if a, b := len(uris[keys[i]]), len(uris[keys[j]]); a != b {
			return a > b
		}
		return keys[i] < keys[j]
	})
	if len(keys) > top {
		keys = keys[:top]
	}
	out := make([]URIStat, 0, len(keys))
	for _, k := range keys {
		out = append(out, URIStat{URI: k, Quantiles: quantiles(uris[k])})
	}
	return out
}

// series buckets the requests by start time.
func series(times []float64, wire []int64, first, last, interval float64) (float64, []RateBucket) {
	if interval <= 0 {
		interval = 1
	}
	for (last-first)/interval >= maxBuckets {
		interval *= 10
	}
	base := math.Floor(first/interval) * interval
	n := int((last-base)/interval) + 1
	out := make([]RateBucket, n)
	for i := range out {
		out[i].Start = base + float64(i)*interval
	}
	for i, t := range times {
		k := int((t - base) / interval)
		if k >= 0 && k < n {
			out[k].Requests++
			out[k].WireBytes += wire[i]
		}
	}
	return interval, out
}

// breakdown returns the server's accumulator, made on first use.
func (s *ServerResult) breakdown() *breakdownAcc {
	if s.bd == nil {
		s.bd = newBreakdownAcc()
	}
	return s.bd
}

// top is Options.Top with its default.
func (o Options) top() int {
	if o.Top <= 0 {
		return 10
	}
	return o.Top
}
