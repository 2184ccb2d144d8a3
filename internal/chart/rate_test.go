package chart

import (
	"strings"
	"testing"
)

// TestRateAxisShared: a rate bucket is aligned to its interval, so it
// usually begins before the first request; the rate panels keep the
// latency-over-time panel's axis (0 = the first request) instead of
// stretching their own to the bucket's start.
func TestRateAxisShared(t *testing.T) {
	t.Parallel()
	s := Server{Label: "a", Sorted: []float64{0.01, 0.02, 0.03},
		Times: []float64{epoch + 0.3, epoch + 0.5, epoch + 0.9}, TimeLatencies: []float64{0.01, 0.02, 0.03},
		Rate: &Rate{Start: epoch, Interval: 1, Requests: []float64{3}, Bytes: []float64{3000}}}
	srv := newServer(s)
	ta := newTimeAxis([]*server{srv})
	rows := serverRows(srv, ta)
	over := rows[1][0]
	for _, p := range rows[1][1:] {
		if p.X.Min != over.X.Min || p.X.Max != over.X.Max || -over.X.Min > 0.02*over.X.Max {
			t.Errorf("rate axis [%g, %g], latency over time [%g, %g]", p.X.Min, p.X.Max, over.X.Min, over.X.Max)
		}
	}
	if x := ta.x(epoch + 0.3); x != 0 || !strings.HasPrefix(ta.label, "time since the first request") {
		t.Errorf("the first request at x = %g on an axis labelled %q", x, ta.label)
	}
}
