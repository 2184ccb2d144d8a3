// Package stats holds the numbers behind every pcapmeter report: summaries,
// nearest-rank percentiles and the KL divergence against an exponential
// model. It does no I/O so that every figure a report prints can be checked
// by hand in a unit test.
package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// DefaultPercentiles are the percentiles the classic measure-webserver
// assignment prints, in its order.
var DefaultPercentiles = []float64{25, 50, 75, 95, 99}

// Summary describes one sample of latencies (or any other non-negative
// durations) in seconds.
type Summary struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"stddev"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Percentiles holds one entry per requested percentile, in the order
	// they were requested.
	Percentiles []Percentile `json:"percentiles"`
}

// Percentile is one nearest-rank percentile of a sample.
type Percentile struct {
	P     float64 `json:"p"`
	Value float64 `json:"value"`
}

// Summarize computes the summary of xs with the given percentiles. xs is
// not modified. An empty sample gives a zero Summary with N == 0 (and the
// percentiles listed with value 0), so that callers can print "no samples"
// instead of NaN. The standard deviation is the sample (n-1) one; with one
// sample it is 0.
func Summarize(xs []float64, percentiles []float64) (Summary, error) {
	return SummarizeInPlace(append([]float64(nil), xs...), percentiles)
}

// SummarizeInPlace is Summarize without the copy: it sorts xs in place,
// for callers holding samples they need no more in their own order, so
// that a large sample is not held twice (a million pings are 8 MB each
// time).
func SummarizeInPlace(xs []float64, percentiles []float64) (Summary, error) {
	if err := ValidatePercentiles(percentiles); err != nil {
		return Summary{}, err
	}
	s := Summary{N: len(xs)}
	s.Percentiles = make([]Percentile, len(percentiles))
	for i, p := range percentiles {
		s.Percentiles[i].P = p
	}
	if len(xs) == 0 {
		return s, nil
	}
	sort.Float64s(xs)
	return summarizeSorted(s, xs, percentiles), nil
}

// summarizeSorted fills s from a non-empty sorted sample.
func summarizeSorted(s Summary, sorted []float64, percentiles []float64) Summary {
	if len(sorted) == 1 {
		s.Mean = sorted[0]
	} else {
		s.Mean, s.StdDev = stat.MeanStdDev(sorted, nil)
	}
	s.Min, s.Max = sorted[0], floats.Max(sorted)
	for i, p := range percentiles {
		s.Percentiles[i].Value = sorted[NearestRank(p, len(sorted))-1]
	}
	return s
}

// ValidatePercentiles reports whether every p is in (0, 100].
func ValidatePercentiles(ps []float64) error {
	for _, p := range ps {
		if !(p > 0 && p <= 100) {
			return fmt.Errorf("percentile %v is out of range: want 0 < p <= 100", p)
		}
	}
	return nil
}

// NearestRank returns the 1-based rank of the p-th percentile among n
// sorted samples: ceil(p/100 · n), clamped to [1, n]. It works in integer
// thousandths of a percent because the obvious float expression rounds the
// wrong way (99.9·1000/100 is 999.0000000000001, whose ceiling is 1000, not
// 999), which is also why gonum's stat.Quantile is not used here.
func NearestRank(p float64, n int) int {
	if n <= 0 {
		return 0
	}
	// Percentiles are given with at most a few decimals; 1e-6 percent
	// resolution is far below anything a user types.
	micro := int64(math.Round(p * 1e6))
	num := micro * int64(n)
	const den = 100 * 1e6
	rank := num / den
	if num%den != 0 {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	if rank > int64(n) {
		rank = int64(n)
	}
	return int(rank)
}

// KLOptions selects how KLExponential bins the sample.
type KLOptions struct {
	// Buckets is the number of equal-width buckets from 0 to the maximum;
	// the classic definition uses 10.
	Buckets int
	// Base is the logarithm base: 2 for bits (the classic definition) or
	// math.E for nats.
	Base float64
}

// DefaultKL is the classic measure-webserver definition: 10 buckets, log2.
var DefaultKL = KLOptions{Buckets: 10, Base: 2}

// ErrKLOptions is returned for a bucket count below 1 or a base that is not
// a valid logarithm base.
var ErrKLOptions = errors.New("invalid KL options")

// KLExponential returns the Kullback–Leibler divergence D(P‖Q) between the
// sample xs and an exponential model with rate 1/mean(xs).
//
// P is the histogram of xs over opt.Buckets equal buckets from 0 to max(xs)
// (a sample equal to the maximum falls in the last bucket); Q_i is the
// model's probability of bucket i, CDF(hi) − CDF(lo), with the last bucket
// open to +∞ so that Q sums to 1. KL = Σ over P_i > 0 of P_i·log(P_i/Q_i).
//
// Defined results for degenerate samples, never NaN: an empty sample, or
// one whose maximum is 0 (every latency 0), gives 0, because there is no
// spread for either distribution to disagree on. Negative samples (possible
// for the "server" latency definition when a server answers before the
// request is complete) are counted in the first bucket and take part in the
// mean as they are; if the mean is not positive the result is 0.
//
// Q is computed in log space (log Q_i = −rate·lo + log1p(−e^(−rate·w))), so
// a far-tail bucket whose probability underflows float64 still gives a
// finite, correct divergence instead of +Inf.
func KLExponential(xs []float64, opt KLOptions) (float64, error) {
	if opt.Buckets < 1 || !(opt.Base > 0) || opt.Base == 1 || math.IsInf(opt.Base, 0) {
		return 0, fmt.Errorf("%w: buckets=%d base=%v", ErrKLOptions, opt.Buckets, opt.Base)
	}
	if len(xs) == 0 {
		return 0, nil
	}
	max := floats.Max(xs)
	mean := stat.Mean(xs, nil)
	if !(max > 0) || !(mean > 0) {
		return 0, nil
	}
	rate := 1 / mean
	return klBuckets(xs, max, opt, func(i int, lo, width float64) float64 {
		if i == opt.Buckets-1 {
			return -rate * lo // survival function: open last bucket
		}
		return -rate*lo + math.Log1p(-math.Exp(-rate*width))
	}), nil
}

// klBuckets sums P_i·log(P_i/Q_i) over the non-empty equal buckets of xs
// from 0 to max, with logQ giving each bucket's model log-probability, and
// converts to opt.Base.
func klBuckets(xs []float64, max float64, opt KLOptions, logQ func(i int, lo, width float64) float64) float64 {
	counts := Histogram(xs, opt.Buckets, max)
	width := max / float64(opt.Buckets)
	n := float64(len(xs))
	var kl float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		kl += p * (math.Log(p) - logQ(i, float64(i)*width, width))
	}
	return kl / math.Log(opt.Base)
}

// Histogram counts xs into k equal buckets covering [0, max]; values at or
// above max go to the last bucket and values below 0 to the first.
func Histogram(xs []float64, k int, max float64) []int {
	counts := make([]int, k)
	if k == 0 {
		return counts
	}
	width := max / float64(k)
	for _, x := range xs {
		i := 0
		if width > 0 && x > 0 {
			i = int(x / width)
		}
		if i >= k {
			i = k - 1
		}
		counts[i]++
	}
	return counts
}
