package tracesum

import (
	"math"
	"slices"

	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/stats"
)

// basics are the figures that need no dissection: counts, sizes, times.
// They come from the splitter's own read of the file (or, when the file
// cannot be split, from tshark's frame.len and frame.time_epoch, which
// are the same values). Sizes and inter-arrival times are kept as counts
// per distinct value, not per packet: frame sizes have at most a few
// thousand values and captured timestamps a limited resolution, so memory
// stays bounded where a slice per packet grew with the file.
type basics struct {
	packets     int
	bytes       int64
	first, last parse.Time
	prev        parse.Time
	sizes, gaps hist
}

func newBasics() *basics { return &basics{sizes: hist{}, gaps: hist{}} }

// add counts one packet of length n (its original length) at ts.
func (b *basics) add(ts parse.Time, n int) {
	if b.packets == 0 {
		b.first = ts
	} else {
		b.gaps[int64(ts-b.prev)]++
	}
	b.prev = ts
	b.last = max(b.last, ts)
	b.packets++
	b.bytes += int64(n)
	b.sizes[int64(n)]++
}

// hist counts samples by value (integers: bytes, or nanoseconds).
type hist map[int64]int64

// maxPlotPoints bounds the samples handed to a plot: a CDF drawn from
// this many evenly spaced ranks is indistinguishable from one drawn from
// every packet.
const maxPlotPoints = 100_000

// summary is stats.Summarize of the samples (each value divided by unit),
// computed from the counts: the same nearest-rank percentiles, minimum
// and maximum, and the mean and sample standard deviation, and the
// samples for a plot (every one up to maxPlotPoints, evenly spaced ranks
// beyond).
func (h hist) summary(unit float64, ps []float64) (stats.Summary, []float64) {
	keys := make([]int64, 0, len(h))
	var n int64
	for v, c := range h {
		keys = append(keys, v)
		n += c
	}
	slices.Sort(keys)
	s := stats.Summary{N: int(n), Percentiles: make([]stats.Percentile, len(ps))}
	for i, p := range ps {
		s.Percentiles[i].P = p
	}
	if n == 0 {
		return s, nil
	}
	val := func(v int64) float64 { return float64(v) / unit }
	// The sums run over every sample in sorted order (time per packet,
	// memory per distinct value) with the corrected two-pass variance, as
	// gonum's MeanStdDev did over a sorted slice; gonum's vector sum adds
	// in another order, so the last digit may differ from what a slice
	// gave, but never between runs, --jobs or splits.
	var sum float64
	for _, v := range keys {
		x := val(v)
		for range h[v] {
			sum += x
		}
	}
	s.Mean = sum / float64(n)
	if n > 1 {
		var ss, comp float64
		for _, v := range keys {
			d := val(v) - s.Mean
			for range h[v] {
				ss += d * d
				comp += d
			}
		}
		s.StdDev = math.Sqrt((ss - comp*comp/float64(n)) / float64(n-1))
	}
	s.Min, s.Max = val(keys[0]), val(keys[len(keys)-1])
	for i, p := range ps {
		s.Percentiles[i].Value = val(h.rank(keys, int64(stats.NearestRank(p, int(n)))))
	}
	return s, h.plotPoints(keys, n, val)
}

// rank is the value of the r-th smallest sample (1-based).
func (h hist) rank(keys []int64, r int64) int64 {
	var seen int64
	for _, v := range keys {
		if seen += h[v]; seen >= r {
			return v
		}
	}
	return keys[len(keys)-1]
}

// plotPoints lists the samples in order, at most maxPlotPoints of them.
func (h hist) plotPoints(keys []int64, n int64, val func(int64) float64) []float64 {
	m := min(n, maxPlotPoints)
	out := make([]float64, 0, m)
	var seen int64
	j := 0
	for i := int64(0); i < m; i++ {
		r := i*n/m + 1 // ranks 1..n, evenly spaced
		for seen+h[keys[j]] < r {
			seen += h[keys[j]]
			j++
		}
		out = append(out, val(keys[j]))
	}
	return out
}
