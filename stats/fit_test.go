package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func draw(d interface{ Rand() float64 }, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = d.Rand()
	}
	return xs
}

func rel(a, b float64) float64 { return math.Abs(a-b) / math.Abs(b) }

// TestFittersRecoverParameters draws 20,000 samples from known
// distributions; each maximum-likelihood fitter must recover the
// parameters within 3% (the standard errors at this n are ≲1%), and the
// true family must win on AIC.
func TestFittersRecoverParameters(t *testing.T) {
	src := rand.NewPCG(42, 7)
	const n = 20000
	cases := []struct {
		name   string
		xs     []float64
		params map[string]float64
	}{
		{"exponential", draw(distuv.Exponential{Rate: 40, Src: src}, n), map[string]float64{"rate": 40}},
		{"lognormal", draw(distuv.LogNormal{Mu: -3.5, Sigma: 0.6, Src: src}, n), map[string]float64{"mu": -3.5, "sigma": 0.6}},
		{"gamma", draw(distuv.Gamma{Alpha: 2.5, Beta: 100, Src: src}, n), map[string]float64{"shape": 2.5, "rate": 100}},
		{"weibull", draw(distuv.Weibull{K: 1.7, Lambda: 0.03, Src: src}, n), map[string]float64{"shape": 1.7, "scale": 0.03}},
		{"pareto", draw(distuv.Pareto{Xm: 0.01, Alpha: 2.2, Src: src}, n), map[string]float64{"xm": 0.01, "alpha": 2.2}},
	}
	for _, c := range cases {
		ms, err := Fit(c.xs, DefaultKL)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(ms) != 5 {
			t.Errorf("%s: %d models fitted", c.name, len(ms))
		}
		for _, m := range ms {
			if m.Name != c.name {
				continue
			}
			for k, want := range c.params {
				if rel(m.Params[k], want) > 0.03 {
					t.Errorf("%s %s = %v, want %v", c.name, k, m.Params[k], want)
				}
			}
			if m.KS > 0.02 {
				t.Errorf("%s: KS %v against its own family", c.name, m.KS)
			}
		}
		if ms[0].Name != c.name {
			t.Errorf("%s sample: best model by AIC is %s", c.name, ms[0].Name)
		}
	}
}

func TestFitRefusesBadSamples(t *testing.T) {
	for _, xs := range [][]float64{nil, {1}, {1, 1, 1}, {0.1, -0.2, 0.3}, {0, 1, 2}} {
		if _, err := Fit(xs, DefaultKL); err == nil {
			t.Errorf("Fit(%v) accepted", xs)
		}
	}
}

// TestKLModelMatchesExponential: the general-model KL equals the headline
// exponential KL when given the exponential CDF with rate 1/mean.
func TestKLModelMatchesExponential(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	d := distuv.Exponential{Rate: 1 / 5.5}
	got, _ := KLModel(xs, d.CDF, DefaultKL)
	if math.Abs(got-0.36541538880273167) > 1e-12 {
		t.Errorf("KLModel = %v", got)
	}
}

func TestBootstrapCI(t *testing.T) {
	xs := draw(distuv.Exponential{Rate: 1, Src: rand.NewPCG(1, 1)}, 2000)
	s, _ := Summarize(xs, []float64{50, 99})
	b := BootstrapCI(xs, []float64{50, 99}, 95, 7)
	if b.Replicates != 1000 || !(b.Mean.Lo < s.Mean && s.Mean < b.Mean.Hi) {
		t.Errorf("mean %v outside %+v", s.Mean, b.Mean)
	}
	for i, p := range s.Percentiles {
		if !(b.Percentiles[i].Lo <= p.Value && p.Value <= b.Percentiles[i].Hi) {
			t.Errorf("p%v %v outside %+v", p.P, p.Value, b.Percentiles[i])
		}
	}
	// The mean of Exp(1) has standard error 1/sqrt(n): the 95% interval
	// is about ±1.96/sqrt(2000) ≈ ±0.044 wide.
	if w := b.Mean.Hi - b.Mean.Lo; w < 0.06 || w > 0.12 {
		t.Errorf("mean interval width %v", w)
	}
	if b2 := BootstrapCI(xs, []float64{50, 99}, 95, 7); b2.Mean != b.Mean {
		t.Error("same seed, different interval")
	}
	// BootstrapCI reports replicates' count; resampling a million values
	// 200 times only to read it back cost 8 s (30 s under the race
	// detector), so the lowering is checked on replicates itself.
	if b.Replicates != replicates(len(xs)) {
		t.Errorf("replicates reported %d, replicates(%d) = %d", b.Replicates, len(xs), replicates(len(xs)))
	}
	for n, want := range map[int]int{1: 1000, 20_000: 1000, 40_000: 500, 100_000: 200, 1_000_000: 200} {
		if got := replicates(n); got != want {
			t.Errorf("replicates(%d) = %d, want %d", n, got, want)
		}
	}
}
