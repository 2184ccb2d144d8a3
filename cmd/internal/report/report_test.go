package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
)

func TestHistogram(t *testing.T) {
	var b bytes.Buffer
	Histogram(&b, []float64{0.02}, true)
	if got := b.String(); !strings.Contains(got, "1 100.0%") || strings.Count(got, "\n") != 2 {
		t.Errorf("one sample:\n%s", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 1_000_000)
	for i := range xs {
		xs[i] = 0.001 + r.ExpFloat64()*0.02
	}
	b.Reset()
	Histogram(&b, xs, true)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 13 {
		t.Fatalf("%d lines", len(lines))
	}
	total, full := 0, 0
	for _, l := range lines[1:] {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns: %q", n, l)
		}
		f := strings.Fields(l)
		var c int
		for _, ch := range f[len(f)-2] {
			c = c*10 + int(ch-'0')
		}
		total += c
		if strings.Count(l, "■") == HistogramWidth {
			full++
		}
	}
	if total != len(xs) || full != 1 {
		t.Errorf("counts add to %d (want %d); %d full-width bars", total, len(xs), full)
	}
	// Log buckets: equal ratios between edges.
	b.Reset()
	Histogram(&b, []float64{0.001, 0.01, 0.1, 1}, true)
	if !strings.Contains(b.String(), "0.00100 -   0.00178") {
		t.Errorf("log edges:\n%s", b.String())
	}
	b.Reset()
	Histogram(&b, []float64{-0.001, 0.01}, true)
	if !strings.Contains(b.String(), "linear") {
		t.Error("negative samples must fall back to linear buckets")
	}
}

// TestMergedCaptures: the text report names merged captures, and shortens
// a long ring-buffer list to its first and last files.
func TestMergedCaptures(t *testing.T) {
	for _, c := range []struct {
		n          int
		want, miss []string
	}{
		{1, nil, []string{"captures:"}},
		{3, []string{"captures: 3 merged: ring_0.pcap, ring_1.pcap, ring_2.pcap\n"}, []string{"more"}},
		{200, []string{"captures: 200 merged: ring_0.pcap, ring_1.pcap, ring_2.pcap, … 195 more …, ring_198.pcap, ring_199.pcap\n"}, []string{"ring_3.pcap"}},
	} {
		r := &httplat.Result{}
		for i := 0; i < c.n; i++ {
			r.Files = append(r.Files, httplat.FileInfo{Path: fmt.Sprintf("ring_%d.pcap", i)})
		}
		var b bytes.Buffer
		Text(&b, r, Params{})
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%d files: no %q in\n%s", c.n, w, b.String())
			}
		}
		for _, m := range c.miss {
			if strings.Contains(b.String(), m) {
				t.Errorf("%d files: %q in\n%s", c.n, m, b.String())
			}
		}
	}
}
