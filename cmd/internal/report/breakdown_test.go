package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

func TestUnits(t *testing.T) {
	cases := []struct {
		unit    string
		typical float64
		v       float64
		want    string
	}{
		{UnitAuto, 38e-6, 38e-6, "38.0µs"},
		{UnitAuto, 0.012, 0.0123456, "12.346ms"},
		{UnitAuto, 2.5, 2.5, "2.50000s"},
		{UnitS, 38e-6, 38e-6, "0.00004s"},
		{UnitUS, 2.5, 0.0015, "1500.0µs"},
	}
	for _, c := range cases {
		if got := dur(c.v, pickUnit(c.unit, c.typical)); got != c.want {
			t.Errorf("%s %g: %q, want %q", c.unit, c.v, got, c.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable("/a\x1b[2J\nb", 80); got != "/a?[2J?b" {
		t.Errorf("control characters kept: %q", got)
	}
	if got := Printable("/abcdef", 4); got != "/ab…" {
		t.Errorf("not shortened: %q", got)
	}
}

// TestUnitEverywhere: --unit rules every latency of a server's text block
// but the classic three lines: the latency line names the unit, and the
// spread, the CIs and the histogram's buckets are in it.
func TestUnitEverywhere(t *testing.T) {
	t.Parallel()
	xs := []float64{38e-6, 39e-6, 40e-6, 41e-6, 42e-6, 45e-6, 50e-6, 60e-6, 80e-6, 120e-6}
	cases := []struct {
		unit string
		want []string
	}{
		{UnitAuto, []string{"below in µs;", "spread:      n=10 min=38.0µs max=120.0µs", "mean [40.0µs, 60.0µs]", "histogram (log buckets, µs):", "     38.0 -      41.8 |"}},
		{UnitMS, []string{"below in ms;", "min=0.038ms max=0.120ms", "mean [0.040ms, 0.060ms]", "histogram (log buckets, ms):", "    0.038 -     0.042 |"}},
		{UnitS, []string{"below in seconds;", "min=0.00004s max=0.00012s", "histogram (log buckets, seconds):", "  0.00004 -   0.00004 |"}},
	}
	for _, c := range cases {
		r := smallResult(t, xs, false)
		r.Servers[0].CI = &stats.Bootstrap{Level: 95, Mean: stats.Interval{Lo: 40e-6, Hi: 60e-6}}
		var b bytes.Buffer
		Text(&b, r, Params{Histogram: "log", KLBuckets: 10, KLUnit: "bits", Unit: c.unit})
		out := b.String()
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("--unit %s: no %q in\n%s", c.unit, w, out)
			}
		}
		if !strings.Contains(out, "AVERAGE LATENCY: 0.00006\n") {
			t.Errorf("--unit %s changed the classic lines:\n%s", c.unit, out)
		}
	}
}

// TestHostsLine: the hosts line lists Host headers by requests, the
// --top of them, and says how many more there are and which went untracked.
func TestHostsLine(t *testing.T) {
	b := &httplat.Breakdown{Hosts: map[string]int{"a.example": 5, "b.example": 7, "c.example": 1}, UntrackedHosts: 4}
	var w bytes.Buffer
	hostsText(&w, b, 2)
	want := "hosts:       b.example 7, a.example 5 (+1 more); 4 requests on hosts past the first 10000 not tracked\n"
	if w.String() != want {
		t.Errorf("got %q\nwant %q", w.String(), want)
	}
	w.Reset()
	hostsText(&w, &httplat.Breakdown{}, 10)
	if w.Len() != 0 {
		t.Errorf("a server without Host headers printed %q", w.String())
	}
}
