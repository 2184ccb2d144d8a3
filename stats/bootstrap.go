package stats

import (
	"math/rand/v2"
	"sort"
)

// Interval is a confidence interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Bootstrap holds percentile-bootstrap confidence intervals for the mean
// and for each requested percentile.
type Bootstrap struct {
	Level       float64    `json:"level"` // e.g. 95
	Replicates  int        `json:"replicates"`
	Seed        uint64     `json:"seed"`
	Mean        Interval   `json:"mean"`
	Percentiles []Interval `json:"percentiles"` // in the order requested
}

// BootstrapCI resamples xs with replacement (seeded PCG) and returns the
// percentile intervals at level (0–100). The number of replicates is 1000,
// lowered for very large samples so that the work stays near 2·10⁷
// draws (but never below 200); the count used is reported.
func BootstrapCI(xs []float64, percentiles []float64, level float64, seed uint64) Bootstrap {
	b := Bootstrap{Level: level, Seed: seed, Percentiles: make([]Interval, len(percentiles))}
	n := len(xs)
	if n == 0 {
		return b
	}
	reps := replicates(n)
	b.Replicates = reps
	r := rand.New(rand.NewPCG(seed, 0xb007))
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	means := make([]float64, reps)
	pcts := make([][]float64, len(percentiles))
	for i := range pcts {
		pcts[i] = make([]float64, reps)
	}
	// Counting how often each position of the sorted sample is drawn
	// gives the sorted resample in O(n), without sorting.
	cnt := make([]int32, n)
	ranks := make([]int, len(percentiles))
	for i, p := range percentiles {
		ranks[i] = NearestRank(p, n)
	}
	for rep := 0; rep < reps; rep++ {
		clear(cnt)
		for i := 0; i < n; i++ {
			cnt[r.IntN(n)]++
		}
		var sum float64
		cum := 0
		next := 0
		order := sortedOrder(ranks)
		for j, c := range cnt {
			if c == 0 {
				continue
			}
			sum += float64(c) * sorted[j]
			cum += int(c)
			for next < len(order) && ranks[order[next]] <= cum {
				pcts[order[next]][rep] = sorted[j]
				next++
			}
		}
		means[rep] = sum / float64(n)
	}
	lo, hi := (100-level)/2, 100-(100-level)/2
	ci := func(v []float64) Interval {
		sort.Float64s(v)
		return Interval{v[NearestRank(max(lo, 1e-9), len(v))-1], v[NearestRank(hi, len(v))-1]}
	}
	b.Mean = ci(means)
	for i := range percentiles {
		b.Percentiles[i] = ci(pcts[i])
	}
	return b
}

// replicates is the number of resamples of a sample of n: 1000, lowered
// so that the draws stay near 2·10⁷, never below 200.
func replicates(n int) int {
	if n*1000 > 20_000_000 {
		return max(200, 20_000_000/n)
	}
	return 1000
}

// sortedOrder returns the indices of ranks in increasing rank order.
func sortedOrder(ranks []int) []int {
	o := make([]int, len(ranks))
	for i := range o {
		o[i] = i
	}
	sort.SliceStable(o, func(a, b int) bool { return ranks[o[a]] < ranks[o[b]] })
	return o
}
