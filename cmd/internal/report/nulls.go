package report

import "github.com/pcapmeter/pcapmeter/stats"

// Meta is what a JSON report states besides the analysis' result: the
// tshark that dissected the capture, and warnings raised outside the
// analysis (by the command).
type Meta struct {
	Tshark   string
	Warnings []string
}

// orNull is v when it is defined (ok), else nil: JSON says null for a
// figure the capture cannot give, never a zero beside a flag.
func orNull[T any](ok bool, v T) *T {
	if !ok {
		return nil
	}
	return &v
}

// jsonDist is a distribution in JSON: with n = 0 its figures are null
// and its percentiles null too, since an empty sample has none.
type jsonDist struct {
	N           int              `json:"n"`
	Mean        *float64         `json:"mean"`
	StdDev      *float64         `json:"stddev"`
	Min         *float64         `json:"min"`
	Max         *float64         `json:"max"`
	Percentiles []jsonPercentile `json:"percentiles"`
}

type jsonPercentile struct {
	P     float64  `json:"p"`
	Value *float64 `json:"value"`
}

// dist converts s; the standard deviation of one value is null (the
// sample standard deviation needs two).
func dist(s stats.Summary) jsonDist {
	ok := s.N > 0
	d := jsonDist{N: s.N, Mean: orNull(ok, s.Mean), StdDev: orNull(s.N > 1, s.StdDev), Min: orNull(ok, s.Min), Max: orNull(ok, s.Max), Percentiles: []jsonPercentile{}}
	for _, p := range s.Percentiles {
		d.Percentiles = append(d.Percentiles, jsonPercentile{P: p.P, Value: orNull(ok, p.Value)})
	}
	return d
}

// warnings is the command's warnings followed by the result's own, never
// nil (JSON says [] when there is none).
func warnings(m Meta, own ...string) []string {
	out := append([]string{}, m.Warnings...)
	for _, w := range own {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// cutShort is the warning of a partial result.
const cutShort = "the capture is cut short in the middle of a packet; figures cover the packets before the cut"
