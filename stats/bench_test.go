package stats

import (
	"math/rand/v2"
	"testing"
)

func sample(n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = r.ExpFloat64() * 0.02
	}
	return xs
}

func BenchmarkSummarize1M(b *testing.B) {
	xs := sample(1_000_000)
	for i := 0; i < b.N; i++ {
		if _, err := Summarize(xs, DefaultPercentiles); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKL1M(b *testing.B) {
	xs := sample(1_000_000)
	for i := 0; i < b.N; i++ {
		if _, err := KLExponential(xs, DefaultKL); err != nil {
			b.Fatal(err)
		}
	}
}
