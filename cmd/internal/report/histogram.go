package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// HistogramWidth is the longest bar; with the labels a line stays within
// 80 columns.
const HistogramWidth = 34

// Histogram prints an ASCII histogram of xs (seconds): log-spaced buckets
// by default (latencies span orders of magnitude), or linear. Bars are
// scaled to the fullest bucket; each line shows the bucket, count and share.
func Histogram(w io.Writer, xs []float64, logScale bool) { HistogramIn(w, xs, logScale, UnitS) }

// HistogramIn is Histogram with the bucket edges printed in unit (UnitS,
// UnitMS or UnitUS), as the rest of a server's block is under --unit: a
// 38 µs server's buckets read 38.0, not 0.00004.
func HistogramIn(w io.Writer, xs []float64, logScale bool, unit string) {
	if len(xs) == 0 {
		return
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if logScale && lo <= 0 {
		logScale = false // non-positive values (server time) have no log
	}
	const k = 12
	edges := make([]float64, k+1)
	buckets := k
	switch {
	case lo == hi:
		buckets = 1
		edges = []float64{lo, hi}
	case logScale:
		for i := range edges {
			edges[i] = lo * math.Pow(hi/lo, float64(i)/k)
		}
	default:
		for i := range edges {
			edges[i] = lo + (hi-lo)*float64(i)/k
		}
	}
	counts := make([]int, buckets)
	for _, x := range xs {
		// Binary search for the bucket; the last one is closed.
		i := sort.Search(buckets, func(j int) bool { return x < edges[j+1] })
		if i == buckets {
			i = buckets - 1
		}
		counts[i]++
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	scale := "log"
	if !logScale {
		scale = "linear"
	}
	scaleBy, decimals, name := unitScale(unit)
	fmt.Fprintf(w, "histogram (%s buckets, %s):\n", scale, name)
	for i, c := range counts {
		bar := int(math.Round(float64(c) / float64(top) * HistogramWidth))
		if c > 0 && bar == 0 {
			bar = 1
		}
		fmt.Fprintf(w, "  %9.*f - %9.*f |%s%s %7d %5.1f%%\n", decimals, edges[i]*scaleBy, decimals, edges[i+1]*scaleBy, strings.Repeat("■", bar), strings.Repeat(" ", HistogramWidth-bar), c, 100*float64(c)/float64(len(xs)))
	}
}
