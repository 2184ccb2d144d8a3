package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Model is a fitted distribution: what --fit reports for each candidate.
type Model struct {
	Name   string             `json:"model"`
	Params map[string]float64 `json:"params"`
	// K is the number of fitted parameters (for AIC).
	K int `json:"k"`
	// KL is the divergence of the sample from the model with the same
	// equal-bucket method as the headline KL.
	KL float64 `json:"kl_divergence"`
	// KS is the Kolmogorov–Smirnov statistic sup |F_n − F|.
	KS            float64 `json:"ks"`
	LogLikelihood float64 `json:"log_likelihood"`
	AIC           float64 `json:"aic"`

	cdf  func(float64) float64
	pdf  func(float64) float64
	logp func(float64) float64
}

// CDF evaluates the fitted model's distribution function.
func (m *Model) CDF(x float64) float64 { return m.cdf(x) }

// PDF evaluates the fitted model's density.
func (m *Model) PDF(x float64) float64 { return m.pdf(x) }

// ErrFitSample says a sample cannot be fitted: too few points, or values
// that are not positive (every candidate lives on x > 0).
var ErrFitSample = errors.New("sample cannot be fitted")

// Models lists the candidates Fit tries, in report order.
var Models = []string{"exponential", "lognormal", "gamma", "weibull", "pareto"}

// Fit fits every candidate by maximum likelihood and returns them sorted
// by AIC, best first. Samples must be positive; at least 2 distinct values
// are needed.
func Fit(xs []float64, kl KLOptions) ([]Model, error) {
	if len(xs) < 2 {
		return nil, fmt.Errorf("%w: %d samples, need at least 2", ErrFitSample, len(xs))
	}
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	if sorted[0] <= 0 {
		return nil, fmt.Errorf("%w: values must be positive (smallest is %g)", ErrFitSample, sorted[0])
	}
	if sorted[0] == sorted[len(sorted)-1] {
		return nil, fmt.Errorf("%w: all %d values are equal", ErrFitSample, len(xs))
	}
	var out []Model
	for _, name := range Models {
		m, err := fitOne(name, sorted)
		if err != nil {
			continue // a candidate that does not converge is left out
		}
		m.score(sorted, kl)
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no model converged", ErrFitSample)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].AIC < out[j].AIC })
	return out, nil
}

func fitOne(name string, xs []float64) (Model, error) {
	switch name {
	case "exponential":
		var d distuv.Exponential
		d.Fit(xs, nil)
		return Model{Name: name, K: 1, Params: map[string]float64{"rate": d.Rate}, cdf: d.CDF, pdf: d.Prob, logp: d.LogProb}, nil
	case "lognormal":
		mu, sigma := FitLogNormal(xs)
		d := distuv.LogNormal{Mu: mu, Sigma: sigma}
		return Model{Name: name, K: 2, Params: map[string]float64{"mu": mu, "sigma": sigma}, cdf: d.CDF, pdf: d.Prob, logp: d.LogProb}, nil
	case "gamma":
		shape, rate, err := FitGamma(xs)
		if err != nil {
			return Model{}, err
		}
		d := distuv.Gamma{Alpha: shape, Beta: rate}
		return Model{Name: name, K: 2, Params: map[string]float64{"shape": shape, "rate": rate}, cdf: d.CDF, pdf: d.Prob, logp: d.LogProb}, nil
	case "weibull":
		k, lambda, err := FitWeibull(xs)
		if err != nil {
			return Model{}, err
		}
		d := distuv.Weibull{K: k, Lambda: lambda}
		return Model{Name: name, K: 2, Params: map[string]float64{"shape": k, "scale": lambda}, cdf: d.CDF, pdf: d.Prob, logp: d.LogProb}, nil
	case "pareto":
		xm, alpha := FitPareto(xs)
		d := distuv.Pareto{Xm: xm, Alpha: alpha}
		return Model{Name: name, K: 2, Params: map[string]float64{"xm": xm, "alpha": alpha}, cdf: d.CDF, pdf: d.Prob, logp: d.LogProb}, nil
	}
	return Model{}, fmt.Errorf("unknown model %q", name)
}

// score fills KL, KS, log-likelihood and AIC; xs is sorted.
func (m *Model) score(xs []float64, kl KLOptions) {
	n := float64(len(xs))
	for i, x := range xs {
		m.LogLikelihood += m.logp(x)
		f := m.cdf(x)
		m.KS = math.Max(m.KS, math.Max(math.Abs(float64(i+1)/n-f), math.Abs(f-float64(i)/n)))
	}
	m.AIC = 2*float64(m.K) - 2*m.LogLikelihood
	m.KL, _ = KLModel(xs, m.cdf, kl)
}

// KLModel is KLExponential's bucket method against any model given by its
// CDF: Q_i = CDF(hi) − CDF(lo), the last bucket open to +∞. A bucket the
// model gives (numerically) zero probability is floored at 1e-300, so the
// result stays finite and is then very large.
func KLModel(xs []float64, cdf func(float64) float64, opt KLOptions) (float64, error) {
	if opt.Buckets < 1 || !(opt.Base > 0) || opt.Base == 1 || math.IsInf(opt.Base, 0) {
		return 0, fmt.Errorf("%w: buckets=%d base=%v", ErrKLOptions, opt.Buckets, opt.Base)
	}
	if len(xs) == 0 {
		return 0, nil
	}
	max := floats.Max(xs)
	if !(max > 0) {
		return 0, nil
	}
	return klBuckets(xs, max, opt, func(i int, lo, width float64) float64 {
		q := 1 - cdf(lo)
		if i < opt.Buckets-1 {
			q = cdf(lo+width) - cdf(lo)
		}
		if i == 0 {
			q += cdf(0) // mass at or below zero belongs to the first bucket
		}
		return math.Log(math.Max(q, 1e-300))
	}), nil
}

// FitLogNormal returns the maximum-likelihood μ and σ (σ with the n
// denominator, as MLE has it) of positive xs.
func FitLogNormal(xs []float64) (mu, sigma float64) {
	for _, x := range xs {
		mu += math.Log(x)
	}
	mu /= float64(len(xs))
	for _, x := range xs {
		d := math.Log(x) - mu
		sigma += d * d
	}
	return mu, math.Sqrt(sigma / float64(len(xs)))
}

// FitGamma returns the maximum-likelihood shape and rate of positive xs,
// solving log k − ψ(k) = log(mean) − mean(log x) by Newton's method from
// Minka's closed-form start.
func FitGamma(xs []float64) (shape, rate float64, err error) {
	var mean, meanLog float64
	for _, x := range xs {
		mean += x
		meanLog += math.Log(x)
	}
	mean /= float64(len(xs))
	meanLog /= float64(len(xs))
	s := math.Log(mean) - meanLog
	if !(s > 0) {
		return 0, 0, fmt.Errorf("gamma: degenerate sample")
	}
	k := (3 - s + math.Sqrt((s-3)*(s-3)+24*s)) / (12 * s)
	for i := 0; i < 100; i++ {
		f := math.Log(k) - mathext.Digamma(k) - s
		df := 1/k - trigamma(k)
		step := f / df
		k -= step
		if k <= 0 {
			return 0, 0, fmt.Errorf("gamma: Newton left the domain")
		}
		if math.Abs(step) < 1e-12*k {
			return k, k / mean, nil
		}
	}
	return 0, 0, fmt.Errorf("gamma: no convergence")
}

// trigamma is ψ'(k), by recurrence to large k and the asymptotic series.
func trigamma(k float64) float64 {
	var r float64
	for k < 6 {
		r += 1 / (k * k)
		k++
	}
	k2 := 1 / (k * k)
	return r + 1/k + k2/2 + (1/k)*k2*(1.0/6-k2*(1.0/30-k2*(1.0/42-k2/30)))
}

// FitWeibull returns the maximum-likelihood shape k and scale λ of
// positive xs, solving 1/k + mean(log x) − Σ x^k log x / Σ x^k = 0 by
// Newton's method (on data rescaled by its maximum, to keep x^k finite).
func FitWeibull(xs []float64) (k, lambda float64, err error) {
	m := floats.Max(xs)
	n := float64(len(xs))
	var meanLog float64
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = math.Log(x / m)
		meanLog += ys[i]
	}
	meanLog /= n
	k = 1.2
	for i := 0; i < 200; i++ {
		var s0, s1, s2 float64
		for _, y := range ys {
			e := math.Exp(k * y)
			s0 += e
			s1 += e * y
			s2 += e * y * y
		}
		f := 1/k + meanLog - s1/s0
		df := -1/(k*k) - (s2*s0-s1*s1)/(s0*s0)
		step := f / df
		k -= step
		if k <= 0 || math.IsNaN(k) {
			return 0, 0, fmt.Errorf("weibull: Newton left the domain")
		}
		if math.Abs(step) < 1e-12*k {
			var s float64
			for _, y := range ys {
				s += math.Exp(k * y)
			}
			return k, m * math.Pow(s/n, 1/k), nil
		}
	}
	return 0, 0, fmt.Errorf("weibull: no convergence")
}

// FitPareto returns the maximum-likelihood x_m (the minimum) and α of
// positive xs.
func FitPareto(xs []float64) (xm, alpha float64) {
	xm = floats.Min(xs)
	var s float64
	for _, x := range xs {
		s += math.Log(x / xm)
	}
	return xm, float64(len(xs)) / s
}
