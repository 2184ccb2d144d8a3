package httplat

import (
	"strconv"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// TestBreakdownBounded: paths past MaxURIs are counted, not kept; sizes
// count only what is known; the series has one bucket per interval.
func TestBreakdownBounded(t *testing.T) {
	b := newBreakdownAcc()
	n := MaxURIs + 5
	for i := 0; i < n; i++ {
		e := &exchange.Exchange{Kind: exchange.Matched, Method: "GET", Status: 200, URI: "/p" + strconv.Itoa(i) + "?q=1",
			ReqFirst: parse.Time((100 + int64(i%3)) * 1e9), RespLast: parse.Time(103e9), RespWire: exchange.Bytes(10)}
		if i == 0 {
			e.Status, e.RespBody = 503, exchange.Bytes(7)
		}
		b.add(e, 0.001)
	}
	r := b.finish(3, 1)
	if r.DistinctURIs != MaxURIs || r.OtherURIs != 5 || len(r.TopURIs) != 3 {
		t.Errorf("uris: %d distinct, %d other, %d top", r.DistinctURIs, r.OtherURIs, len(r.TopURIs))
	}
	if r.StatusCodes[503] != 1 || r.ServerErrors != 1 || r.Methods["GET"] != n || len(r.ByClass) != 2 {
		t.Errorf("codes %v, 5xx %d, methods %v, classes %v", r.StatusCodes, r.ServerErrors, r.Methods, r.ByClass)
	}
	if r.RespBody.N != 1 || r.RespBody.Unknown != n-1 || r.RespBody.Total != 7 || r.RespWire.Total != int64(10*n) || r.RespWire.Unknown != 0 || r.ReqBody.N != 0 || r.ReqBody.Unknown != n {
		t.Errorf("sizes %+v %+v %+v", r.RespBody, r.RespWire, r.ReqBody)
	}
	if len(r.Series) != 4 || r.Series[0].Requests+r.Series[1].Requests+r.Series[2].Requests != n || r.RequestsPerSec != float64(n)/3 {
		t.Errorf("series %d buckets, rate %g", len(r.Series), r.RequestsPerSec)
	}
}

// TestHostsBounded: a server keeps at most MaxURIs distinct Host headers
// and counts the requests on the others, however they arrive (exchanges
// one by one, or shards merged).
func TestHostsBounded(t *testing.T) {
	s := &ServerResult{hostCount: map[string]int{}}
	for i := 0; i < MaxURIs+3; i++ {
		s.countHost("h"+strconv.Itoa(i), 2)
	}
	s.countHost("h0", 1)
	if len(s.hostCount) != MaxURIs || s.untrackedHosts != 6 || s.hostCount["h0"] != 3 {
		t.Errorf("%d hosts kept, %d untracked, h0 %d", len(s.hostCount), s.untrackedHosts, s.hostCount["h0"])
	}
}
