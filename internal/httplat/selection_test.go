package httplat

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
)

// kinds counts exchanges by kind.
func kinds(exs []exchange.Exchange) map[exchange.Kind]int {
	n := map[exchange.Kind]int{}
	for _, e := range exs {
		n[e.Kind]++
	}
	return n
}

// TestSelection: each selection reports exactly the exchanges its rule
// picks out of the unselected run (whose counts TestLoopbackCaptures and
// the synthetic truth tests hold to the truth), with the rest counted as
// excluded, not unanswered; one tshark and two, two files side by side
// (a real loopback capture and a synthetic one with orphans and
// unanswered requests), the cross-check comparing the selection only.
func TestSelection(t *testing.T) {
	t.Parallel()
	files := []string{testutil.Testdata("http", "keepalive-v4.pcapng"), testutil.Testdata("http", "synth-mirror-gre.pcap")}
	all := shared(t, Options{Files: files}, 1)
	if len(all.exs) == 0 {
		t.Fatal("no exchange")
	}
	// The midpoint of the requests' times, as the boundary of --from/--to.
	lo := all.exs[0].ReqFirst
	for _, e := range all.exs {
		if e.Kind != exchange.Orphan {
			lo = min(lo, e.ReqFirst)
		}
	}
	mid := all.exs[len(all.exs)/2].ReqFirst
	synthClient, loopback := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("127.0.0.1")
	cases := []struct {
		name string
		sel  Selection
		want func(e *exchange.Exchange) bool
	}{
		{"filter POST", Selection{Filter: `http.request.method == "POST"`},
			func(e *exchange.Exchange) bool { return e.Kind != exchange.Orphan && e.Method == "POST" }},
		{"filter by address keeps orphans", Selection{Filter: "ip.addr == 10.1.0.1"},
			func(e *exchange.Exchange) bool { return e.Client.Addr() == synthClient }},
		{"client", Selection{Client: synthClient},
			func(e *exchange.Exchange) bool { return e.Client.Addr() == synthClient }},
		{"from", Selection{From: &mid}, func(e *exchange.Exchange) bool { return reqTime(e) >= mid }},
		{"to", Selection{To: &mid}, func(e *exchange.Exchange) bool { return reqTime(e) < mid }},
		// On the loopback capture, whose every request tshark decodes.
		{"all three", Selection{Filter: `http.request.uri contains "/c1/"`, From: &lo, Client: loopback},
			func(e *exchange.Exchange) bool {
				return e.Kind != exchange.Orphan && e.Client.Addr() == loopback && strings.HasPrefix(e.URI, "/c1/")
			}},
	}
	for i, c := range cases {
		var want []exchange.Exchange
		for i := range all.exs {
			if c.want(&all.exs[i]) {
				want = append(want, all.exs[i])
			}
		}
		wk := kinds(want)
		// Selection is judged per exchange whatever the sharding: the
		// split path is checked once, on the case combining every flag
		// (each tshark run costs seconds of make test).
		jobsList := []int{1}
		if i == len(cases)-1 {
			jobsList = []int{1, 2}
		}
		for _, jobs := range jobsList {
			// Side by side: the runs are independent, and one after
			// another they were the package's longest chain of tsharks.
			t.Run(fmt.Sprintf("%s, jobs %d", c.name, jobs), func(t *testing.T) {
				t.Parallel()
				checkSelected(t, files, c.sel, jobs, wk, len(all.exs)-len(want))
			})
		}
	}
	// The cases above must be worth testing: each leaves some out.
	if n := kinds(all.exs); n[exchange.Orphan] == 0 || n[exchange.Unmatched] == 0 {
		t.Fatalf("the captures lost their orphans or unanswered requests: %v", n)
	}
}

// checkSelected runs files with sel and checks that it reports exactly
// the exchanges of kinds wk, the other excluded ones counted as excluded.
func checkSelected(t *testing.T, files []string, sel Selection, jobs int, wk map[exchange.Kind]int, excluded int) {
	t.Helper()
	o := runJobs(t, Options{Files: files, Select: sel, Crosscheck: true}, jobs)
	if got := kinds(o.exs); !equalKinds(got, wk) {
		t.Errorf("%v, want %v", got, wk)
	}
	if o.res.Selection == nil || o.res.Selection.Excluded != excluded {
		t.Errorf("selection %+v, want %d excluded", o.res.Selection, excluded)
	}
	if tot := o.res.Total; tot.Matched != wk[exchange.Matched] || tot.UnmatchedRequests != wk[exchange.Unmatched] || tot.OrphanResponses != wk[exchange.Orphan] {
		t.Errorf("totals %+v, want %v", tot, wk)
	}
	if cc := o.res.Crosscheck; cc == nil || cc.Requests != wk[exchange.Matched]+wk[exchange.Unmatched] {
		t.Errorf("cross-check %+v, want %d requests", cc, wk[exchange.Matched]+wk[exchange.Unmatched])
	}
}

func reqTime(e *exchange.Exchange) parse.Time {
	if e.Kind == exchange.Orphan {
		return e.RespFirst
	}
	return e.ReqFirst
}

func equalKinds(a, b map[exchange.Kind]int) bool {
	for _, k := range []exchange.Kind{exchange.Matched, exchange.Unmatched, exchange.Orphan} {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// TestSelectionHTTP2: a filter on HTTP/2 header fields selects streams by
// their request HEADERS frame, against the recorder's truth.
func TestSelectionHTTP2(t *testing.T) {
	t.Parallel()
	in := func(f string) string { return testutil.Testdata("h2", f) }
	var truth struct {
		Exchanges []struct {
			Method string `json:"method"`
		} `json:"exchanges"`
	}
	testutil.ReadJSON(t, in("https2-v4.pcapng.truth.json"), &truth)
	posts := 0
	for _, te := range truth.Exchanges {
		if te.Method == "POST" {
			posts++
		}
	}
	for _, jobs := range []int{1, 2} {
		o := runJobs(t, Options{Files: []string{in("https2-v4.pcapng")}, KeyLogs: []string{in("https2-v4.pcapng.keylog")},
			Select: Selection{Filter: `http2.headers.method == "POST"`}}, jobs)
		if o.res == nil || o.res.Total.H2 != posts || len(o.exs) != posts || posts == 0 {
			t.Errorf("jobs %d: %d exchanges (%+v), want the truth's %d POSTs", jobs, len(o.exs), o.res.Total, posts)
		}
		for _, e := range o.exs {
			if e.Method != "POST" {
				t.Errorf("jobs %d: selected %s %s", jobs, e.Method, e.URI)
			}
		}
	}
}

// TestBadFilter: tshark's own complaint, in one line, before anything is
// dissected; a filter that would break out of its parentheses is refused
// by the same check.
func TestBadFilter(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	for _, f := range []string{`http.host contans "x"`, `1) || (1`} {
		_, err := Run(t.Context(), Options{Files: []string{testutil.Testdata("http", "keepalive-v4.pcapng")}, Select: Selection{Filter: f}})
		var fe *FilterError
		if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "unexpected") {
			t.Errorf("%s: %v, want tshark's complaint in one line", f, err)
		}
	}
}

func TestParseCaptureTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want parse.Time
		ok   bool
	}{
		{"1700000000.5", 1700000000_500000000, true},
		{"1700000000", 1700000000_000000000, true},
		{"2023-11-14T22:13:20Z", 1700000000_000000000, true},
		{"2023-11-14T23:13:20.000000001+01:00", 1700000000_000000001, true},
		{"2023-11-14", 0, false},
		{"1e9", 0, false},
		{"0001-01-01T00:00:00Z", 0, false},
	} {
		got, err := ParseCaptureTime(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseCaptureTime(f *testing.F) {
	for _, s := range []string{"1700000000.5", "2023-11-14T22:13:20Z", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseCaptureTime(s); err == nil {
			if w, err := ParseCaptureTime(v.String()); err != nil || w != v {
				t.Errorf("%q → %v, which reads back as %v, %v", s, v, w, err)
			}
		}
	})
}
