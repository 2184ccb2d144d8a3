package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
)

// smallResult is one server with the latencies xs (ttfb), fitted when fit.
func smallResult(t *testing.T, xs []float64, fit bool) *httplat.Result {
	t.Helper()
	sum, err := stats.Summarize(xs, []float64{50})
	if err != nil {
		t.Fatal(err)
	}
	s := &httplat.ServerResult{
		Server:  netip.MustParseAddrPort("10.0.0.5:80"),
		Latency: map[httplat.Definition]httplat.Latency{httplat.TTFB: {Summary: sum}},
		Samples: map[httplat.Definition][]float64{httplat.TTFB: xs},
	}
	if fit {
		s.Fit, _ = stats.Fit(xs, stats.KLOptions{Buckets: 10, Base: 2})
	}
	return &httplat.Result{Definition: httplat.TTFB, Servers: []*httplat.ServerResult{s}}
}

// TestSmallSample: below MinShapeSamples the text report prints neither
// the histogram nor a KL value and says why; the JSON keeps the KL value
// and flags it.
func TestSmallSample(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		xs    []float64
		small bool
	}{
		{[]float64{0.01, 0.02, 0.03}, true},
		{[]float64{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1}, false},
	} {
		r := smallResult(t, c.xs, false)
		var text, js bytes.Buffer
		Text(&text, r, Params{Histogram: "log", KLBuckets: 10, KLUnit: "bits"})
		note := strings.Contains(text.String(), "histogram and KL divergence omitted: n=3 < 10")
		hist := strings.Contains(text.String(), " | ")
		klNA := strings.Contains(text.String(), "KL DIVERGENCE: n/a (n=3 < 10")
		if note != c.small || hist == c.small || klNA != c.small || !strings.Contains(text.String(), "KL DIVERGENCE") {
			t.Errorf("n=%d: note %v, histogram %v in\n%s", len(c.xs), note, hist, text.String())
		}
		if err := JSON(&js, r, Params{KLBuckets: 10, KLUnit: "bits"}); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Servers []struct {
				Latency map[string]struct {
					SmallSample bool `json:"small_sample"`
				}
			}
		}
		if err := json.Unmarshal(js.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if got := out.Servers[0].Latency["ttfb"].SmallSample; got != c.small {
			t.Errorf("n=%d: small_sample %v", len(c.xs), got)
		}
	}
}

// TestFitSaysWhatIsLeftOut: a model whose estimate does not converge on
// two samples is named, not silently missing.
func TestFitSaysWhatIsLeftOut(t *testing.T) {
	t.Parallel()
	r := smallResult(t, []float64{0.001, 10}, true)
	var b bytes.Buffer
	Text(&b, r, Params{Histogram: "off", KLBuckets: 10, KLUnit: "bits"})
	if !strings.Contains(b.String(), "not fitted:  weibull (the estimate did not converge on this sample)") {
		t.Errorf("no note of the weibull fit in\n%s", b.String())
	}
}

// TestOneConnection: one is singular in the tcp report.
func TestOneConnection(t *testing.T) {
	t.Parallel()
	if got := plural(1, "connection", "connections"); got != "1 connection" {
		t.Errorf("plural(1) = %q", got)
	}
}
