package stats

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestNearestRank(t *testing.T) {
	cases := []struct {
		p    float64
		n    int
		want int
	}{
		{25, 1000, 250}, // the brief's own example
		{50, 1000, 500},
		{99, 1000, 990},
		{99.9, 1000, 999}, // naive float ceil gives 1000
		{100, 1000, 1000},
		{25, 10, 3},
		{75, 10, 8},
		{95, 10, 10},
		{50, 1, 1},
		{0.0001, 5, 1},
		{50, 0, 0},
		{33.3, 3, 1},
		{66.7, 3, 3},
	}
	for _, c := range cases {
		if got := NearestRank(c.p, c.n); got != c.want {
			t.Errorf("NearestRank(%v, %d) = %d, want %d", c.p, c.n, got, c.want)
		}
	}
}

func TestSummarizeHandComputed(t *testing.T) {
	xs := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1} // unsorted on purpose
	s, err := Summarize(xs, DefaultPercentiles)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 10 || s.Mean != 5.5 || s.Min != 1 || s.Max != 10 {
		t.Fatalf("summary = %+v", s)
	}
	// sample stddev of 1..10 = sqrt(82.5/9)
	if !close(s.StdDev, math.Sqrt(82.5/9), 1e-12) {
		t.Errorf("stddev = %v", s.StdDev)
	}
	want := []float64{3, 5, 8, 10, 10}
	for i, p := range s.Percentiles {
		if p.Value != want[i] {
			t.Errorf("p%v = %v, want %v", p.P, p.Value, want[i])
		}
	}
	if xs[0] != 10 {
		t.Error("Summarize reordered its input")
	}
}

func TestSummarize1000(t *testing.T) {
	xs := make([]float64, 1000)
	for i := range xs {
		xs[i] = float64(1000 - i) // 1000..1
	}
	s, err := Summarize(xs, []float64{25, 50, 75, 95, 99, 99.9})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{250, 500, 750, 950, 990, 999}
	for i, p := range s.Percentiles {
		if p.Value != want[i] {
			t.Errorf("p%v = %v, want %v", p.P, p.Value, want[i])
		}
	}
}

func TestSummarizeDegenerate(t *testing.T) {
	s, err := Summarize(nil, DefaultPercentiles)
	if err != nil || s.N != 0 || len(s.Percentiles) != 5 || s.Mean != 0 {
		t.Fatalf("empty: %+v %v", s, err)
	}
	s, _ = Summarize([]float64{0.25}, DefaultPercentiles)
	if s.Mean != 0.25 || s.StdDev != 0 || s.Percentiles[0].Value != 0.25 || s.Percentiles[4].Value != 0.25 {
		t.Fatalf("one sample: %+v", s)
	}
	s, _ = Summarize([]float64{2, 2, 2}, DefaultPercentiles)
	if s.Mean != 2 || s.StdDev != 0 || math.IsNaN(s.StdDev) {
		t.Fatalf("all equal: %+v", s)
	}
	if _, err := Summarize([]float64{1}, []float64{0}); err == nil {
		t.Error("percentile 0 accepted")
	}
	if _, err := Summarize([]float64{1}, []float64{100.5}); err == nil {
		t.Error("percentile 100.5 accepted")
	}
	if _, err := Summarize([]float64{1}, []float64{math.NaN()}); err == nil {
		t.Error("percentile NaN accepted")
	}
}

func TestKLHandComputed(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got, err := KLExponential(xs, DefaultKL)
	if err != nil {
		t.Fatal(err)
	}
	// Computed independently (python, math.log2 of the textbook formula).
	if !close(got, 0.36541538880273167, 1e-12) {
		t.Errorf("KL = %.17g", got)
	}
	nats, _ := KLExponential(xs, KLOptions{Buckets: 10, Base: math.E})
	if !close(nats, got*math.Ln2, 1e-12) {
		t.Errorf("KL nats = %v, want %v", nats, got*math.Ln2)
	}
}

// TestKLMatchesGonumModel recomputes the divergence with gonum's own
// exponential CDF on a sample where nothing underflows.
func TestKLMatchesGonumModel(t *testing.T) {
	xs := []float64{0.003, 0.0031, 0.0029, 0.004, 0.0021, 0.0035, 0.0028, 0.0027, 0.0052, 0.0033, 0.0030}
	got, err := KLExponential(xs, DefaultKL)
	if err != nil {
		t.Fatal(err)
	}
	var mean, max float64
	for _, x := range xs {
		mean += x
		max = math.Max(max, x)
	}
	mean /= float64(len(xs))
	model := distuv.Exponential{Rate: 1 / mean}
	counts := Histogram(xs, 10, max)
	var want float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		lo, hi := float64(i)*max/10, float64(i+1)*max/10
		q := model.CDF(hi) - model.CDF(lo)
		if i == 9 {
			q = 1 - model.CDF(lo)
		}
		p := float64(c) / float64(len(xs))
		want += p * math.Log2(p/q)
	}
	if !close(got, want, 1e-9) {
		t.Errorf("KL = %v, gonum-based = %v", got, want)
	}
}

func TestKLDegenerate(t *testing.T) {
	for name, xs := range map[string][]float64{"empty": nil, "zeros": {0, 0, 0}} {
		kl, err := KLExponential(xs, DefaultKL)
		if err != nil || kl != 0 {
			t.Errorf("%s: KL = %v, %v", name, kl, err)
		}
	}
	// One sample (or all equal): everything in the last bucket, Q = e^-0.9.
	for _, xs := range [][]float64{{0.5}, {0.2, 0.2, 0.2}} {
		kl, _ := KLExponential(xs, DefaultKL)
		if !close(kl, 0.9/math.Ln2, 1e-12) {
			t.Errorf("%v: KL = %v, want %v", xs, kl, 0.9/math.Ln2)
		}
	}
	// A far outlier makes the model's tail probability underflow float64;
	// the result must stay finite.
	xs := make([]float64, 5000)
	for i := range xs {
		xs[i] = 0.001
	}
	xs[0] = 1e6
	kl, _ := KLExponential(xs, DefaultKL)
	if math.IsInf(kl, 0) || math.IsNaN(kl) || kl <= 0 {
		t.Errorf("outlier KL = %v", kl)
	}
	if _, err := KLExponential(xs, KLOptions{Buckets: 0, Base: 2}); err == nil {
		t.Error("0 buckets accepted")
	}
	if _, err := KLExponential(xs, KLOptions{Buckets: 10, Base: 1}); err == nil {
		t.Error("base 1 accepted")
	}
}

func TestHistogramEdges(t *testing.T) {
	got := Histogram([]float64{-1, 0, 0.5, 1, 2}, 2, 1)
	if got[0] != 2 || got[1] != 3 {
		t.Errorf("Histogram = %v", got)
	}
}
